package registry

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
)

func generate(t *testing.T, cfg Config) []synth.Record {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var recs []synth.Record
	for r := range g.Enrolments() {
		recs = append(recs, r)
	}
	return recs
}

// TestEveryKindValidAndLabelled generates a population and checks that
// every event is a valid enrolment, that every variation and hard
// negative occurs, that a re-enrolment follows its person's first record
// under another NID or none, and that hard negatives are persons of their
// own.
func TestEveryKindValidAndLabelled(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Persons = 20_000
	recs := generate(t, cfg)
	policy := domain.DefaultPolicy()
	byKind := map[Kind]int{}
	firstNID := map[string]string{}
	seen := map[string]bool{}
	for _, r := range recs {
		e, err := domain.DecodeEvent(r.Value, 0)
		if err == nil {
			err = domain.Validate(e, policy)
		}
		if err != nil {
			t.Fatalf("%s does not validate: %v\n%s", r.EventID, err, r.Value)
		}
		k := Kind(r.Truth.Pattern)
		byKind[k]++
		pid := r.Truth.PersonID
		switch {
		case slices.Contains(ReenrolmentKinds, k):
			if !seen[pid] {
				t.Fatalf("%s: a re-enrolment before its person's first record", r.EventID)
			}
			if e.Person.NID != "" && e.Person.NID == firstNID[pid] {
				t.Fatalf("%s: a re-enrolment under its first NID", r.EventID)
			}
			if r.Truth.Action != domain.ActionHold || len(r.Truth.Kinds) == 0 || r.Truth.Kinds[0] != string(k) {
				t.Fatalf("%s: truth %+v", r.EventID, r.Truth)
			}
		default:
			if seen[pid] {
				t.Fatalf("%s (%s): a second first record of %s", r.EventID, k, pid)
			}
			seen[pid] = true
			firstNID[pid] = e.Person.NID
		}
	}
	for _, k := range append(append([]Kind{KindFirst}, ReenrolmentKinds...), NegativeKinds...) {
		if byKind[k] < 10 {
			t.Errorf("kind %s: %d events, want at least 10 at %d persons", k, byKind[k], cfg.Persons)
		}
	}
}

// TestSameSeedSameBytes: a population is a function of its config.
func TestSameSeedSameBytes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Persons = 3000
	a, b := generate(t, cfg), generate(t, cfg)
	if len(a) != len(b) {
		t.Fatalf("%d and %d events", len(a), len(b))
	}
	for i := range a {
		ta, _ := json.Marshal(a[i].Truth)
		tb, _ := json.Marshal(b[i].Truth)
		if !bytes.Equal(a[i].Value, b[i].Value) || !bytes.Equal(ta, tb) {
			t.Fatalf("event %d differs", i)
		}
	}
	cfg.Seed = 2
	if c := generate(t, cfg); bytes.Equal(c[0].Value, a[0].Value) {
		t.Error("another seed gave the same first event")
	}
}

// TestVariationsShow checks a few kinds on the records themselves: a
// placeholder date is 1 January or 1 July, a year-off date differs from
// the first record's in the year, a move changes the district, and a
// same-phone re-enrolment carries its first record's phone.
func TestVariationsShow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Persons, cfg.SecondKindRate = 20_000, 0
	recs := generate(t, cfg)
	first := map[string]*domain.Person{}
	checked := map[Kind]int{}
	for _, r := range recs {
		e, err := domain.DecodeEvent(r.Value, 0)
		if err != nil {
			t.Fatal(err)
		}
		p, k := e.Person, Kind(r.Truth.Pattern)
		f := first[r.Truth.PersonID]
		if f == nil {
			first[r.Truth.PersonID] = p
			continue
		}
		ok := true
		switch k {
		case KindDOBJan:
			ok = strings.HasSuffix(p.DOB, "-01-01") != strings.HasSuffix(f.DOB, "-01-01")
		case KindDOBJul:
			ok = strings.HasSuffix(p.DOB, "-07-01") || strings.HasSuffix(f.DOB, "-07-01")
		case KindDOBMissing:
			ok = p.DOB == ""
		case KindDOBSwap:
			ok = p.DOB[:4] == f.DOB[:4] && p.DOB[5:7] == f.DOB[8:] && p.DOB[8:] == f.DOB[5:7] && p.DOB != f.DOB
		case KindDOBYear1, KindDOBYear2:
			ok = p.DOB[:4] != f.DOB[:4] && p.DOB[4:] == f.DOB[4:] || f.DOB == ""
		case KindMoved:
			ok = p.Address.District != f.Address.District
		case KindSamePhone:
			ok = p.Phone == f.Phone && p.DOB == f.DOB && p.Address.Union == f.Address.Union
		default:
			continue
		}
		checked[k]++
		if !ok {
			t.Errorf("%s (%s): first %+v %+v, again %+v %+v", r.EventID, k, f, f.Address, p, p.Address)
		}
	}
	if len(checked) != 8 {
		t.Errorf("checked kinds %v", checked)
	}
}

// TestIndependentOfTheMatcher: the generator describes registries, not
// the matcher it tests, so it imports nothing of matchers/.
func TestIndependentOfTheMatcher(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if strings.Contains(im.Path.Value, "/matchers") {
				t.Errorf("%s imports %s", f, im.Path.Value)
			}
		}
	}
}
