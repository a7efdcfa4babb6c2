package domain

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// Place is a division, district, upazila or union of Bangladesh: its
// BBS geocode and its names. Parent is the code of the place it is in: a
// district's division, an upazila's district, a union's upazila. An
// upazila's code is its district's two digits and its own two ("2672"),
// a union's its upazila's four and its own two ("267217").
type Place struct {
	Code   string
	NameEN string
	NameBN string
	Parent string
}

// Label is how a place is shown everywhere: the English name, then the
// Bangla one (either alone when the place has only one).
func (p Place) Label() string {
	switch {
	case p.NameBN == "":
		return p.NameEN
	case p.NameEN == "":
		return p.NameBN
	}
	return p.NameEN + " (" + p.NameBN + ")"
}

// The levels of Bangladesh's administrative geography ekjon knows by code.
const (
	LevelDivision = "division"
	LevelDistrict = "district"
)

// divisions are the 8 divisions and their two-digit BBS codes; after the
// Bangla name come the other English spellings sources still send.
var divisions = []struct {
	code, en, bn string
	also         []string
}{
	{"10", "Barishal", "বরিশাল", []string{"Barisal"}},
	{"20", "Chattogram", "চট্টগ্রাম", []string{"Chittagong", "Chattagram"}},
	{"30", "Dhaka", "ঢাকা", nil},
	{"40", "Khulna", "খুলনা", nil},
	{"45", "Mymensingh", "ময়মনসিংহ", nil},
	{"50", "Rajshahi", "রাজশাহী", nil},
	{"55", "Rangpur", "রংপুর", nil},
	{"60", "Sylhet", "সিলেট", nil},
}

// districts are the 64 districts: the two-digit BBS district code (the
// one that opens a 13-digit NID), the division's code, the names, and the
// older or looser English spellings.
var districts = []struct {
	code, division, en, bn string
	also                   []string
}{
	{"04", "10", "Barguna", "বরগুনা", nil},
	{"06", "10", "Barishal", "বরিশাল", []string{"Barisal"}},
	{"09", "10", "Bhola", "ভোলা", nil},
	{"42", "10", "Jhalokathi", "ঝালকাঠি", []string{"Jhalokati", "Jhalakathi", "Jhalakati"}},
	{"78", "10", "Patuakhali", "পটুয়াখালী", nil},
	{"79", "10", "Pirojpur", "পিরোজপুর", nil},

	{"03", "20", "Bandarban", "বান্দরবান", nil},
	{"12", "20", "Brahmanbaria", "ব্রাহ্মণবাড়িয়া", []string{"Brahmonbaria"}},
	{"13", "20", "Chandpur", "চাঁদপুর", nil},
	{"15", "20", "Chattogram", "চট্টগ্রাম", []string{"Chittagong", "Chattagram"}},
	{"19", "20", "Cumilla", "কুমিল্লা", []string{"Comilla"}},
	{"22", "20", "Cox's Bazar", "কক্সবাজার", []string{"Coxs Bazar", "Coxsbazar"}},
	{"30", "20", "Feni", "ফেনী", nil},
	{"46", "20", "Khagrachhari", "খাগড়াছড়ি", []string{"Khagrachari"}},
	{"51", "20", "Lakshmipur", "লক্ষ্মীপুর", []string{"Laxmipur", "Lakshipur"}},
	{"75", "20", "Noakhali", "নোয়াখালী", nil},
	{"84", "20", "Rangamati", "রাঙ্গামাটি", []string{"Rangamati Hill District"}},

	{"26", "30", "Dhaka", "ঢাকা", nil},
	{"29", "30", "Faridpur", "ফরিদপুর", nil},
	{"33", "30", "Gazipur", "গাজীপুর", nil},
	{"35", "30", "Gopalganj", "গোপালগঞ্জ", nil},
	{"48", "30", "Kishoreganj", "কিশোরগঞ্জ", []string{"Kishorganj"}},
	{"54", "30", "Madaripur", "মাদারীপুর", nil},
	{"56", "30", "Manikganj", "মানিকগঞ্জ", nil},
	{"59", "30", "Munshiganj", "মুন্সীগঞ্জ", []string{"মুন্সিগঞ্জ"}},
	{"67", "30", "Narayanganj", "নারায়ণগঞ্জ", nil},
	{"68", "30", "Narsingdi", "নরসিংদী", []string{"Narshingdi"}},
	{"82", "30", "Rajbari", "রাজবাড়ী", nil},
	{"86", "30", "Shariatpur", "শরীয়তপুর", nil},
	{"93", "30", "Tangail", "টাঙ্গাইল", nil},

	{"01", "40", "Bagerhat", "বাগেরহাট", nil},
	{"18", "40", "Chuadanga", "চুয়াডাঙ্গা", nil},
	{"41", "40", "Jashore", "যশোর", []string{"Jessore"}},
	{"44", "40", "Jhenaidah", "ঝিনাইদহ", []string{"Jhenaida", "Jhenidah"}},
	{"47", "40", "Khulna", "খুলনা", nil},
	{"50", "40", "Kushtia", "কুষ্টিয়া", nil},
	{"55", "40", "Magura", "মাগুরা", nil},
	{"57", "40", "Meherpur", "মেহেরপুর", nil},
	{"65", "40", "Narail", "নড়াইল", nil},
	{"87", "40", "Satkhira", "সাতক্ষীরা", nil},

	{"39", "45", "Jamalpur", "জামালপুর", nil},
	{"61", "45", "Mymensingh", "ময়মনসিংহ", nil},
	{"72", "45", "Netrokona", "নেত্রকোণা", []string{"Netrakona", "নেত্রকোনা"}},
	{"89", "45", "Sherpur", "শেরপুর", nil},

	{"10", "50", "Bogura", "বগুড়া", []string{"Bogra"}},
	{"38", "50", "Joypurhat", "জয়পুরহাট", []string{"Jaipurhat"}},
	{"64", "50", "Naogaon", "নওগাঁ", nil},
	{"69", "50", "Natore", "নাটোর", nil},
	{"70", "50", "Chapai Nawabganj", "চাঁপাইনবাবগঞ্জ", []string{"Chapainawabganj", "Nawabganj", "চাঁপাই নবাবগঞ্জ"}},
	{"76", "50", "Pabna", "পাবনা", nil},
	{"81", "50", "Rajshahi", "রাজশাহী", nil},
	{"88", "50", "Sirajganj", "সিরাজগঞ্জ", nil},

	{"27", "55", "Dinajpur", "দিনাজপুর", nil},
	{"32", "55", "Gaibandha", "গাইবান্ধা", nil},
	{"49", "55", "Kurigram", "কুড়িগ্রাম", nil},
	{"52", "55", "Lalmonirhat", "লালমনিরহাট", nil},
	{"73", "55", "Nilphamari", "নীলফামারী", nil},
	{"77", "55", "Panchagarh", "পঞ্চগড়", nil},
	{"85", "55", "Rangpur", "রংপুর", nil},
	{"94", "55", "Thakurgaon", "ঠাকুরগাঁও", nil},

	{"36", "60", "Habiganj", "হবিগঞ্জ", []string{"Hobiganj"}},
	{"58", "60", "Moulvibazar", "মৌলভীবাজার", []string{"Maulvibazar", "Moulvi Bazar"}},
	{"90", "60", "Sunamganj", "সুনামগঞ্জ", nil},
	{"91", "60", "Sylhet", "সিলেট", nil},
}

// Gazetteer finds places by code or by any name sources write: the
// embedded divisions and districts, and the upazilas and unions of a
// places file (ParsePlaces). It is read-only once built and safe for
// concurrent use.
type Gazetteer struct {
	byCode map[string]map[string]Place // level → code → place
	// byName maps a folded name to its place's code, by level; for an
	// upazila or a union only a name no other place of the level has
	// ("" marks one that several have).
	byName map[string]map[string]string
	// within maps parent code + "/" + folded name to the code of the
	// place of the level under that parent: an upazila under its
	// district, a union under its upazila and under its district ("" when
	// two unions of the district share the name).
	within map[string]map[string]string
	// spellings are every name of a place as the table writes it, by
	// level and code.
	spellings map[string]map[string][]string
	// order lists the codes of each level as they were added.
	order map[string][]string
	// Notes are what a places file says that is not wrong but worth
	// knowing: names two places of one parent share, by which neither is
	// found.
	Notes []PolicyProblem
}

var (
	// embedded is the gazetteer of the divisions and districts alone.
	embedded = sync.OnceValue(NewGazetteer)
	// inUse is the gazetteer UsePlaces set, nil for the embedded one.
	inUse atomic.Pointer[Gazetteer]
)

// Places returns the process's gazetteer: the one UsePlaces set, else
// the embedded divisions and districts, built on first use.
func Places() *Gazetteer {
	if g := inUse.Load(); g != nil {
		return g
	}
	return embedded()
}

// UsePlaces makes g the process's gazetteer (nil: the embedded one) and
// returns the one it replaces. A process sets it once, at start-up,
// from its places file.
func UsePlaces(g *Gazetteer) *Gazetteer {
	old := Places()
	inUse.Store(g)
	return old
}

// The levels of Bangladesh's administrative geography below the district.
const (
	LevelUpazila = "upazila"
	LevelUnion   = "union"
)

// levels are the levels a gazetteer knows, largest first.
var levels = []string{LevelDivision, LevelDistrict, LevelUpazila, LevelUnion}

// NewGazetteer builds the gazetteer of Bangladesh's divisions and
// districts.
func NewGazetteer() *Gazetteer {
	g := &Gazetteer{byCode: map[string]map[string]Place{}, byName: map[string]map[string]string{},
		within: map[string]map[string]string{}, spellings: map[string]map[string][]string{}, order: map[string][]string{}}
	for _, l := range levels {
		g.byCode[l], g.byName[l], g.within[l], g.spellings[l] = map[string]Place{}, map[string]string{}, map[string]string{}, map[string][]string{}
	}
	for _, d := range divisions {
		g.add(LevelDivision, Place{Code: d.code, NameEN: d.en, NameBN: d.bn}, d.also)
	}
	for _, d := range districts {
		g.add(LevelDistrict, Place{Code: d.code, NameEN: d.en, NameBN: d.bn, Parent: d.division}, d.also)
	}
	return g
}

// names returns p's names and also, the empty ones left out.
func names(p Place, also []string) []string {
	var out []string
	for _, n := range append([]string{p.NameEN, p.NameBN}, also...) {
		if strings.TrimSpace(n) != "" {
			out = append(out, n)
		}
	}
	return out
}

// add puts p in the gazetteer under every one of its names.
func (g *Gazetteer) add(level string, p Place, also []string) {
	g.byCode[level][p.Code] = p
	g.order[level] = append(g.order[level], p.Code)
	ns := names(p, also)
	g.spellings[level][p.Code] = ns
	for _, n := range ns {
		k := placeFold(n)
		if k == "" {
			continue
		}
		if level == LevelDivision || level == LevelDistrict {
			g.byName[level][k] = p.Code
			continue
		}
		setUnique(g.byName[level], k, p.Code)
		setUnique(g.within[level], p.Parent+"/"+k, p.Code)
		if level == LevelUnion {
			setUnique(g.within[level], p.Parent[:2]+"/"+k, p.Code)
		}
	}
}

// setUnique maps k to code, or to "" once two codes claim it.
func setUnique(m map[string]string, k, code string) {
	if c, ok := m[k]; ok && c != code {
		m[k] = ""
		return
	}
	m[k] = code
}

// codeLen is how many digits a place's code has at each level: a
// division and a district two, an upazila its district's two and its
// own two, a union its upazila's four and its own two.
var codeLen = map[string]int{LevelDivision: 2, LevelDistrict: 2, LevelUpazila: 4, LevelUnion: 6}

// Find returns the place of level written s: its BBS code (ASCII or
// Bangla digits, a leading zero optional for a division or district; an
// upazila's or union's code whole, the division's code before it or
// not) or a name in English or Bangla in any spelling the gazetteer
// knows, in any case, with or without spaces, dots, hyphens, apostrophes
// or the words district, division, upazila, union, zila or জেলা, বিভাগ,
// উপজেলা, ইউনিয়ন. An upazila or union is found by name only when no other
// of its level has the name; FindIn finds it within its parent.
func (g *Gazetteer) Find(level, s string) (Place, bool) {
	codes, ok := g.byCode[level]
	if !ok {
		return Place{}, false
	}
	t := foldDigits(strings.TrimSpace(s))
	if isDigits(t) {
		return g.byDigits(level, t)
	}
	code := g.byName[level][placeFold(t)]
	if code == "" {
		return Place{}, false
	}
	return codes[code], true
}

// byDigits finds the place of level with code t, written whole or with
// its division's code before it.
func (g *Gazetteer) byDigits(level, t string) (Place, bool) {
	n := codeLen[level]
	if len(t) == 1 && n == 2 {
		t = "0" + t
	}
	if len(t) == n+2 && level != LevelDivision {
		p, ok := g.byCode[level][t[2:]]
		if !ok || g.divisionOf(level, p) != t[:2] {
			return Place{}, false
		}
		return p, true
	}
	p, ok := g.byCode[level][t]
	return p, ok
}

// divisionOf returns the code of the division p of level is in.
func (g *Gazetteer) divisionOf(level string, p Place) string {
	code := p.Code
	if level != LevelDistrict {
		code = code[:2]
	}
	return g.byCode[LevelDistrict][code].Parent
}

// FindIn returns the place of level written s within parent: an upazila
// within its district (parent a district's code), a union within its
// upazila or its district. Within a parent a place's own two digits are
// its code too ("72" in district 26 is upazila 2672). With parent "" it
// is Find.
func (g *Gazetteer) FindIn(level, parent, s string) (Place, bool) {
	if parent == "" || level == LevelDivision || level == LevelDistrict {
		return g.Find(level, s)
	}
	codes, ok := g.byCode[level]
	if !ok {
		return Place{}, false
	}
	t := foldDigits(strings.TrimSpace(s))
	if isDigits(t) {
		if len(t) == 1 {
			t = "0" + t
		}
		if len(t) == 2 && len(parent)+2 == codeLen[level] {
			t = parent + t
		}
		p, ok := g.byDigits(level, t)
		if !ok || !strings.HasPrefix(p.Code, parent) {
			return Place{}, false
		}
		return p, true
	}
	code := g.within[level][parent+"/"+placeFold(t)]
	if code == "" {
		return Place{}, false
	}
	return codes[code], true
}

func isDigits(t string) bool { return t != "" && strings.Trim(t, "0123456789") == "" }

// Code returns the BBS code of the place of level written s, or s trimmed
// when the gazetteer does not know it: a place is stored by its code
// whenever it can be, and an unknown one as it came.
func (g *Gazetteer) Code(level, s string) string {
	if p, ok := g.Find(level, s); ok {
		return p.Code
	}
	return strings.TrimSpace(s)
}

// Label returns how the place of level written s is shown: its Label, or
// s as it came when the gazetteer does not know it.
func (g *Gazetteer) Label(level, s string) string {
	if p, ok := g.Find(level, s); ok {
		return p.Label()
	}
	return s
}

// LabelIn is Label for a place within parent (see FindIn).
func (g *Gazetteer) LabelIn(level, parent, s string) string {
	if p, ok := g.FindIn(level, parent, s); ok {
		return p.Label()
	}
	return s
}

// Spellings returns every way the place of level written s may have been
// stored: its code and each of its names, for finding rows stored before
// places were stored by code. It returns s alone for an unknown place.
func (g *Gazetteer) Spellings(level, s string) []string {
	p, ok := g.Find(level, s)
	if !ok {
		return []string{strings.TrimSpace(s)}
	}
	out := []string{p.Code}
	if len(p.Code) == 2 && p.Code[0] == '0' {
		out = append(out, p.Code[1:])
	}
	return append(out, g.spellings[level][p.Code]...)
}

// Places returns every place of level, in the order of the table or the
// places file.
func (g *Gazetteer) Places(level string) []Place {
	var out []Place
	for _, code := range g.order[level] {
		out = append(out, g.byCode[level][code])
	}
	return out
}

// placeSuffixes are words that name the level rather than the place.
var placeSuffixes = []string{"district", "division", "zila", "zilla", "jela", "upazila", "upazilla", "thana",
	"union", "জেলা", "বিভাগ", "উপজেলা", "থানা", "ইউনিয়ন"}

// placeFold folds a place name for lookup: lower case, Bangla's two
// spellings of ড় ঢ় য় made one, the level's word dropped, and everything
// but letters and marks dropped.
func placeFold(s string) string {
	s = nuktaForms.Replace(strings.ToLower(s))
	fields := strings.Fields(s)
	if n := len(fields); n > 1 {
		for _, suf := range placeSuffixes {
			if fields[n-1] == suf {
				fields = fields[:n-1]
				break
			}
		}
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsMark(r) {
			return r
		}
		return -1
	}, strings.Join(fields, ""))
}
