package fuzzy

import (
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// The matcher keeps its own district table, because the codes it folds
// district names to are in the index's keys: the gazetteer knows more
// spellings, and taking them would move records between blocks. The two
// must still agree on every district the matcher knows, by code and by
// each of its names.
func TestDistrictTableAgreesWithGazetteer(t *testing.T) {
	g := domain.Places()
	seen := map[string]bool{}
	for _, line := range strings.Split(districtTable, "\n") {
		f := strings.Split(line, "|")
		seen[f[0]] = true
		for _, name := range f[1:] {
			p, ok := g.Find(domain.LevelDistrict, name)
			if !ok || p.Code != f[0] {
				t.Errorf("%q: the matcher says %s, the gazetteer %+v %v", name, f[0], p, ok)
			}
			if code, ok := DistrictCode(name); !ok || code != f[0] {
				t.Errorf("%q: DistrictCode %s %v, want %s", name, code, ok, f[0])
			}
		}
	}
	for _, p := range g.Places(domain.LevelDistrict) {
		if !seen[p.Code] {
			t.Errorf("the matcher lacks district %s (%s)", p.Code, p.NameEN)
		}
		if DistrictName(p.Code) == "" {
			t.Errorf("no name for %s", p.Code)
		}
	}
}
