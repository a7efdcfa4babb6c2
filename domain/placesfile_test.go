package domain

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testPlaces is a places file of two upazilas of Dhaka district and two
// unions of one of them, the codes made up for the test.
const testPlaces = `division,district,upazila,union,name_en,name_bn,also
30,26,72,,Savar,সাভার,
30,26,14,,Dhamrai,ধামরাই,Dhamray
30,26,72,17,Ashulia,আশুলিয়া,Asulia
,26,72,23,Tetuljhora,তেঁতুলঝোড়া,Tetuljhara|Tetuljora
`

func parseTestPlaces(t *testing.T, text string) *Gazetteer {
	t.Helper()
	g, err := ParsePlaces(strings.NewReader(text), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A places file names upazilas and unions by their BBS codes: every
// spelling of one, and its code written any way, finds that code.
func TestPlacesFileMapsNamesToCodes(t *testing.T) {
	g := parseTestPlaces(t, testPlaces)
	if n := len(g.Places(LevelUpazila)); n != 2 {
		t.Errorf("%d upazilas, want 2", n)
	}
	if n := len(g.Places(LevelUnion)); n != 2 {
		t.Errorf("%d unions, want 2", n)
	}
	for _, c := range []struct{ level, parent, in, code string }{
		{LevelUpazila, "26", "Savar", "2672"}, {LevelUpazila, "26", "সাভার", "2672"}, {LevelUpazila, "26", "SAVAR upazila", "2672"},
		{LevelUpazila, "26", "72", "2672"}, {LevelUpazila, "26", "৭২", "2672"}, {LevelUpazila, "", "2672", "2672"},
		{LevelUpazila, "", "302672", "2672"}, {LevelUpazila, "26", "Dhamray", "2614"},
		{LevelUnion, "2672", "Ashulia", "267217"}, {LevelUnion, "2672", "আশুলিয়া", "267217"}, {LevelUnion, "2672", "17", "267217"},
		{LevelUnion, "26", "asulia", "267217"}, {LevelUnion, "", "267217", "267217"}, {LevelUnion, "2672", "Tetuljora", "267223"},
		// Names unique in the whole country are found without a parent.
		{LevelUpazila, "", "Savar", "2672"},
	} {
		p, ok := g.FindIn(c.level, c.parent, c.in)
		if !ok || p.Code != c.code {
			t.Errorf("%s %q in %q: %+v %v, want %s", c.level, c.in, c.parent, p, ok, c.code)
		}
	}
	for _, c := range []struct{ level, parent, in string }{
		{LevelUpazila, "26", "Keraniganj"}, {LevelUpazila, "15", "Savar"}, {LevelUpazila, "26", "73"},
		{LevelUnion, "2614", "Ashulia"}, {LevelUpazila, "", "402672"},
	} {
		if p, ok := g.FindIn(c.level, c.parent, c.in); ok {
			t.Errorf("%s %q in %q found %+v", c.level, c.in, c.parent, p)
		}
	}
	// The districts and divisions the file does not speak of are still
	// known.
	if p, ok := g.Find(LevelDistrict, "Chittagong"); !ok || p.Code != "15" {
		t.Errorf("Chittagong: %+v %v", p, ok)
	}
	if got := g.Label(LevelUpazila, "2672"); got != "Savar (সাভার)" {
		t.Errorf("label %q", got)
	}
}

// One union given by its English name, its Bangla name and its code is
// one area, stored by code and shown by one name.
func TestAreaGivenThreeWaysIsOneArea(t *testing.T) {
	g := parseTestPlaces(t, testPlaces)
	ways := []Area{
		{District: "Dhaka", Upazila: "Savar", Union: "Ashulia"},
		{District: "ঢাকা", Upazila: "সাভার", Union: "আশুলিয়া"},
		{District: "26", Upazila: "72", Union: "17"},
		{Union: "267217"},
	}
	var keys, labels []string
	for _, a := range ways {
		c := g.PlaceArea(a)
		if c.Area != (Area{Division: "30", District: "26", Upazila: "2672", Union: "267217"}) {
			t.Errorf("%+v stored as %+v", a, c.Area)
		}
		if len(c.Unknown) != 0 {
			t.Errorf("%+v: unknown %v", a, c.Unknown)
		}
		keys, labels = append(keys, c.Key), append(labels, c.Label)
	}
	if len(slices.Compact(slices.Clone(keys))) != 1 {
		t.Errorf("keys %q, want one", keys)
	}
	if want := "Ashulia (আশুলিয়া), Savar (সাভার), Dhaka (ঢাকা)"; labels[0] != want || len(slices.Compact(slices.Clone(labels))) != 1 {
		t.Errorf("labels %q, want %q", labels, want)
	}
	// An area stored before places were stored by code reads the same.
	if c := g.PlaceArea(Area{District: "dhaka district", Upazila: "SAVAR", Union: "Asulia"}); c.Key != keys[0] {
		t.Errorf("old row's key %q, want %q", c.Key, keys[0])
	}
}

// A place the gazetteer does not know is kept as given, never dropped
// or rejected, and flagged; its spellings that differ only in case,
// spaces or punctuation are one place within their district.
func TestUnknownPlacesKeptAndFlagged(t *testing.T) {
	g := NewGazetteer()
	a := g.PlaceArea(Area{District: "Dhaka", Upazila: "  Savar ", Union: "Ghosh-para"})
	if a.Area != (Area{Division: "30", District: "26", Upazila: "Savar", Union: "Ghosh-para"}) {
		t.Errorf("stored as %+v", a.Area)
	}
	if !slices.Equal(a.Unknown, []string{LevelUpazila, LevelUnion}) {
		t.Errorf("unknown %v, want upazila and union", a.Unknown)
	}
	if a.Label != "Ghosh-para, Savar, Dhaka (ঢাকা)" {
		t.Errorf("label %q", a.Label)
	}
	for _, same := range []Area{
		{District: "26", Upazila: "SAVAR", Union: "ghoshpara"},
		{District: "ঢাকা", Upazila: "savar", Union: "Ghosh Para"},
	} {
		if b := g.PlaceArea(same); b.Key != a.Key {
			t.Errorf("%+v: key %q, want %q", same, b.Key, a.Key)
		}
	}
	for _, other := range []Area{
		{District: "Gazipur", Upazila: "Savar", Union: "Ghoshpara"},
		{District: "Dhaka", Upazila: "Savar", Union: "Rampur"},
		{District: "Dhaka", Upazila: "11", Union: "Ghoshpara"},
	} {
		if b := g.PlaceArea(other); b.Key == a.Key {
			t.Errorf("%+v has the key of %+v", other, a.Area)
		}
	}
	u := g.PlaceArea(Area{District: "Atlantis", Upazila: "৭২"})
	if u.Area.District != "Atlantis" || u.Area.Upazila != "72" || !slices.Equal(u.Unknown, []string{LevelDistrict, LevelUpazila}) {
		t.Errorf("unknown district: %+v", u)
	}
}

// The reconciliation row of a distributor allotted one union three ways
// names one area.
func TestReconciliationAreasCollapse(t *testing.T) {
	g := parseTestPlaces(t, testPlaces)
	var r Reconciliation
	g.SettleAreas(&r, []Area{
		{District: "Dhaka", Upazila: "Savar", Union: "Ashulia"},
		{District: "ঢাকা", Upazila: "সাভার", Union: "আশুলিয়া"},
		{District: "26", Upazila: "72", Union: "17"},
	})
	if len(r.Areas) != 1 || r.Area != "Ashulia (আশুলিয়া), Savar (সাভার), Dhaka (ঢাকা)" || r.District != "26" || r.DistrictName != "Dhaka (ঢাকা)" {
		t.Errorf("%+v", r)
	}
	// Without the file, the first spelling stands for the rest.
	var w Reconciliation
	NewGazetteer().SettleAreas(&w, []Area{
		{District: "Dhaka", Upazila: "Savar", Union: "Ghoshpara"},
		{District: "26", Upazila: "SAVAR", Union: "ghosh para"},
		{District: "Dhaka", Upazila: "Savar", Union: "Rampur"},
	})
	if len(w.Areas) != 2 || w.Area != "Ghoshpara, Savar, Dhaka (ঢাকা); Rampur, Savar, Dhaka (ঢাকা)" || len(w.Areas[0].Unknown) != 2 {
		t.Errorf("%+v", w)
	}
}

// A bad places file names each problem with its line, and is not used.
func TestPlacesFileErrorsNameTheLine(t *testing.T) {
	bad := `division,district,upazila,union,name_en,name_bn,also
30,26,72,,Savar,সাভার,
30,99,11,,Nowhere,কোথাও,
20,26,14,,Dhamrai,ধামরাই,
30,26,7x,,Keraniganj,,
30,26,72,,Savar again,,
30,26,38,,,,
30,26,81,45,Orphan,,
30,26,14,,Dhamrai,ধামরাই,
`
	_, err := ParsePlaces(strings.NewReader(bad), "places.csv")
	var pe *PlacesFileError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want a PlacesFileError", err)
	}
	lines := map[int]string{}
	for _, p := range pe.Problems {
		lines[p.Line] = p.Msg
	}
	for line, want := range map[int]string{
		3: "district 99", 4: "division 20", 5: "7x", 6: "twice", 7: "name", 8: "upazila 2681",
	} {
		if !strings.Contains(lines[line], want) {
			t.Errorf("line %d: %q, want it to speak of %q", line, lines[line], want)
		}
	}
	if !strings.Contains(err.Error(), "places.csv:3: ") {
		t.Errorf("error %q does not name file and line", err)
	}
	for _, c := range []struct{ name, text, want string }{
		{"no header", "30,26,72,,Savar,সাভার,\n", "header"},
		{"missing column", "division,district,upazila,name_en\n", "union"},
		{"unknown column", "division,district,upazila,union,name_en,name_bn,also,pop\n", "pop"},
		{"ragged", "division,district,upazila,union,name_en,name_bn,also\n30,26,72\n", "p.csv:2: has 3 fields"},
		{"empty", "", "header"},
		{"no upazila", "division,district,upazila,union,name_en,name_bn,also\n30,26,,,Dhaka,ঢাকা,\n", "upazila"},
	} {
		_, err := ParsePlaces(strings.NewReader(c.text), "p.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "places.csv")
	if err := os.WriteFile(path, []byte(testPlaces), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := LoadPlacesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := g.FindIn(LevelUpazila, "26", "সাভার"); !ok || p.Code != "2672" {
		t.Errorf("loaded file: %+v %v", p, ok)
	}
	if _, err := LoadPlacesFile(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("a missing file loaded")
	}
}

// Two unions of one upazila may share a name (lists have North and South
// of one name under one English spelling): the file loads with a note,
// the shared name finds neither, and their codes and other names find
// each.
func TestPlacesFileSharedNames(t *testing.T) {
	g := parseTestPlaces(t, testPlaces+`30,26,72,31,Natai,নাটাই (উত্তর),
30,26,72,32,natai,নাটাই (দক্ষিণ),
`)
	if len(g.Notes) != 1 || g.Notes[0].Line != 7 || !strings.Contains(g.Notes[0].Msg, "267231") {
		t.Errorf("notes %+v, want one on line 7 naming union 267231", g.Notes)
	}
	if p, ok := g.FindIn(LevelUnion, "2672", "Natai"); ok {
		t.Errorf("the shared name found %+v", p)
	}
	for in, code := range map[string]string{"নাটাই (উত্তর)": "267231", "নাটাই দক্ষিণ": "267232", "32": "267232"} {
		if p, ok := g.FindIn(LevelUnion, "2672", in); !ok || p.Code != code {
			t.Errorf("%q: %+v %v, want %s", in, p, ok, code)
		}
	}
	if a := g.PlaceArea(Area{District: "26", Upazila: "72", Union: "Natai"}); a.Union != "Natai" || !slices.Equal(a.Unknown, []string{LevelUnion}) {
		t.Errorf("the shared name read as %+v", a)
	}
}

// UsePlaces makes a gazetteer the process's and gives the old one back.
func TestUsePlaces(t *testing.T) {
	g := parseTestPlaces(t, testPlaces)
	old := UsePlaces(g)
	defer UsePlaces(old)
	if Places() != g {
		t.Fatal("Places is not the one in use")
	}
	if UsePlaces(nil) != g || Places().Places(LevelUpazila) != nil {
		t.Error("UsePlaces(nil) does not bring back the embedded gazetteer")
	}
}
