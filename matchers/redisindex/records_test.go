package redisindex

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// mustReady loads ix's scripts and marks it ready, as a worker finds an
// index grown with the record.
func mustReady(tb testing.TB, ix *Index) *Index {
	tb.Helper()
	ctx := context.Background()
	if err := ix.LoadScripts(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := ix.MarkReady(ctx, 1); err != nil {
		tb.Fatal(err)
	}
	return ix
}

// newTestIndex returns a ready index under a private prefix, its metrics
// registered with reg.
func newTestIndex(t *testing.T, reg prometheus.Registerer) *Index {
	t.Helper()
	rdb, prefix := redistest.MustClient(t)
	return mustReady(t, New(rdb, domain.NewPseudonymizer([]byte("records-secret-0123456789")),
		Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(), Registerer: reg}))
}

func enrolment(id, nid string, p *domain.Person) *domain.Outcome {
	p.NID = nid
	return &domain.Outcome{Event: &domain.Event{EventID: id, Type: domain.TypeEnrolment, Programme: "old_age", Source: "test",
		Occurred: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), Person: p},
		Decision: domain.Decision{EventID: id, Rules: []string{}}}
}

// unencodable reads the count of candidate records the index could not
// encode from reg.
func unencodable(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "ekjon_index_records_unencodable_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("ekjon_index_records_unencodable_total is not registered")
	return 0
}

// TestEveryValidPersonIsACandidate enrols persons whose fields are far
// over the candidate record's limits, or full of junk, and checks that
// each is indexed as a candidate with no alert, and that the same person
// enrolled again under another NID is found.
func TestEveryValidPersonIsACandidate(t *testing.T) {
	var many []string
	for i := range 200 {
		many = append(many, "Nam"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	persons := map[string]func() *domain.Person{
		"200-token name": func() *domain.Person {
			return &domain.Person{NameEN: strings.Join(many, " "), FatherName: "Abdul Karim", DOB: "1950-03-01", Gender: "male",
				Address: &domain.Address{District: "Dhaka", Upazila: "Savar"}}
		},
		"one 400-byte name": func() *domain.Person {
			return &domain.Person{NameEN: "Shahidul " + strings.Repeat("islam", 80), FatherName: "Idris Ali", DOB: "1944-07-12",
				Gender: "male", Address: &domain.Address{District: "Khulna", Upazila: "Dumuria"}}
		},
		"300-byte upazila": func() *domain.Person {
			return &domain.Person{NameEN: "Nasima Akter", FatherName: "Yakub Ali", DOB: "1962-11-23", Gender: "female",
				Address: &domain.Address{District: "Rangpur", Upazila: strings.Repeat("bkdr", 75)}}
		},
		"control characters": func() *domain.Person {
			return &domain.Person{NameEN: "Mo\x00stafizur \x1b[31mRahman\x7f", FatherName: "Moslem\x01 Uddin", DOB: "1938-02-05",
				Gender: "male", Address: &domain.Address{District: "Sylhet\x00", Upazila: strings.Repeat("\x01b", 200)}}
		},
	}
	reg := prometheus.NewRegistry()
	ix := newTestIndex(t, reg)
	ctx := context.Background()
	n := 0
	for name, mk := range persons {
		t.Run(name, func(t *testing.T) {
			n++
			first := enrolment(fmt.Sprintf("e%d", n), fmt.Sprintf("%010d", 1000000000+2*n), mk())
			if _, err := ix.Decide(ctx, []*domain.Outcome{first}); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%s %v", first.Decision.Action, first.Decision.Rules); got != "ADMIT []" {
				t.Fatalf("first enrolment: %s (%s)", got, first.Decision.Reason)
			}
			fields, err := ix.PersonFields(ctx, first.IndexKey)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := loadRecord([]byte(fields[fieldRecord]), first.IndexKey); err != nil {
				t.Fatalf("no readable candidate record: %v", err)
			}
			again := enrolment(fmt.Sprintf("e%d-again", n), fmt.Sprintf("%010d", 1000000001+2*n), mk())
			if _, err := ix.Decide(ctx, []*domain.Outcome{again}); err != nil {
				t.Fatal(err)
			}
			if again.Decision.MatchedPerson != first.Decision.PersonID ||
				!slices.ContainsFunc(again.Decision.Rules, func(r string) bool {
					return r == domain.RuleFuzzyPerson || r == domain.RulePossiblePerson
				}) {
				t.Errorf("the same person under another NID: %s %v matched %q, want a match with %s",
					again.Decision.Action, again.Decision.Rules, again.Decision.MatchedPerson, first.Decision.PersonID)
			}
		})
	}
	if got := unencodable(t, reg); got != 0 {
		t.Errorf("%v records counted unencodable, want 0", got)
	}
}

// TestUnencodableRecordIsCountedAndAlerted: a candidate record that still
// cannot be encoded leaves the decision as it was, raises
// INDEX_RECORD_FAILED and is counted once, when the decision is durable,
// however often the batch was decided.
func TestUnencodableRecordIsCountedAndAlerted(t *testing.T) {
	reg := prometheus.NewRegistry()
	ix := newTestIndex(t, reg)
	ix.profile = func(p *domain.Person, pid string, pseudo *domain.Pseudonymizer) fuzzy.Profile {
		pr := fuzzy.ProfileOf(p, pid, pseudo)
		pr.Record.Gender = 200 // no record encodes it
		return pr
	}
	ctx := context.Background()
	o := enrolment("bad", "1234567890", &domain.Person{NameEN: "Rafiqul Islam"})
	for range 3 {
		o.Decision.Rules, o.Alerts = []string{}, nil
		if _, err := ix.Decide(ctx, []*domain.Outcome{o}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprintf("%s %v", o.Decision.Action, o.Decision.Rules); got != "ADMIT [INDEX_RECORD_FAILED]" {
		t.Errorf("decision: %s, want ADMIT [INDEX_RECORD_FAILED]", got)
	}
	if len(o.Alerts) != 1 || o.Alerts[0].Rule != domain.RuleIndexRecordFailed || o.Alerts[0].Action != domain.ActionAdmit {
		t.Errorf("alerts: %+v, want one INDEX_RECORD_FAILED alert", o.Alerts)
	}
	if err := ix.Remember(ctx, []*domain.Outcome{o}); err != nil {
		t.Fatal(err)
	}
	if got := unencodable(t, reg); got != 1 {
		t.Errorf("%v records counted unencodable, want 1", got)
	}
}

// TestTermFrequenciesCountEachPersonOnce decides one batch three times, as
// a batch whose record failed twice is, records it once, and checks that
// the name-token frequencies count each person once: also a person whose
// two enrolments are in the batch, and again when a later batch enrols
// that person in a third programme.
func TestTermFrequenciesCountEachPersonOnce(t *testing.T) {
	ix := newTestIndex(t, nil)
	ctx := context.Background()
	people := []*domain.Person{
		{NameEN: "Rafiqul Islam", FatherName: "Idris Ali", DOB: "1950-03-01"},
		{NameEN: "Shahidul Islam Islam", FatherName: "Yakub Ali", DOB: "1941-06-11"},
		{NameEN: "Nasima Akter", FatherName: "Moslem Uddin", DOB: "1963-09-30"},
	}
	batch := []*domain.Outcome{
		enrolment("a1", "1000000001", people[0]),
		enrolment("b1", "1000000002", people[1]),
		enrolment("c1", "1000000003", people[2]),
		enrolment("a2", "1000000001", &domain.Person{NameEN: "Rafiqul Islam", FatherName: "Idris Ali", DOB: "1950-03-01"}),
	}
	batch[3].Event.Programme = "vgd"
	for range 3 {
		for _, o := range batch {
			o.Decision, o.Alerts, o.IndexTokens = domain.Decision{EventID: o.Event.EventID, Rules: []string{}}, nil, nil
		}
		if _, err := ix.Decide(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Remember(ctx, batch); err != nil {
		t.Fatal(err)
	}
	later := enrolment("a3", "1000000001", &domain.Person{NameEN: "Rafiqul Islam", FatherName: "Idris Ali", DOB: "1950-03-01"})
	later.Event.Programme = "gr"
	if _, err := ix.Decide(ctx, []*domain.Outcome{later}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Remember(ctx, []*domain.Outcome{later}); err != nil {
		t.Fatal(err)
	}
	for _, o := range append(batch, later) {
		if o.Decision.Action != domain.ActionAdmit {
			t.Fatalf("%s: %s %v", o.Event.EventID, o.Decision.Action, o.Decision.Rules)
		}
	}
	tf, err := ix.rdb.HGetAll(ctx, ix.tfKey()).Result()
	if err != nil {
		t.Fatal(err)
	}
	n, err := ix.rdb.Get(ctx, ix.tfTotalKey()).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"rafikul": "1", "islam": "2", "sahidul": "1", "nasima": "1"}
	if n != "3" || fmt.Sprint(tf) != fmt.Sprint(want) {
		t.Errorf("persons counted %s, token counts %v; want 3, %v", n, tf, want)
	}
}

// TestReadyGeneration: the index says the generation its ready marker
// carries, and that it is not ready once invalidated.
func TestReadyGeneration(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, nil)
	if err := ix.MarkReady(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if gen, ok, err := ix.ReadyGeneration(ctx); err != nil || !ok || gen != 7 {
		t.Fatalf("ReadyGeneration = %d, %v, %v; want 7, true", gen, ok, err)
	}
	if err := ix.Invalidate(ctx); err != nil {
		t.Fatal(err)
	}
	if gen, ok, err := ix.ReadyGeneration(ctx); err != nil || ok {
		t.Fatalf("after Invalidate: %d, %v, %v; want not ready", gen, ok, err)
	}
}
