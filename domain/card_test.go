package domain

import (
	"strings"
	"testing"
)

func TestDistributorScopeAllows(t *testing.T) {
	savar := DistributorScope{Programmes: []string{"old_age", "widow"}, Areas: []string{"Savar", "26"}, Devices: []string{"tab-1"}}
	all := DistributorScope{Programmes: []string{"*"}, Areas: []string{"*"}}
	for _, c := range []struct {
		name                                 string
		scope                                DistributorScope
		programme, district, upazila, device string
		want                                 bool
	}{
		{"in scope", savar, "old_age", "Dhaka", "Savar", "tab-1", true},
		{"area by district code", savar, "widow", "26", "", "tab-1", true},
		{"area case and spaces", savar, "widow", "", " savar ", "tab-1", true},
		{"other programme", savar, "vgd", "Dhaka", "Savar", "tab-1", false},
		{"other area", savar, "old_age", "Sylhet", "Sylhet Sadar", "tab-1", false},
		{"other device", savar, "old_age", "Dhaka", "Savar", "tab-2", false},
		{"no location", savar, "old_age", "", "", "tab-1", false},
		{"everything", all, "vgf", "Sylhet", "", "any", true},
		{"no scope at all", DistributorScope{}, "old_age", "Dhaka", "Savar", "", false},
		{"empty programme never matches a list", savar, "", "Dhaka", "Savar", "tab-1", false},
	} {
		if got := c.scope.Allows(c.programme, Location{District: c.district, Upazila: c.upazila}, c.device); got != c.want {
			t.Errorf("%s: Allows = %v, want %v", c.name, got, c.want)
		}
	}
}

// scopePlaces is a places file for the scope tests: Savar and Nawabganj,
// upazilas of Dhaka; a union of Savar; an upazila of Sylhet.
const scopePlaces = `division,district,upazila,union,name_en,name_bn
,26,72,,Savar,সাভার
,26,72,17,Ashulia,আশুলিয়া
,26,62,,Nawabganj,নবাবগঞ্জ
,91,14,,Sylhet Sadar,সিলেট সদর
`

func TestDistributorScopeByPlace(t *testing.T) {
	file, err := ParsePlaces(strings.NewReader(scopePlaces), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	embedded := NewGazetteer()
	scope := func(areas ...string) DistributorScope {
		return DistributorScope{Programmes: []string{"old_age"}, Areas: areas}
	}
	for _, c := range []struct {
		name              string
		g                 *Gazetteer
		scope             DistributorScope
		district, upazila string
		want              bool
	}{
		// One district, every spelling of it.
		{"district by English name, place in Bangla", embedded, scope("Dhaka"), "ঢাকা", "", true},
		{"district by English name, place by code", embedded, scope("Dhaka"), "26", "Savar", true},
		{"district by Bangla name, place in English", embedded, scope("ঢাকা"), "Dhaka District", "", true},
		{"district by code, place in Bangla", embedded, scope("26"), "ঢাকা", "", true},
		{"district by Bangla digits", embedded, scope("২৬"), "Dhaka", "", true},
		{"district by its old spelling", embedded, scope("Chittagong"), "চট্টগ্রাম", "", true},
		// A spelling that finds another place must not get in.
		{"another district", embedded, scope("Dhaka"), "Gazipur", "", false},
		{"an upazila written as the district, in another district", embedded, scope("Dhaka"), "Gazipur", "Dhaka", false},
		{"a code that is another district", embedded, scope("Dhaka"), "30", "", false},
		{"a district's former name", embedded, scope("Dhaka"), "Nawabganj", "", false},
		{"unknown place", embedded, scope("Dhaka"), "Dhakka", "", false},
		{"no place", embedded, scope("Dhaka"), "", "", false},
		{"unknown place, everywhere allowed", embedded, scope("*"), "Dhakka", "", true},
		// Divisions cover their districts, but only when named as such:
		// "Dhaka" is the district, the inner of the two.
		{"division by level", embedded, scope("division:Dhaka"), "Gazipur", "", true},
		{"division by its word", embedded, scope("ঢাকা বিভাগ"), "গাজীপুর", "", true},
		{"division by code and level", embedded, scope("division:30"), "Feni", "", false},
		{"a bare name is the district", embedded, scope("Dhaka"), "Gazipur", "", false},
		// Ambiguous areas match only their spelling.
		{"30 is Dhaka division and Feni district", embedded, scope("30"), "Feni", "", false},
		{"30 is not Dhaka either", embedded, scope("30"), "Dhaka", "", false},
		{"30 matches 30", embedded, scope("30"), "30", "", true},
		{"Nawabganj is not Chapai Nawabganj", embedded, scope("Nawabganj"), "Chapai Nawabganj", "", false},
		{"Nawabganj by Bangla name neither", embedded, scope("Nawabganj"), "চাঁপাইনবাবগঞ্জ", "", false},
		{"Nawabganj with a file, not Chapai Nawabganj", file, scope("Nawabganj"), "70", "", false},
		{"Nawabganj with a file, not Dhaka's in Bangla", file, scope("Nawabganj"), "Dhaka", "নবাবগঞ্জ", false},
		{"Nawabganj matches its spelling", file, scope("Nawabganj"), "Dhaka", "nawabganj", true},
		{"the district by its level", embedded, scope("district:Nawabganj"), "চাঁপাইনবাবগঞ্জ", "", true},
		{"the upazila by its level", file, scope("upazila:Nawabganj"), "ঢাকা", "নবাবগঞ্জ", true},
		{"the upazila by its level, not the district", file, scope("upazila:Nawabganj"), "Chapai Nawabganj", "", false},
		// Upazilas and unions by the places file.
		{"upazila by name, place in Bangla", file, scope("Savar"), "ঢাকা", "সাভার", true},
		{"upazila by code, place by its own digits", file, scope("2672"), "26", "72", true},
		{"upazila, another in its district", file, scope("Savar"), "Dhaka", "Nawabganj", false},
		{"upazila, its name under another district", file, scope("Savar"), "Gazipur", "Savar", false},
		{"upazila, the district alone", file, scope("Savar"), "Dhaka", "", false},
		{"district covers its upazila", file, scope("Dhaka"), "Dhaka", "Savar", true},
		{"union", file, scope("Ashulia"), "Dhaka", "Savar", false},
		// Unknown areas match only their spelling.
		{"unknown upazila by spelling", embedded, scope("Savar"), "Dhaka", " savar ", true},
		{"unknown upazila, other script", embedded, scope("Savar"), "Dhaka", "সাভার", false},
		{"unknown area, unknown place", embedded, scope("Ghoshpara"), "Dhakka", "", false},
	} {
		if got := c.scope.AllowsIn(c.g, "old_age", Location{District: c.district, Upazila: c.upazila}, ""); got != c.want {
			t.Errorf("%s: %v at %q/%q: Allows = %v, want %v (%s)", c.name, c.scope.Areas, c.district, c.upazila, got, c.want, c.g.ScopeArea(c.scope.Areas[0]))
		}
	}
}

// unionPlaces is a places file for the union tests: three unions of
// Savar, two of which English lists both write Natai; an Ashulia in
// Gazipur too, so that the name alone finds neither.
const unionPlaces = `division,district,upazila,union,name_en,name_bn
,26,72,,Savar,সাভার
,26,72,17,Ashulia,আশুলিয়া
,26,72,20,Dhamsona,ধামসোনা
,26,72,31,Natai,উত্তর নাটাই
,26,72,32,Natai,দক্ষিণ নাটাই
,33,30,,Gazipur Sadar,গাজীপুর সদর
,33,30,17,Ashulia,আশুলিয়া
`

// TestDistributorScopeByUnion: a distributor bound to a union serves
// where the location names that union, in any script or by code, and
// nowhere else; one bound to its upazila or district serves there too.
func TestDistributorScopeByUnion(t *testing.T) {
	g, err := ParsePlaces(strings.NewReader(unionPlaces), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	scope := func(area string) DistributorScope {
		return DistributorScope{Programmes: []string{"old_age"}, Areas: []string{area}}
	}
	for _, c := range []struct {
		name string
		area string
		at   Location
		want bool
	}{
		{"by names in English", "267217", Location{"Dhaka", "Savar", "Ashulia"}, true},
		{"by names in Bangla", "267217", Location{"ঢাকা", "সাভার", "আশুলিয়া"}, true},
		{"by codes, each within its parent", "267217", Location{"26", "72", "17"}, true},
		{"by the union's code alone", "267217", Location{"", "", "267217"}, true},
		{"by the union's code with its division's", "267217", Location{"", "", "30267217"}, true},
		{"by Bangla digits", "267217", Location{"", "", "২৬৭২১৭"}, true},
		{"by name within its district", "267217", Location{"Dhaka", "", "Ashulia"}, true},
		{"area by name and level within the file", "union:267217", Location{"Dhaka", "Savar", "আশুলিয়া"}, true},
		// Outside the union.
		{"another union of the upazila", "267217", Location{"Dhaka", "Savar", "Dhamsona"}, false},
		{"the upazila without a union", "267217", Location{"Dhaka", "Savar", ""}, false},
		{"the union's namesake in another district", "267217", Location{"Gazipur", "Gazipur Sadar", "Ashulia"}, false},
		{"the union's code under another district", "267217", Location{"Gazipur", "", "267217"}, false},
		{"the union's code under another upazila", "267217", Location{"Dhaka", "Gazipur Sadar", "267217"}, false},
		{"the union's code with another division's", "267217", Location{"", "", "40267217"}, false},
		{"a name two districts' unions bear", "267217", Location{"", "", "Ashulia"}, false},
		{"a name two unions of the upazila bear", "267231", Location{"Dhaka", "Savar", "Natai"}, false},
		{"the other Natai by code", "267231", Location{"Dhaka", "Savar", "32"}, false},
		{"one Natai by its Bangla name", "267231", Location{"Dhaka", "Savar", "উত্তর নাটাই"}, true},
		// Larger areas cover their unions.
		{"upazila covers its union, given alone", "Savar", Location{"", "", "267217"}, true},
		{"upazila covers a union given in Bangla", "সাভার", Location{"Dhaka", "", "আশুলিয়া"}, true},
		{"upazila, the union of another", "Savar", Location{"", "", "333017"}, false},
		{"upazila covers an ambiguous union's place", "Savar", Location{"Dhaka", "Savar", "Natai"}, true},
		{"district covers its union", "Dhaka", Location{"", "", "267217"}, true},
		{"district, a union of another", "Dhaka", Location{"", "", "333017"}, false},
		// An ambiguous area covers only its spelling, at its level.
		{"ambiguous union name, same spelling", "union:Ashulia", Location{"Dhaka", "Savar", "ashulia"}, true},
		{"ambiguous union name, other script", "union:Ashulia", Location{"Dhaka", "Savar", "আশুলিয়া"}, false},
		{"ambiguous union name, not the upazila", "union:Natai", Location{"Dhaka", "Natai", ""}, false},
	} {
		if got := scope(c.area).AllowsIn(g, "old_age", c.at, ""); got != c.want {
			t.Errorf("%s: %q at %+v: Allows = %v, want %v (%s)", c.name, c.area, c.at, got, c.want, g.ScopeArea(c.area))
		}
	}
}

func TestScopeAreaSays(t *testing.T) {
	file, err := ParsePlaces(strings.NewReader(scopePlaces), "places.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		g           *Gazetteer
		area, level string
		code        string
		problem     string
	}{
		{NewGazetteer(), "Dhaka", LevelDistrict, "26", ""},
		{NewGazetteer(), "Dhaka division", LevelDivision, "30", ""},
		{NewGazetteer(), "30", "", "", "ambiguous"},
		{NewGazetteer(), "Nawabganj", "", "", "ambiguous"},
		{NewGazetteer(), "Savar", "", "", "unknown"},
		{file, "Savar", LevelUpazila, "2672", ""},
		{file, "আশুলিয়া", LevelUnion, "267217", ""},
		{file, "Nawabganj", "", "", "ambiguous"},
	} {
		a := c.g.ScopeArea(c.area)
		if a.Level != c.level || a.Place.Code != c.code || !strings.HasPrefix(a.Problem, c.problem) {
			t.Errorf("%q: %s", c.area, a)
		}
	}
}

// BenchmarkDistributorScopeAllows is the scope check a scan pays: two
// areas read through the gazetteer and the scan's place found in it.
func BenchmarkDistributorScopeAllows(b *testing.B) {
	g, err := ParsePlaces(strings.NewReader(scopePlaces), "places.csv")
	if err != nil {
		b.Fatal(err)
	}
	sc := DistributorScope{Programmes: []string{"old_age"}, Areas: []string{"Sylhet", "Savar"}}
	for i := 0; i < b.N; i++ {
		if !sc.AllowsIn(g, "old_age", Location{District: "ঢাকা", Upazila: "সাভার"}, "") {
			b.Fatal("Savar is in scope")
		}
	}
}
