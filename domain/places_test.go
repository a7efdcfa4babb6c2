package domain

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

func TestGazetteerFinds(t *testing.T) {
	g := NewGazetteer()
	if n := len(g.Places(LevelDivision)); n != 8 {
		t.Errorf("%d divisions, want 8", n)
	}
	if n := len(g.Places(LevelDistrict)); n != 64 {
		t.Errorf("%d districts, want 64", n)
	}
	seen := map[string]bool{}
	for _, p := range g.Places(LevelDistrict) {
		if seen[p.Code] {
			t.Errorf("district code %s twice", p.Code)
		}
		seen[p.Code] = true
		if _, ok := g.Find(LevelDivision, p.Parent); !ok {
			t.Errorf("%s: division %s unknown", p.NameEN, p.Parent)
		}
	}
	for _, c := range []struct{ level, in, code string }{
		{LevelDistrict, "Dhaka", "26"}, {LevelDistrict, "ঢাকা", "26"}, {LevelDistrict, "26", "26"},
		{LevelDistrict, "২৬", "26"}, {LevelDistrict, " dhaka ", "26"}, {LevelDistrict, "DHAKA DISTRICT", "26"},
		{LevelDistrict, "ঢাকা জেলা", "26"},
		{LevelDistrict, "Chittagong", "15"}, {LevelDistrict, "Chattogram", "15"}, {LevelDistrict, "চট্টগ্রাম", "15"},
		{LevelDistrict, "Comilla", "19"}, {LevelDistrict, "Cumilla", "19"},
		{LevelDistrict, "Barisal", "06"}, {LevelDistrict, "Barishal", "06"}, {LevelDistrict, "6", "06"},
		{LevelDistrict, "Jessore", "41"}, {LevelDistrict, "Jashore", "41"},
		{LevelDistrict, "Bogra", "10"}, {LevelDistrict, "Bogura", "10"},
		{LevelDistrict, "\u09ac\u0997\u09c1\u09a1\u09bc\u09be", "10"}, // বগুড়া with da + nukta
		{LevelDistrict, "Cox's Bazar", "22"}, {LevelDistrict, "Coxsbazar", "22"}, {LevelDistrict, "cox’s bazar", "22"},
		{LevelDistrict, "Chapai-Nawabganj", "70"},
		{LevelDivision, "Dhaka", "30"}, {LevelDivision, "Chittagong", "20"}, {LevelDivision, "বরিশাল বিভাগ", "10"},
		{LevelDivision, "45", "45"},
	} {
		p, ok := g.Find(c.level, c.in)
		if !ok || p.Code != c.code {
			t.Errorf("%s %q: found %+v %v, want code %s", c.level, c.in, p, ok, c.code)
		}
	}
	for _, c := range []struct{ level, in string }{
		{LevelDistrict, "Atlantis"}, {LevelDistrict, "99"}, {LevelDistrict, ""}, {LevelDivision, "26"},
		{LevelDistrict, "2 6"}, {"upazila", "Savar"},
	} {
		if p, ok := g.Find(c.level, c.in); ok {
			t.Errorf("%s %q found %+v", c.level, c.in, p)
		}
	}
	if got := g.Code(LevelDistrict, " Atlantis "); got != "Atlantis" {
		t.Errorf("unknown place stored as %q", got)
	}
	if got := g.Label(LevelDistrict, "২৬"); got != "Dhaka (ঢাকা)" {
		t.Errorf("label %q", got)
	}
}

// The table agrees with the published BBS district codes, when the
// reference data is beside the repository (it is not part of it).
func TestGazetteerAgreesWithBBS(t *testing.T) {
	var path string
	for _, p := range []string{
		filepath.Join("..", "..", "shared", "data", "bangladesh-geocode", "district_bbs_geocodes.csv"),
		"/work/shared/data/bangladesh-geocode/district_bbs_geocodes.csv",
	} {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("no reference data beside the repository")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	g := NewGazetteer()
	for _, r := range rows[1:] {
		divEN, divBN, divCode, code, en, bn := r[2], r[3], r[4], r[5], r[7], r[8]
		p, ok := g.Find(LevelDistrict, code)
		switch {
		case !ok:
			t.Errorf("%s (%s): no district with code %s", en, bn, code)
			continue
		case p.Parent != divCode:
			t.Errorf("%s: division %s, BBS says %s", en, p.Parent, divCode)
		}
		for _, name := range []string{en, bn} {
			if q, ok := g.Find(LevelDistrict, name); !ok || q.Code != code {
				t.Errorf("%q: found %+v %v, BBS code %s", name, q, ok, code)
			}
		}
		for _, name := range []string{divEN, divBN} {
			if q, ok := g.Find(LevelDivision, name); !ok || q.Code != divCode {
				t.Errorf("division %q: found %+v %v, BBS code %s", name, q, ok, divCode)
			}
		}
	}
	if len(rows)-1 != 64 {
		t.Errorf("reference has %d districts", len(rows)-1)
	}
}
