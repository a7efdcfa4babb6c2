package fuzzy

import (
	"strings"
	"sync"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/names"
)

// districtTable lists Bangladesh's 64 districts: the two-digit BBS district
// code (the one that opens a 13-digit NID), then the names one office or
// another writes, English spellings old and new and the Bangla name, each
// separated by a bar. Offices send an address as names in either script or
// as BBS codes; mapping every form to the code lets one record's "ঢাকা" meet
// another's "Dhaka" or "26" in the location comparison and the blocks.
const districtTable = `01|Bagerhat|বাগেরহাট
03|Bandarban|বান্দরবান
04|Barguna|বরগুনা
06|Barishal|Barisal|বরিশাল
09|Bhola|ভোলা
10|Bogura|Bogra|বগুড়া
12|Brahmanbaria|ব্রাহ্মণবাড়িয়া
13|Chandpur|চাঁদপুর
15|Chattogram|Chittagong|চট্টগ্রাম
18|Chuadanga|চুয়াডাঙ্গা
19|Cumilla|Comilla|কুমিল্লা
22|Cox's Bazar|Coxsbazar|কক্সবাজার
26|Dhaka|ঢাকা
27|Dinajpur|দিনাজপুর
29|Faridpur|ফরিদপুর
30|Feni|ফেনী
32|Gaibandha|গাইবান্ধা
33|Gazipur|গাজীপুর
35|Gopalganj|গোপালগঞ্জ
36|Habiganj|হবিগঞ্জ
38|Joypurhat|Jaipurhat|জয়পুরহাট
39|Jamalpur|জামালপুর
41|Jashore|Jessore|যশোর
42|Jhalokati|Jhalakathi|Jhalokathi|ঝালকাঠি
44|Jhenaidah|Jhenaida|ঝিনাইদহ
46|Khagrachhari|Khagrachari|খাগড়াছড়ি
47|Khulna|খুলনা
48|Kishoreganj|Kishorganj|কিশোরগঞ্জ
49|Kurigram|কুড়িগ্রাম
50|Kushtia|কুষ্টিয়া
51|Lakshmipur|Laxmipur|লক্ষ্মীপুর
52|Lalmonirhat|লালমনিরহাট
54|Madaripur|মাদারীপুর
55|Magura|মাগুরা
56|Manikganj|মানিকগঞ্জ
57|Meherpur|মেহেরপুর
58|Moulvibazar|Maulvibazar|মৌলভীবাজার
59|Munshiganj|মুন্সিগঞ্জ
61|Mymensingh|ময়মনসিংহ
64|Naogaon|নওগাঁ
65|Narail|নড়াইল
67|Narayanganj|নারায়ণগঞ্জ
68|Narsingdi|Narshingdi|নরসিংদী
69|Natore|নাটোর
70|Chapai Nawabganj|Chapainawabganj|চাঁপাইনবাবগঞ্জ
72|Netrokona|Netrakona|নেত্রকোণা
73|Nilphamari|নীলফামারী
75|Noakhali|নোয়াখালী
76|Pabna|পাবনা
77|Panchagarh|পঞ্চগড়
78|Patuakhali|পটুয়াখালী
79|Pirojpur|পিরোজপুর
81|Rajshahi|রাজশাহী
82|Rajbari|রাজবাড়ী
84|Rangamati|রাঙ্গামাটি
85|Rangpur|রংপুর
86|Shariatpur|শরীয়তপুর
87|Satkhira|সাতক্ষীরা
88|Sirajganj|সিরাজগঞ্জ
89|Sherpur|শেরপুর
90|Sunamganj|সুনামগঞ্জ
91|Sylhet|সিলেট
93|Tangail|টাঙ্গাইল
94|Thakurgaon|ঠাকুরগাঁও`

// districtMaps maps district names to BBS codes: byKey the place key of
// every name in districtTable, byName every name as the table writes it,
// to the code of its place key. Most addresses spell a district as the
// table does, and byName spares them the place key.
type districtMaps struct {
	byKey, byName map[string]string
}

// districtCodes is built once, on first use, and only read afterwards.
var districtCodes = sync.OnceValue(func() districtMaps {
	d := districtMaps{byKey: map[string]string{}, byName: map[string]string{}}
	lines := strings.Split(districtTable, "\n")
	for _, line := range lines {
		f := strings.Split(line, "|")
		for _, n := range f[1:] {
			d.byKey[placeKey(n)] = f[0]
		}
	}
	for _, line := range lines {
		for _, n := range strings.Split(line, "|")[1:] {
			d.byName[n] = d.byKey[placeKey(n)]
		}
	}
	return d
})

// DistrictCode returns the two-digit BBS code of a district written as a
// code, or as an English or Bangla name in any common spelling; ok is false
// for a name it does not know.
func DistrictCode(s string) (code string, ok bool) {
	s = strings.TrimSpace(s)
	if d := asciiDigits(s); d != "" {
		if len(d) == 1 {
			d = "0" + d
		}
		return d, len(d) == 2
	}
	d := districtCodes()
	if code, ok = d.byName[s]; ok {
		return code, true
	}
	code, ok = d.byKey[placeKey(s)]
	return code, ok
}

// NIDDistrict returns the BBS code of the district a normalised 13- or
// 17-digit NID names, its core's first two digits, or "" for a smart-card
// number or a code no district has.
func NIDDistrict(nid string) string {
	core := domain.NIDCore(nid)
	if len(core) != 13 {
		return ""
	}
	if _, ok := districtNames()[core[:2]]; !ok {
		return ""
	}
	return core[:2]
}

// districtNames maps each BBS district code to the district's first
// English name in districtTable.
var districtNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(districtTable, "\n") {
		f := strings.Split(line, "|")
		m[f[0]] = f[1]
	}
	return m
})

// DistrictName returns the English name of the district with BBS code
// code, or "".
func DistrictName(code string) string { return districtNames()[code] }

// district folds a district to its BBS code, or to its place key when the
// table does not know it (then it agrees only with the same spelling).
func district(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if c, ok := DistrictCode(s); ok {
		return c
	}
	return placeKey(s)
}

// upazila folds an upazila to a comparable form: digits as they are (a BBS
// code, comparable only with a code), a name to its place key.
func upazila(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if d := asciiDigits(s); d != "" {
		return d
	}
	return placeKey(s)
}

// asciiDigits returns s with Bangla digits made ASCII when s is all digits,
// else "".
func asciiDigits(s string) string {
	if s == "" {
		return ""
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= '০' && r <= '৯':
			b = append(b, byte('0'+r-'০'))
		default:
			return ""
		}
	}
	return string(b)
}

// placeKey reduces a place name in either script to a consonant skeleton.
// The person-name fold keeps vowels, which for place names disagree across
// scripts more often than not (the inherent vowel of যশোর, Jashore; ছ read
// as ch or s; a final ঞ্জ read as nj or nja), so the key keeps the first
// letter and the consonants, reads c as s, drops h and collapses repeats.
// Two spellings of one place usually share it; two places rarely do.
func placeKey(s string) string {
	n := names.Tokens(s)
	var b []byte
	for _, t := range append(n.Strong, n.Weak...) {
		for i := 0; i < len(t); i++ {
			c := t[i]
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c == '\'' || c == ' ' || c == '-':
				continue
			}
			if len(b) > 0 {
				switch c {
				case 'a', 'e', 'i', 'o', 'u', 'y', 'w', 'h':
					continue
				case 'n':
					// A final nasal is often a chandrabindu that one
					// script writes and the other drops (সোনারগাঁও,
					// Sonargaon).
					if i == len(t)-1 {
						continue
					}
				}
			}
			switch c {
			case 'c':
				c = 's'
			case 'q':
				c = 'k'
			case 'z':
				c = 'j'
			case 'v':
				c = 'b'
			}
			if len(b) > 0 && b[len(b)-1] == c {
				continue
			}
			b = append(b, c)
		}
	}
	return string(b)
}

// SameUpazila reports whether two spellings of an upazila, in either
// script or as BBS codes, name one upazila: names are compared by their
// place keys, codes by their digits. comparable is false when either is
// empty, when one is a code and the other a name, and when names in two
// scripts have different keys: without a gazetteer of upazilas this
// package cannot tell them apart, and the keys of one place across
// scripts disagree often enough (সদর and Sadar, a dropped chandrabindu)
// that a difference proves nothing.
//
// With a places file (domain.Places), two upazilas it finds, by code or
// by a name no other upazila has, are compared by their codes.
func SameUpazila(a, b string) (same, comparable bool) {
	g := domain.Places()
	if pa, ok := g.Find(domain.LevelUpazila, a); ok {
		if pb, ok := g.Find(domain.LevelUpazila, b); ok {
			return pa.Code == pb.Code, true
		}
	}
	ka, kb := upazila(a), upazila(b)
	if ka == "" || kb == "" || (asciiDigits(strings.TrimSpace(a)) == "") != (asciiDigits(strings.TrimSpace(b)) == "") {
		return false, false
	}
	if ka != kb && isBangla(a) != isBangla(b) {
		return false, false
	}
	return ka == kb, true
}

func isBangla(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0980 && r <= 0x09FF })
}
