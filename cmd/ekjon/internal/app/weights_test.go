package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// TestPolicyMatchWeights: a policy file's match weights reach the matcher
// the workers decide with; a level the scorer does not have, or weights
// that make a field's levels sum past one, stop the start with the reason.
func TestPolicyMatchWeights(t *testing.T) {
	write := func(weights string) string {
		path := filepath.Join(t.TempDir(), "policy.yaml")
		if err := os.WriteFile(path, append(domain.DefaultPolicyYAML(), "match_weights:\n"+weights...), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg := DefaultConfig()
	cfg.Rules.PolicyFile = write("  - {field: dob, level: year_off_by_one, m: 0.05, u: 0.09}\n")
	p, err := cfg.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.IndexConfig(p).Fuzzy.Model.DOB.YearOff1; got.M != 0.05 || got.U != 0.09 {
		t.Fatalf("the index decides with dob year_off_by_one %+v, want m 0.05 u 0.09", got)
	}
	for weights, want := range map[string]string{
		"  - {field: dob, level: year_off_by_nine, m: 0.05, u: 0.09}\n": "no such comparison level",
		"  - {field: gender, level: same, m: 0.5, u: 0.9}\n":            "sum",
	} {
		cfg.Rules.PolicyFile = write(weights)
		if _, err := cfg.Policy(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want one saying %q", strings.TrimSpace(weights), err, want)
		}
	}
}
