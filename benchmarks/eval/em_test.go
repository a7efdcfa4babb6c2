package eval

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ekjon/ekjon/benchmarks/registry"
	"github.com/ekjon/ekjon/benchmarks/synth"
)

// TestEMSessionRecoversM draws comparison vectors from a known
// two-class model (two fields of two levels, independent given the class)
// and checks that EM with u fixed finds the m it was drawn with and the
// share of matches.
func TestEMSessionRecoversM(t *testing.T) {
	// Levels: 0,1 of field a; 2,3 of field b.
	order := []levelRef{{"a", "same"}, {"a", "different"}, {"b", "same"}, {"b", "different"}}
	fieldOf := map[string]int{"a": 0, "b": 1}
	trueM := []float64{0.9, 0.1, 0.8, 0.2}
	u := []float64{0.05, 0.95, 0.1, 0.9}
	rng := rand.New(rand.NewPCG(1, 2))
	var pairs [][]int16
	for range 200_000 {
		p := u
		if rng.Float64() < 0.3 {
			p = trueM
		}
		v := []int16{1, 3}
		if rng.Float64() < p[0] {
			v[0] = 0
		}
		if rng.Float64() < p[2] {
			v[1] = 2
		}
		pairs = append(pairs, v)
	}
	start := []float64{0.6, 0.4, 0.6, 0.4}
	r := emSession(pairs, func([]int16) bool { return true }, map[int]bool{}, start, u, 4, fieldOf, order)
	for i := range trueM {
		if math.Abs(r.m[i]-trueM[i]) > 0.02 {
			t.Errorf("m[%d] = %.4f, want %.2f", i, r.m[i], trueM[i])
		}
	}
	if math.Abs(r.Lambda-0.3) > 0.02 {
		t.Errorf("share of matches %.4f, want 0.3", r.Lambda)
	}
}

// TestEstimateEMGivesAValidModel estimates on a small registry-style
// population and checks that the estimated model validates, keeps the
// thresholds, and changed the levels pairs met.
func TestEstimateEMGivesAValidModel(t *testing.T) {
	rc := registry.DefaultConfig()
	rc.Persons = 3000
	g, err := registry.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	var events bytes.Buffer
	if err := synth.WriteJSONL(&events, nil, g.Enrolments()); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	est, err := EstimateEM(context.Background(), &events, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if est.Pairs == 0 || len(est.Sessions) != 2 {
		t.Fatalf("estimate: %d pairs, sessions %+v", est.Pairs, est.Sessions)
	}
	m := est.Model()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if m.Hold != cfg.Fuzzy.Model.Hold || m.Review != cfg.Fuzzy.Model.Review {
		t.Error("the estimate changed the thresholds")
	}
	changed := 0
	for _, l := range est.Levels {
		if l.Changed {
			changed++
		}
		if l.Pairs == 0 && l.Changed {
			t.Errorf("%s/%s changed without a pair", l.Field, l.Level)
		}
	}
	if changed < 10 {
		t.Errorf("%d levels estimated", changed)
	}
}
