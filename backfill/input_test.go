package backfill

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scan reads every record of path and returns the events and rejects.
func scan(t *testing.T, path string, o Options) ([]map[string]any, []Reject, []Entry) {
	t.Helper()
	in, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var es []Entry
	var rs []Reject
	if err := in.Scan(0, func(e Entry) { es = append(es, e) }, func(r Reject) { rs = append(rs, r) }); err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	for _, e := range es {
		b, err := in.Read(e, nil)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			m = map[string]any{"raw": string(b)}
		}
		evs = append(evs, m)
	}
	return evs, rs, es
}

func TestParseMap(t *testing.T) {
	m, err := ParseMap(strings.NewReader("\ufeff# comment\n\n নাম = name_bn \nNID=nid\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m["নাম"] != "name_bn" || m["nid"] != "nid" || len(m) != 2 {
		t.Errorf("map: %v", m)
	}
	for _, bad := range []string{"no equals sign\n", "নাম = full_name\n"} {
		if _, err := ParseMap(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestOpenRefusesACSVItCannotName(t *testing.T) {
	for name, text := range map[string]string{
		"no record_id":  "programme,nid\nold_age,1234567890\n",
		"a field twice": "record_id,nid,NID\nr1,1,2\n",
		"empty":         "",
		"unbalanced":    "\"record_id,nid\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(write(t, "x.csv", text), Options{}); err == nil {
				t.Error("want an error")
			}
		})
	}
}

// TestCSVRows reads rows into enrolments, keeps quoted commas and line
// numbers, and rejects rows it cannot read without losing the rest.
func TestCSVRows(t *testing.T) {
	text := "Record_ID , nid,name_bn,district,remarks\n" +
		"r1,19502612345678901,\"রফিকুল, ইসলাম\",ঢাকা,x\n" +
		"r2,1,too,few\n" +
		"r3,1234567890,\"bad \"quote\",Dhaka,y\n" +
		"r4,১২৩৪৫৬৭৮৯০,নাম,Dhaka,\n"
	evs, rs, es := scan(t, write(t, "list.csv", text), Options{AsOf: "2026-11-01T00:00:00Z", Source: "dss"})
	if len(evs) != 2 || len(rs) != 2 {
		t.Fatalf("events %v, rejects %v", evs, rs)
	}
	e := evs[0]
	p := e["person"].(map[string]any)
	if e["event_id"] != "r1" || e["type"] != "enrolment" || e["source"] != "dss" || e["occurred_at"] != "2026-11-01T00:00:00Z" ||
		p["name_bn"] != "রফিকুল, ইসলাম" || p["address"].(map[string]any)["district"] != "ঢাকা" {
		t.Errorf("r1: %v", e)
	}
	if es[0].Line != 2 || es[1].Line != 5 {
		t.Errorf("lines %d, %d; want 2, 5", es[0].Line, es[1].Line)
	}
	if rs[0].Line != 3 || rs[0].RecordID != "r2" || !strings.Contains(rs[0].Reason, "fields") {
		t.Errorf("reject of r2: %+v", rs[0])
	}
	if rs[1].Line != 4 || !strings.Contains(rs[1].Reason, "CSV") {
		t.Errorf("reject of r3: %+v", rs[1])
	}
}

// TestJSONLines keeps lines as they are, skips blank ones and rejects a
// line too long to be an event, going on after it.
func TestJSONLines(t *testing.T) {
	long := `{"event_id":"big","x":"` + strings.Repeat("a", MaxRecordBytes) + `"}`
	text := `{"event_id":"a","type":"enrolment"}` + "\n\n   \n" + long + "\n" + "not json\n" + `{"event_id":"b"}`
	evs, rs, es := scan(t, write(t, "e.jsonl", text), Options{})
	if len(evs) != 3 || evs[0]["event_id"] != "a" || evs[1]["raw"] != "not json" || evs[2]["event_id"] != "b" {
		t.Fatalf("events: %v", evs)
	}
	if es[0].Line != 1 || es[1].Line != 5 || es[2].Line != 6 {
		t.Errorf("lines: %+v", es)
	}
	if len(rs) != 1 || rs[0].Line != 4 || rs[0].Rule != domain.RuleInvalidEvent {
		t.Errorf("rejects: %+v", rs)
	}
}

// TestOrderKeyIsContent gives equal content the same key and the order
// nothing to do with position.
func TestOrderKeyIsContent(t *testing.T) {
	a := write(t, "a.jsonl", "{\"event_id\":\"x\"}\n{\"event_id\":\"y\"}\n")
	b := write(t, "b.jsonl", "{\"event_id\":\"y\"}\r\n  {\"event_id\":\"x\"}\n")
	_, _, ea := scan(t, a, Options{})
	_, _, eb := scan(t, b, Options{})
	if ea[0].Key != eb[1].Key || ea[1].Key != eb[0].Key || ea[0].Key == ea[1].Key {
		t.Errorf("keys %x %x vs %x %x", ea[0].Key, ea[1].Key, eb[0].Key, eb[1].Key)
	}
}
