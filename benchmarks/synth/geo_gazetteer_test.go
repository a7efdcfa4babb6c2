package synth

import (
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// The generator keeps its own geography (its spellings and weights shape
// the labelled data sets, which must not change under a benchmark), but
// every division and district it writes is one the gazetteer reads to
// the same BBS code.
func TestGeographyAgreesWithGazetteer(t *testing.T) {
	g := domain.Places()
	geo := parseGeography()
	if len(geo.districts) != 64 {
		t.Errorf("%d districts, want 64", len(geo.districts))
	}
	for _, d := range geo.districts {
		for _, name := range []string{d.code, d.en, d.bn} {
			if p, ok := g.Find(domain.LevelDistrict, name); !ok || p.Code != d.code || p.Parent != d.divCode {
				t.Errorf("district %q: the generator says %s in %s, the gazetteer %+v %v", name, d.code, d.divCode, p, ok)
			}
		}
		for _, name := range []string{d.division.en, d.division.bn} {
			if p, ok := g.Find(domain.LevelDivision, name); !ok || p.Code != d.divCode {
				t.Errorf("division %q: the generator says %s, the gazetteer %+v %v", name, d.divCode, p, ok)
			}
		}
	}
}
