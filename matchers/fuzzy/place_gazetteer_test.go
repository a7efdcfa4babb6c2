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

// With a places file, an upazila written in the other script or as its
// code is judged, so that a distributor cannot slip DISTRIBUTOR_FAR by
// writing the place another way; without one, such pairs stay unjudged.
func TestSameUpazilaByGazetteer(t *testing.T) {
	cases := []struct {
		a, b             string
		same, comparable bool // with the places file
	}{
		{"সাভার", "Savar", true, true},
		{"2672", "Savar", true, true},
		{"2672", "Dhamrai", false, true},
		{"সাভার", "Dhamrai", false, true},
		{"Savar", "savar", true, true},
		{"Savar", "Kaliakair", false, true}, // one unknown: by spelling, as before
		{"সাভার", "Kaliakair", false, false},
	}
	if _, comparable := SameUpazila("2672", "Dhamrai"); comparable {
		t.Error("without a places file a code was judged against a name")
	}
	g, err := domain.ParsePlaces(strings.NewReader("division,district,upazila,union,name_en,name_bn,also\n"+
		"30,26,72,,Savar,সাভার,\n30,26,14,,Dhamrai,ধামরাই,\n"), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	old := domain.UsePlaces(g)
	defer domain.UsePlaces(old)
	for _, tc := range cases {
		if same, comparable := SameUpazila(tc.a, tc.b); same != tc.same || comparable != tc.comparable {
			t.Errorf("SameUpazila(%q, %q) = %v, %v; want %v, %v", tc.a, tc.b, same, comparable, tc.same, tc.comparable)
		}
	}
}
