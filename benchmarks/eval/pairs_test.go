package eval

import (
	"strings"
	"testing"
)

// TestCountPairs checks the pair-level count on a hand-made stream: a
// re-enrolment found by a flag on its later enrolment, one found the
// other way round (the earlier enrolment decided second), one missed but
// a candidate, one never a candidate, a wrong hold whose matched person
// is held too, and an alert on a namesake.
func TestCountPairs(t *testing.T) {
	ds := []Decided{
		{EventID: "e1", Cluster: "A", Label: "first", PersonID: "a1", CandidatesKnown: true},
		{EventID: "e2", Cluster: "A", Label: "dob_1jan", PersonID: "a2", Flag: FlagHold, Matched: "a1", Candidates: 3, Peers: []string{"a1"}, CandidatesKnown: true},
		// B's second enrolment was decided first: its first one names it.
		{EventID: "e3", Cluster: "B", Label: "first", PersonID: "b1", Flag: FlagAlert, Matched: "b2", Candidates: 2, Peers: []string{"b2"}, CandidatesKnown: true},
		{EventID: "e4", Cluster: "B", Label: "name_chh", PersonID: "b2", CandidatesKnown: true},
		{EventID: "e5", Cluster: "C", Label: "first", PersonID: "c1", CandidatesKnown: true},
		{EventID: "e6", Cluster: "C", Label: "name_chh", PersonID: "c2", Candidates: 5, Peers: []string{"c1"}, CandidatesKnown: true},
		{EventID: "e7", Cluster: "D", Label: "first", PersonID: "d1", CandidatesKnown: true},
		{EventID: "e8", Cluster: "D", Label: "dob_1jan", PersonID: "d2", Candidates: 1, CandidatesKnown: true},
		// A namesake held against A's re-enrolment, decided at the same
		// time and held against the namesake.
		{EventID: "e9", Cluster: "E", Label: "neg_namesake", PersonID: "e1", Flag: FlagHold, Matched: "a2", Candidates: 4, CandidatesKnown: true},
		{EventID: "e9b", Cluster: "A", Label: "name_chh", PersonID: "a2", Flag: FlagHold, Matched: "e1", Candidates: 4, CandidatesKnown: true},
		{EventID: "e10", Cluster: "F", Label: "neg_cousin", PersonID: "f1", Flag: FlagAlert, Matched: "d1", Candidates: 4, CandidatesKnown: true},
		// Blocked by an exact rule: no person id, no pair.
		{EventID: "e11", Cluster: "A", Label: "dup_nid", CandidatesKnown: true},
	}
	r := CountPairs(ds)
	if r.Due != 4 || r.Found != 2 || r.Held != 1 || r.Candidates != 3 {
		t.Errorf("due %d found %d held %d candidates %d, want 4 2 1 3", r.Due, r.Found, r.Held, r.Candidates)
	}
	if r.Holds != 3 || r.HoldsTrue != 1 || r.Alerts != 2 || r.AlertsTrue != 1 {
		t.Errorf("holds %d/%d alerts %d/%d, want 1/3 and 1/2", r.HoldsTrue, r.Holds, r.AlertsTrue, r.Alerts)
	}
	if r.BothHeld != 1 || r.BothHeldWrong != 1 {
		t.Errorf("both held %d (wrong %d), want 1 (1)", r.BothHeld, r.BothHeldWrong)
	}
	want := map[Label]KindPairs{"dob_1jan": {"dob_1jan", 2, 1, 1, 1}, "name_chh": {"name_chh", 2, 1, 0, 2}}
	for _, k := range r.ByKind {
		if k != want[k.Kind] {
			t.Errorf("kind %s: %+v, want %+v", k.Kind, k, want[k.Kind])
		}
	}
	if len(r.ByKind) != 2 {
		t.Errorf("kinds %+v", r.ByKind)
	}
	if len(r.Negatives) != 3 || r.Negatives[0].Label != "name_chh" || r.Negatives[0].Holds != 1 ||
		r.Negatives[1].Label != "neg_cousin" || r.Negatives[1].Alerts != 1 || r.Negatives[2].Holds != 1 {
		t.Errorf("negatives %+v", r.Negatives)
	}
	if r.P99Candidates != 5 || r.Enrolment != 11 {
		t.Errorf("p99 %d over %d enrolments, want 5 over 11", r.P99Candidates, r.Enrolment)
	}
	if s := r.String(); !strings.Contains(s, "recall 0.5000") || !strings.Contains(s, "blocking recall: 0.7500") {
		t.Errorf("report:\n%s", s)
	}
}
