package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// nidEnrolment is an enrolment of a person named by the numbers in ids
// ("nid", "nid_smart", "birth_reg_no" of person), born on dob.
func nidEnrolment(id, prog, name, dob string, ids map[string]string) string {
	person := map[string]any{"name_en": name, "father_name": "Abdul Karim", "dob": dob, "gender": "female",
		"address": map[string]string{"division": "Dhaka", "district": "Dhaka", "upazila": "Savar"}}
	for k, v := range ids {
		person[k] = v
	}
	b, err := json.Marshal(map[string]any{"event_id": id, "type": "enrolment", "occurred_at": "2026-11-01T10:00:00+06:00",
		"source": "dss-mis", "programme": prog, "beneficiary_ref": "ref-" + id, "person": person})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// nidNames are names that no fuzzy rule takes for one another.
var nidNames = []string{"Amena Khatun", "Rahima Begum", "Sufia Kamal", "Nurjahan Akter", "Parul Rani Das", "Jahanara Imam"}

// wipeIndex deletes the index under the running worker, as a Redis restart
// without persistence would; the worker rebuilds it from the record.
func (h *harness) wipeIndex() {
	h.t.Helper()
	rdb := redistest.Client(h.t)
	ctx := context.Background()
	keys, err := redistest.Keys(ctx, rdb, h.cfg.Redis.Prefix+"*")
	if err != nil || len(keys) == 0 {
		h.t.Fatalf("index keys: %d, %v", len(keys), err)
	}
	for _, k := range keys { // one by one: a cluster refuses a DEL across slots
		if err := rdb.Del(ctx, k).Err(); err != nil {
			h.t.Fatal(err)
		}
	}
}

// splitForms returns a 13-digit NID whose 17-digit form (with year) and
// 13-digit form, used as message keys, go to different partitions of a
// two-partition topic, so that the two forms race on two workers' batches.
func splitForms(t *testing.T, year string, seed int) (nid17, nid13 string) {
	t.Helper()
	var h kafkago.Hash
	for i := seed; i < seed+1000; i++ {
		core := fmt.Sprintf("26%011d", i)
		a := h.Balance(kafkago.Message{Key: []byte(year + core)}, 0, 1)
		b := h.Balance(kafkago.Message{Key: []byte(core)}, 0, 1)
		if a != b {
			return year + core, core
		}
	}
	t.Fatal("no NID whose two forms go to two partitions")
	return "", ""
}

// TestNIDFormsAreOnePerson is the attack on how a clerk writes an NID: a
// person enrolled under the 17-digit form enrols again under the 13-digit
// one (the 17 digits without the birth year), or the other way round. The
// second enrolment is blocked, as MULTI_PROGRAMME in an excluded programme
// and DUP_NID in the same one, whichever form came first; payments by
// either form find the person; and a 17-digit NID whose year disagrees
// with the date of birth is still refused.
func TestNIDFormsAreOnePerson(t *testing.T) {
	h := newHarness(t, 2)
	h.start(nil)
	topics := h.cfg.Kafka.Topics
	const dob = "1950-03-01"
	cases := []struct {
		name         string
		first, again string // forms: "17" or "13"
	}{{"17 then 13", "17", "13"}, {"13 then 17", "13", "17"}}
	for i, c := range cases {
		core := fmt.Sprintf("26%011d", 7000+i)
		form := map[string]string{"17": "1950" + core, "13": core}
		p, name := fmt.Sprintf("f%d", i), nidNames[i]
		h.produce(topics.Enrolments, nidEnrolment(p+"a", "old_age", name, dob, map[string]string{"nid": form[c.first]}))
		a := h.decisions(p + "a")[p+"a"]
		h.produce(topics.Enrolments,
			nidEnrolment(p+"b", "widow", name, dob, map[string]string{"nid": form[c.again]}),
			nidEnrolment(p+"c", "old_age", name, dob, map[string]string{"nid": form[c.again]}))
		got := h.decisions(p+"b", p+"c")
		if v := verdictOf(a); v != "ADMIT []" {
			t.Fatalf("%s: first enrolment %s", c.name, v)
		}
		if v := verdictOf(got[p+"b"]); v != "BLOCK [MULTI_PROGRAMME]" || got[p+"b"].PersonID != a.PersonID {
			t.Errorf("%s: widow under the other form: %s for %s, want BLOCK [MULTI_PROGRAMME] for %s", c.name, v, got[p+"b"].PersonID, a.PersonID)
		}
		if v := verdictOf(got[p+"c"]); v != "BLOCK [DUP_NID]" {
			t.Errorf("%s: old_age again under the other form: %s, want BLOCK [DUP_NID]", c.name, v)
		}
		// Payments by each form are the one person's: the second in the
		// cycle is a double payment.
		h.produce(topics.Distributions, paymentEvent(p+"p1", form[c.again], "old_age", "2026-11", "", "2026-11-05T09:00:00Z"))
		p1 := h.decisions(p + "p1")[p+"p1"]
		h.produce(topics.Distributions, paymentEvent(p+"p2", form[c.first], "old_age", "2026-11", "", "2026-11-05T10:00:00Z"))
		p2 := h.decisions(p + "p2")[p+"p2"]
		if verdictOf(p1) != "ADMIT []" || p1.PersonID != a.PersonID || verdictOf(p2) != "BLOCK [DOUBLE_PAYMENT]" {
			t.Errorf("%s: payments by the two forms: %s for %s, then %s; want ADMIT for %s, then BLOCK [DOUBLE_PAYMENT]",
				c.name, verdictOf(p1), p1.PersonID, verdictOf(p2), a.PersonID)
		}
	}

	// A 17-digit NID whose year is not the birth year is refused as before.
	h.produce(topics.Enrolments, nidEnrolment("fy", "old_age", "Jahanara Imam", "1951-03-01", map[string]string{"nid": "19502600000009999"}))
	if v := verdictOf(h.decisions("fy")["fy"]); v != "REJECTED [INVALID_ID]" {
		t.Errorf("17-digit NID with another year than the dob: %s, want REJECTED [INVALID_ID]", v)
	}

	// A 13-digit NID with a date of birth is kept in its 17-digit form.
	var nid string
	if err := h.db.QueryRow(context.Background(), `SELECT record->>'nid' FROM enrolments WHERE event_id = 'f1a'`).Scan(&nid); err != nil ||
		nid != "1950"+fmt.Sprintf("26%011d", 7001) {
		t.Errorf("13-digit NID with a dob recorded as %q (%v), want its 17-digit form", nid, err)
	}
}

// TestNIDFormsRaceOnTwoPartitions sends the 17- and 13-digit forms of one
// person's NID at the same moment, keyed as the sources key them, so that
// they land on two partitions and two workers: one is admitted and the
// other blocked, never both admitted.
func TestNIDFormsRaceOnTwoPartitions(t *testing.T) {
	h := newHarness(t, 2)
	h.cfg.Pipeline.Consumers = 2
	h.start(nil)
	for round := range 3 {
		nid17, nid13 := splitForms(t, "1950", 8000+round*1000)
		p, name := fmt.Sprintf("r%d", round), nidNames[round]
		h.produce(h.cfg.Kafka.Topics.Enrolments,
			nidEnrolment(p+"a", "old_age", name, "1950-03-01", map[string]string{"nid": nid17}),
			nidEnrolment(p+"b", "widow", name, "1950-03-01", map[string]string{"nid": nid13}))
		got := h.decisions(p+"a", p+"b")
		v := []string{verdictOf(got[p+"a"]), verdictOf(got[p+"b"])}
		if !(v[0] == "ADMIT []" && v[1] == "BLOCK [MULTI_PROGRAMME]") && !(v[1] == "ADMIT []" && v[0] == "BLOCK [MULTI_PROGRAMME]") {
			t.Errorf("round %d: the two forms decided %v, want one ADMIT and one BLOCK [MULTI_PROGRAMME]", round, v)
		}
		if got[p+"a"].PersonID != got[p+"b"].PersonID {
			t.Errorf("round %d: two persons for one NID: %s and %s", round, got[p+"a"].PersonID, got[p+"b"].PersonID)
		}
	}
}

// TestSmartCardNumberIsTheSamePerson is the attack by the third number: a
// person enrolled with an NID and the smart-card number beside it enrols
// again, or is paid, by the smart-card number alone, and the other way
// round. The numbers seen together are one person, also after the index
// is rebuilt from the record. Another NID claiming a smart-card number
// that is someone's is held, with an alert, and the number stays theirs.
func TestSmartCardNumberIsTheSamePerson(t *testing.T) {
	h := newHarness(t, 2)
	h.start(nil)
	topics := h.cfg.Kafka.Topics
	const dob = "1950-03-01"
	// NID first, then the smart-card number alone.
	h.produce(topics.Enrolments, nidEnrolment("s1a", "old_age", "Amena Khatun", dob,
		map[string]string{"nid": "19502600000001111", "nid_smart": "৪৪৪৪০০১১১১"}))
	a := h.decisions("s1a")["s1a"]
	h.produce(topics.Enrolments, nidEnrolment("s1b", "widow", "Amena Khatun", dob, map[string]string{"nid": "4444001111"}))
	h.produce(topics.Distributions, paymentEvent("s1p", "4444001111", "old_age", "2026-11", "", "2026-11-05T09:00:00Z"))
	got := h.decisions("s1b", "s1p")
	if verdictOf(a) != "ADMIT []" || verdictOf(got["s1b"]) != "BLOCK [MULTI_PROGRAMME]" || got["s1b"].PersonID != a.PersonID {
		t.Errorf("nid, then smart: %s, then %s for %s; want ADMIT, then BLOCK [MULTI_PROGRAMME] for %s",
			verdictOf(a), verdictOf(got["s1b"]), got["s1b"].PersonID, a.PersonID)
	}
	if verdictOf(got["s1p"]) != "ADMIT []" || got["s1p"].PersonID != a.PersonID {
		t.Errorf("payment by the smart-card number: %s for %s, want ADMIT for %s", verdictOf(got["s1p"]), got["s1p"].PersonID, a.PersonID)
	}

	// The smart-card number first, then the NID with it.
	h.produce(topics.Enrolments, nidEnrolment("s2a", "old_age", "Parul Rani Das", dob, map[string]string{"nid": "4444002222"}))
	b := h.decisions("s2a")["s2a"]
	h.produce(topics.Enrolments, nidEnrolment("s2b", "widow", "Parul Rani Das", dob,
		map[string]string{"nid": "2600000002222", "nid_smart": "4444002222"}))
	b2 := h.decisions("s2b")["s2b"]
	h.produce(topics.Distributions, paymentEvent("s2p", "19502600000002222", "old_age", "2026-11", "", "2026-11-05T09:00:00Z"))
	bp := h.decisions("s2p")["s2p"]
	if verdictOf(b) != "ADMIT []" || verdictOf(b2) != "BLOCK [MULTI_PROGRAMME]" || b2.PersonID != b.PersonID {
		t.Errorf("smart, then nid: %s, then %s for %s; want ADMIT, then BLOCK [MULTI_PROGRAMME] for %s",
			verdictOf(b), verdictOf(b2), b2.PersonID, b.PersonID)
	}
	if verdictOf(bp) != "ADMIT []" || bp.PersonID != b.PersonID {
		t.Errorf("payment by the 17-digit NID of a person enrolled by smart card: %s for %s, want ADMIT for %s", verdictOf(bp), bp.PersonID, b.PersonID)
	}

	// Another NID with A's smart-card number is held, and A keeps it.
	h.produce(topics.Enrolments, nidEnrolment("s3", "vgd", "Sufia Begum", "1961-07-15",
		map[string]string{"nid": "2600000003333", "nid_smart": "4444001111"}))
	c := h.decisions("s3")["s3"]
	if verdictOf(c) != "HOLD [ID_CONFLICT]" || c.PersonID == a.PersonID || !strings.Contains(c.Reason, a.PersonID) {
		t.Errorf("another NID with A's smart-card number: %s for %s (%s), want HOLD [ID_CONFLICT] naming %s", verdictOf(c), c.PersonID, c.Reason, a.PersonID)
	}
	var rule, matched string
	if err := h.db.QueryRow(context.Background(), `SELECT rule, matched_person_id FROM alerts WHERE event_id = 's3'`).Scan(&rule, &matched); err != nil ||
		rule != "ID_CONFLICT" || matched != a.PersonID {
		t.Errorf("the conflict's alert: %s naming %s (%v), want ID_CONFLICT naming %s", rule, matched, err, a.PersonID)
	}
	// A payment naming the other NID beside A's smart-card number is not A's.
	h.produce(topics.Distributions, fmt.Sprintf(`{"event_id":"s3p","type":"distribution","occurred_at":"2026-11-05T09:00:00Z",
		"source":"g2p-gateway","programme":"old_age","cycle":"2026-11","nid":"2600000003333","nid_smart":"4444001111","amount":600,"channel":"cash"}`))
	if d := h.decisions("s3p")["s3p"]; d.PersonID == a.PersonID {
		t.Errorf("a payment by another NID beside A's smart-card number went to A: %s", verdictOf(d))
	}

	// The index is lost; the rebuilt one links the numbers as before.
	h.wipeIndex()
	h.produce(topics.Enrolments,
		nidEnrolment("s4a", "disability", "Amena Khatun", dob, map[string]string{"nid": "4444001111"}),
		nidEnrolment("s4b", "disability", "Parul Rani Das", dob, map[string]string{"nid": "2600000002222"}),
		nidEnrolment("s4c", "vgd", "Nurjahan Akter", "1972-05-20", map[string]string{"nid": "2600000009999", "nid_smart": "4444001111"}))
	h.produce(topics.Distributions,
		paymentEvent("s4p", "4444002222", "old_age", "2026-12", "", "2026-12-05T09:00:00Z"),
		paymentEvent("s4q", "2600000001111", "old_age", "2026-11", "", "2026-11-06T09:00:00Z"))
	after := h.decisions("s4a", "s4b", "s4c", "s4p", "s4q")
	want := map[string]struct{ verdict, person string }{
		"s4a": {"BLOCK [MULTI_PROGRAMME]", a.PersonID},
		"s4b": {"BLOCK [MULTI_PROGRAMME]", b.PersonID},
		"s4p": {"ADMIT []", b.PersonID},
		"s4q": {"BLOCK [DOUBLE_PAYMENT]", a.PersonID},
	}
	for id, w := range want {
		if d := after[id]; verdictOf(d) != w.verdict || d.PersonID != w.person {
			t.Errorf("%s after the rebuild: %s for %s, want %s for %s", id, verdictOf(d), d.PersonID, w.verdict, w.person)
		}
	}
	if d := after["s4c"]; verdictOf(d) != "HOLD [ID_CONFLICT]" || !strings.Contains(d.Reason, a.PersonID) {
		t.Errorf("s4c after the rebuild: %s (%s), want HOLD [ID_CONFLICT] naming %s", verdictOf(d), d.Reason, a.PersonID)
	}
}

// TestSmartCardNumberRacesTheNID sends, at the same moment on two
// partitions, an enrolment by NID and smart-card number and one by the
// smart-card number alone, in two excluded programmes. Whichever links
// the number first, the two are never both admitted: the second is
// blocked as the same person, or held (the enrolment with the NID, when
// the other linked the number first, is held as ID_CONFLICT, and the
// other may then be held as its fuzzy match).
func TestSmartCardNumberRacesTheNID(t *testing.T) {
	h := newHarness(t, 2)
	h.cfg.Pipeline.Consumers = 2
	h.start(nil)
	var k kafkago.Hash
	for round := range 4 {
		var nid, smart string
		for i := round * 100; ; i++ {
			nid, smart = fmt.Sprintf("26%011d", 9000+i), fmt.Sprintf("5%09d", 9000+i)
			if k.Balance(kafkago.Message{Key: []byte(nid)}, 0, 1) != k.Balance(kafkago.Message{Key: []byte(smart)}, 0, 1) {
				break
			}
		}
		p, name := fmt.Sprintf("x%d", round), nidNames[round]
		first, second := nidEnrolment(p+"a", "old_age", name, "1950-03-01", map[string]string{"nid": nid, "nid_smart": smart}),
			nidEnrolment(p+"b", "widow", name, "1950-03-01", map[string]string{"nid": smart})
		if round%2 == 1 {
			first, second = second, first
		}
		h.produce(h.cfg.Kafka.Topics.Enrolments, first, second)
		got := h.decisions(p+"a", p+"b")
		admitted := 0
		for _, d := range got {
			switch {
			case verdictOf(d) == "ADMIT []":
				admitted++
			case verdictOf(d) == "BLOCK [MULTI_PROGRAMME]", d.Action == "HOLD":
			default:
				t.Errorf("round %d: %s decided %s", round, d.EventID, verdictOf(d))
			}
		}
		if admitted > 1 {
			t.Errorf("round %d: both admitted, as two persons %s and %s", round, got[p+"a"].PersonID, got[p+"b"].PersonID)
		}
	}
}

// TestBirthRegistrationNumberIsOnePerson: a person enrolled with an NID
// and a birth registration number enrols again by the birth registration
// number alone and is found; a birth registration number that does not
// begin with the birth year is refused.
func TestBirthRegistrationNumberIsOnePerson(t *testing.T) {
	h := newHarness(t, 1)
	h.start(nil)
	topics := h.cfg.Kafka.Topics
	h.produce(topics.Enrolments, nidEnrolment("b1", "old_age", "Amena Khatun", "1950-03-01",
		map[string]string{"nid": "2600000004444", "birth_reg_no": "১৯৫০-২৬১২-৩৪৫৬৭-৮৯০১"}))
	a := h.decisions("b1")["b1"]
	h.produce(topics.Enrolments,
		nidEnrolment("b2", "widow", "Amena Khatun", "1950-03-01", map[string]string{"birth_reg_no": "19502612345678901"}),
		nidEnrolment("b3", "vgd", "Amena Khatun", "1950-03-01", map[string]string{"birth_reg_no": "19512612345678901"}),
		nidEnrolment("b4", "vgd", "Amena Khatun", "1950-03-01", map[string]string{"birth_reg_no": "00002612345678901"}))
	got := h.decisions("b2", "b3", "b4")
	if verdictOf(a) != "ADMIT []" || verdictOf(got["b2"]) != "BLOCK [MULTI_PROGRAMME]" || got["b2"].PersonID != a.PersonID {
		t.Errorf("by the birth registration number: %s, then %s for %s; want ADMIT, then BLOCK [MULTI_PROGRAMME] for %s",
			verdictOf(a), verdictOf(got["b2"]), got["b2"].PersonID, a.PersonID)
	}
	for _, id := range []string{"b3", "b4"} {
		if v := verdictOf(got[id]); v != "REJECTED [INVALID_ID]" {
			t.Errorf("%s: a birth registration number not beginning with the birth year: %s, want REJECTED [INVALID_ID]", id, v)
		}
	}
}

// TestNIDPlaceIsEvidence: a man enrolled where he lives now, in Gazipur,
// with an NID issued in Dhaka, enrols again under another NID with an
// address in Dhaka. That his NID names the district the second record
// lives in is counted in the match's explanation; it blocks nothing
// alone: a stranger with an NID from Dhaka is admitted.
func TestNIDPlaceIsEvidence(t *testing.T) {
	h := newHarness(t, 1)
	h.start(nil)
	enrolAt := func(id, nid, nameBN, nameEN, father, district, upazila string) string {
		return fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis",
			"programme":"old_age","beneficiary_ref":"ref-%s","person":{"nid":%q,"name_bn":%q,"name_en":%q,"father_name":%q,
			"dob":"1950-03-01","gender":"male","address":{"district":%q,"upazila":%q}}}`,
			id, id, nid, nameBN, nameEN, father, district, upazila)
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, enrolAt("g1", "2600000005555", "", "Md. Rafiqul Islam", "Late Abdul Karim", "Gazipur", "Kaliakair"))
	h.decisions("g1")
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		enrolAt("g2", "3300000006666", "মোঃ রফিকুল ইসলাম", "", "মৃত আব্দুল করিম", "ঢাকা", "Savar"),
		enrolAt("g3", "2600000007777", "", "Shahidul Alam Chowdhury", "Nurul Alam", "Gazipur", "Kaliakair"))
	got := h.decisions("g2", "g3")
	found := false
	for _, c := range got["g2"].Explanation {
		found = found || (c.Field == "nid_place" && c.Weight > 0)
	}
	if got["g2"].Action == "ADMIT" && len(got["g2"].Rules) == 0 || !found {
		t.Errorf("the same man under another NID: %s, explanation %+v; want a match that counts the NID's district", verdictOf(got["g2"]), got["g2"].Explanation)
	}
	if v := verdictOf(got["g3"]); v != "ADMIT []" {
		t.Errorf("a stranger with an NID from Dhaka: %s, want ADMIT []", v)
	}
}

// TestRecordsFromBeforeTheLinks: persons recorded before numbers were
// linked keep their ids, a 17-digit NID's being the hash of all 17
// digits. Once the index is rebuilt from the record, the 13-digit form
// finds such a person; and where the record already holds one NID as two
// persons (its two forms, enrolled apart), the number is the first
// enrolled's.
func TestRecordsFromBeforeTheLinks(t *testing.T) {
	h := newHarness(t, 1)
	h.start(nil)
	ctx := context.Background()
	pseudo := domain.NewPseudonymizer([]byte(h.cfg.HMACSecret))
	old := func(id, nid, prog, at string) string {
		pid := "P" + pseudo.Hash("nid", nid)[:16]
		rec := fmt.Sprintf(`{"nid":%q,"name_en":"Sufia Kamal","dob":"1950-03-01","address":{"district":"Dhaka"}}`, nid)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`WITH k AS (INSERT INTO decision_keys (event_id) VALUES ($1::text) RETURNING recorded_at)
				INSERT INTO decisions (event_id, event_type, action, person_id, decided_at, config_version, recorded_at)
				SELECT $1::text, 'enrolment', 'ADMIT', $2, $3, 'old', recorded_at FROM k`, []any{id, pid, at}},
			{`INSERT INTO persons (person_id, index_key, id_kind, nid) VALUES ($1, $2, 'nid', $3) ON CONFLICT DO NOTHING`,
				[]any{pid, pid[1:], nid}},
			{`INSERT INTO enrolments (event_id, person_id, programme, status, record, enrolled_at)
				VALUES ($1, $2, $3, 'active', $4::jsonb, $5)`, []any{id, pid, prog, rec, at}},
		} {
			if _, err := h.db.Exec(ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		return pid
	}
	a := old("old-a", "19502600000008888", "old_age", "2025-01-01T00:00:00Z")
	// The same NID under its 13-digit form, enrolled later as another
	// person: a duplicate the record held before.
	b := old("old-b", "2600000008888", "vgd", "2025-02-01T00:00:00Z")
	c := old("old-c", "19502600000009999", "widow", "2025-03-01T00:00:00Z")
	h.wipeIndex()
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		nidEnrolment("n1", "disability", "Sufia Kamal", "1950-03-01", map[string]string{"nid": "2600000009999"}),
		nidEnrolment("n2", "widow", "Sufia Kamal", "1950-03-01", map[string]string{"nid": "2600000008888"}))
	got := h.decisions("n1", "n2")
	if d := got["n1"]; verdictOf(d) != "BLOCK [MULTI_PROGRAMME]" || d.PersonID != c {
		t.Errorf("13-digit form of a person recorded under 17: %s for %s, want BLOCK [MULTI_PROGRAMME] for %s", verdictOf(d), d.PersonID, c)
	}
	if d := got["n2"]; verdictOf(d) != "BLOCK [MULTI_PROGRAMME]" || d.PersonID != a {
		t.Errorf("an NID recorded as two persons: %s for %s, want BLOCK [MULTI_PROGRAMME] for the first enrolled, %s (not %s)", verdictOf(d), d.PersonID, a, b)
	}
}
