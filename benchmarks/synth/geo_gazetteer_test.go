package synth

import (
	"bytes"
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

// The generator's places file loads, and reads every address the
// generator writes, by code, in Bangla or in English, as one known area
// of its district.
func TestWritePlacesReadsGeneratedAddresses(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePlaces(&buf); err != nil {
		t.Fatal(err)
	}
	g, err := domain.ParsePlaces(&buf, "synth-places.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Notes) != 0 {
		t.Errorf("notes: %+v", g.Notes)
	}
	geo := parseGeography()
	for _, d := range geo.districts {
		for _, u := range d.upazilas {
			keys := map[string]bool{}
			for _, a := range []domain.Area{
				{District: d.code, Upazila: u.code, Union: geo.places[3].en},
				{District: d.bn, Upazila: u.bn, Union: geo.places[3].bn},
				{District: d.en, Upazila: u.en, Union: geo.places[3].en},
			} {
				p := g.PlaceArea(a)
				if len(p.Unknown) != 0 {
					t.Errorf("%+v: unknown %v", a, p.Unknown)
				}
				keys[p.Key] = true
			}
			if len(keys) != 1 {
				t.Errorf("%s %s: %d areas, want 1: %v", d.en, u.en, len(keys), keys)
			}
		}
	}
}
