package score

import "testing"

// TestQueryTotal checks that a Query, with its table of weights, scores
// every pair exactly as Model.Score does, and that Total stops at the
// pairs whose own names are far, with and without term frequencies,
// across the scenarios' records.
func TestQueryTotal(t *testing.T) {
	if nSlots > 128 {
		t.Fatalf("%d slots of weights, more than the 128 bits that mark them taken", nSlots)
	}
	m := DefaultModel()
	var recs []*Record
	for _, sc := range scenarios() {
		recs = append(recs, &sc.a, &sc.b)
	}
	for _, tf := range []TermFreq{nil, population(t)} {
		for _, a := range recs {
			q := m.Query(a, tf)
			for _, b := range recs {
				want := m.Score(a, b, tf)
				total, ok := q.Total(b)
				far := want.Level(FieldName) == LevelFar
				switch {
				case ok == far:
					t.Fatalf("Total ok = %v for names %s\n%s", ok, want.Level(FieldName), want)
				case ok && total != want.Total:
					t.Fatalf("Total = %v, Score's total %v\n%s", total, want.Total, want)
				}
				if got := q.Score(b); got.Total != want.Total || got.Explain() != want.Explain() {
					t.Fatalf("Query.Score = %s, Model.Score %s", got, want)
				}
			}
		}
	}
}

func TestQueryTotalAllocs(t *testing.T) {
	m := DefaultModel()
	tf := population(t)
	sc := scenarios()[0]
	q := m.Query(&sc.a, tf)
	if n := testing.AllocsPerRun(100, func() { q.Total(&sc.b) }); n != 0 {
		t.Errorf("Total allocates %v times per pair", n)
	}
}
