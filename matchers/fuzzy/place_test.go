package fuzzy

import (
	"strings"
	"testing"
)

func TestDistrictCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"26", "26", true},
		{"২৬", "26", true},
		{"1", "01", true},
		{"Dhaka", "26", true},
		{"ঢাকা", "26", true},
		{" dhaka ", "26", true},
		{"Jashore", "41", true},
		{"Jessore", "41", true},
		{"যশোর", "41", true},
		{"Chattogram", "15", true},
		{"Chittagong", "15", true},
		{"চট্টগ্রাম", "15", true},
		{"Cox's Bazar", "22", true},
		{"কক্সবাজার", "22", true},
		{"Chapai Nawabganj", "70", true},
		{"চাঁপাইনবাবগঞ্জ", "70", true},
		{"Mymensingh", "61", true},
		{"ময়মনসিংহ", "61", true},
		{"Naogaon", "64", true},
		{"নওগাঁ", "64", true},
		{"Sylhet", "91", true},
		{"সিলেট", "91", true},
		{"Atlantis", "", false},
		{"123", "123", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := DistrictCode(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("DistrictCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestDistrictTable checks that the table has the 64 districts, that no
// spelling of one district folds to the key of another and that each
// spelling finds its district as written and by its key.
func TestDistrictTable(t *testing.T) {
	codes := map[string]bool{}
	owner := map[string]string{}
	for _, line := range strings.Split(districtTable, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 3 || len(f[0]) != 2 {
			t.Fatalf("bad line %q", line)
		}
		codes[f[0]] = true
		for _, n := range f[1:] {
			k := placeKey(n)
			if k == "" {
				t.Errorf("%s folds to an empty key", n)
			}
			if o, ok := owner[k]; ok && o != f[0] {
				t.Errorf("%s (%s) shares key %q with district %s", n, f[0], k, o)
			}
			owner[k] = f[0]
			// The name as written and its place key find one code.
			if c, ok := DistrictCode(n); !ok || c != f[0] || districtCodes().byKey[k] != f[0] {
				t.Errorf("DistrictCode(%q) = %q, %v; key %q finds %q; want %s", n, c, ok, k, districtCodes().byKey[k], f[0])
			}
		}
	}
	if len(codes) != 64 {
		t.Errorf("%d districts, want 64", len(codes))
	}
}

func TestPlaceKeyAcrossScripts(t *testing.T) {
	tests := []struct{ en, bn string }{
		{"Savar", "সাভার"},
		{"Jashore Sadar", "যশোর সদর"},
		{"Jhikargachha", "ঝিকরগাছা"},
		{"Damurhuda", "দামুড়হুদা"},
		{"Sonargaon", "সোনারগাঁও"},
		{"Saidpur", "সৈয়দপুর"},
		{"Sirajganj Sadar", "সিরাজগঞ্জ সদর"},
	}
	for _, tt := range tests {
		t.Run(tt.en, func(t *testing.T) {
			if a, b := placeKey(tt.en), placeKey(tt.bn); a != b {
				t.Errorf("placeKey(%q) = %q, placeKey(%q) = %q; want equal", tt.en, a, tt.bn, b)
			}
		})
	}
	if a, b := placeKey("Savar"), placeKey("Dhamrai"); a == b {
		t.Errorf("Savar and Dhamrai share key %q", a)
	}
}

// TestNIDDistrict: the district code that opens an NID, with or without
// its birth year, is a BBS district's; a smart-card number and a code no
// district has name none.
func TestNIDDistrict(t *testing.T) {
	for nid, want := range map[string]string{
		"19502612345678901": "26", "2612345678901": "26", "3312345678901": "33",
		"4444001111": "", "0012345678901": "", "19500012345678901": "", "": "",
	} {
		if got := NIDDistrict(nid); got != want {
			t.Errorf("NIDDistrict(%q) = %q, want %q", nid, got, want)
		}
	}
	if got := DistrictName("26"); got != "Dhaka" {
		t.Errorf("DistrictName(26) = %q", got)
	}
	if n := len(districtNames()); n != 64 {
		t.Errorf("%d districts, want 64", n)
	}
}

func TestSameUpazila(t *testing.T) {
	tests := []struct {
		a, b             string
		same, comparable bool
	}{
		{"Savar", "সাভার", true, true},
		{"Savar", " savar ", true, true},
		{"Savar", "Dhamrai", false, true},
		{"সাভার", "ধামরাই", false, true},
		{"Savar", "ধামরাই", false, false},
		{"Chandpur Sadar", "চাঁদপুর সদর", false, false},
		{"72", "৭২", true, true},
		{"72", "Savar", false, false},
		{"", "Savar", false, false},
	}
	for _, tc := range tests {
		same, comparable := SameUpazila(tc.a, tc.b)
		if same != tc.same || comparable != tc.comparable {
			t.Errorf("SameUpazila(%q, %q) = %v, %v; want %v, %v", tc.a, tc.b, same, comparable, tc.same, tc.comparable)
		}
	}
}
