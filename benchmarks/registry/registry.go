package registry

import (
	"cmp"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
)

// Config sets the population and its rates. Rates are fractions of
// Persons.
type Config struct {
	Seed    int64
	Persons int
	// RunID prefixes every event id.
	RunID string
	// ReenrolRate is the share of persons enrolled a second time under
	// another NID or none. DESIGN §1 gives 0.5–2.5 % for name variants;
	// the default is above that so that every kind has a hundred or more
	// pairs at 100,000 persons.
	ReenrolRate float64
	// KindWeights weigh the variations among re-enrolments.
	KindWeights map[Kind]float64
	// SecondKindRate is the share of re-enrolments with a second
	// variation (a date kind beside a name kind, or the reverse),
	// listed in the truth's kinds.
	SecondKindRate float64
	// PlaceholderRate is the share of persons whose date of birth is on
	// record as 1 January of their year in every registry: the common
	// case for the elderly, and the reason namesakes share dates.
	PlaceholderRate float64
	// Hard negatives, each a share of Persons.
	NamesakeRate, CousinRate, SiblingRate, TwinRate, MotherDaughterRate, HouseholdPhoneRate float64
}

// DefaultConfig is 100,000 persons, seed 1.
func DefaultConfig() Config {
	return Config{
		Seed: 1, Persons: 100_000, RunID: "reg",
		ReenrolRate: 0.04, SecondKindRate: 0.25, PlaceholderRate: 0.12,
		KindWeights: map[Kind]float64{
			KindRetyped: 6, KindDOBJan: 10, KindDOBJul: 3, KindDOBMissing: 4, KindDOBYear1: 8, KindDOBYear2: 4,
			KindDOBSwap: 4, KindChh: 6, KindGlide: 5, KindLoanword: 5, KindParticle: 7, KindInitials: 4,
			KindFinalVowel: 5, KindWBV: 5, KindNickname: 7, KindLineage: 6, KindMoved: 6, KindSamePhone: 8,
		},
		NamesakeRate: 0.015, CousinRate: 0.01, SiblingRate: 0.015, TwinRate: 0.003, MotherDaughterRate: 0.005,
		HouseholdPhoneRate: 0.02,
	}
}

// Validate reports a configuration that cannot be generated.
func (c Config) Validate() error {
	if c.Persons < 1 || c.Persons > 50_000_000 {
		return fmt.Errorf("persons: %d is not between 1 and 50,000,000", c.Persons)
	}
	if c.RunID == "" || strings.ContainsAny(c.RunID, " \t\n") {
		return fmt.Errorf("run id %q: want a word without spaces", c.RunID)
	}
	rates := []float64{c.ReenrolRate, c.SecondKindRate, c.PlaceholderRate, c.NamesakeRate, c.CousinRate,
		c.SiblingRate, c.TwinRate, c.MotherDaughterRate, c.HouseholdPhoneRate}
	neg := 0.0
	for i, r := range rates {
		if r < 0 || r > 1 || math.IsNaN(r) {
			return fmt.Errorf("rate %v is not a fraction", r)
		}
		if i >= 3 {
			neg += r
		}
	}
	if neg > 0.5 {
		return fmt.Errorf("hard negatives add up to %.2f of the persons; at most half", neg)
	}
	total := 0.0
	for k, w := range c.KindWeights {
		if w < 0 || !slices.Contains(ReenrolmentKinds, k) {
			return fmt.Errorf("kind weight %s=%v: unknown kind or negative weight", k, w)
		}
		total += w
	}
	if c.ReenrolRate > 0 && total == 0 {
		return fmt.Errorf("re-enrolments need a kind weight above 0")
	}
	return nil
}

// human is one person of the population as the truth knows them.
type human struct {
	id       int
	male     bool
	name     int // index in maleNames or femaleNames
	nick     int // -1: none
	nickOn   bool
	lineage  int // -1: none
	linOn    bool
	honor    bool
	father   int
	fatherLt bool
	mother   int
	spouse   int // -1: unmarried or not recorded
	spouseLt bool
	dob      time.Time
	dobRec   string // as the first registry holds it
	place    int
	ward     int
	phone    string
	wallet   bool
	nid      string
	prog     string
	kind     Kind // KindFirst or a hard negative
	at       float64
}

// Generator builds one population. It is not safe for concurrent use.
type Generator struct {
	cfg    Config
	rng    *rand.Rand
	places []place
	people []*human
	serial int
	phones int
	// males and females are the name tables: the head (maleNames,
	// femaleNames) and the long tail.
	males, females []nameEntry
	maleW, femW    []float64
}

// New checks cfg and returns a Generator.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	males, females := len(maleNames), len(femaleNames)
	return &Generator{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7265676973747279)), places: places(),
		males: append(slices.Clip(maleNames), tail(maleFirst, maleSecond)...), females: append(slices.Clip(femaleNames), tail(femaleFirst, femaleSecond)...),
		maleW: weights(males, len(maleFirst)*len(maleSecond)), femW: weights(females, len(femaleFirst)*len(femaleSecond))}, nil
}

// weights gives the head of a name table (its first head entries) 45 % of
// the draws, Zipf-like (1/r^0.8), and the tail the rest, evenly.
func weights(head, tail int) []float64 {
	w := make([]float64, head+tail)
	sum := 0.0
	for i := range head {
		sum += 1 / math.Pow(float64(i+1), 0.8)
	}
	acc := 0.0
	for i := range head {
		acc += 0.45 / math.Pow(float64(i+1), 0.8) / sum
		w[i] = acc
	}
	for i := range tail {
		acc += 0.55 / float64(tail)
		w[head+i] = acc
	}
	return w
}

func (g *Generator) draw(cum []float64) int {
	x := g.rng.Float64() * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, x)
	return min(i, len(cum)-1)
}

func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }

// pick draws a spelling: the first, the common one, more often than the
// rest.
func (g *Generator) pick(s []string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) == 1 || g.chance(0.55) {
		return s[0]
	}
	return s[1+g.rng.IntN(len(s)-1)]
}

func (g *Generator) newPhone() string {
	g.phones++
	// A bijection of the counter onto eight digits: unique, not sequential.
	return fmt.Sprintf("01%d%08d", 3+g.rng.IntN(7), (uint64(g.phones)*48271)%100_000_000)
}

// newNID issues an NID in one of the forms people carry: 17 digits (birth
// year, district, area, upazila, union, serial), 13 (the same without the
// year) or a 10-digit smart card.
func (g *Generator) newNID(year int, p place) string {
	g.serial++
	switch x := g.rng.Float64(); {
	case x < 0.55:
		return fmt.Sprintf("%04d%s1%02d%02d%06d", year, p.code, g.serial%97, g.serial%89, g.serial%1_000_000)[:17]
	case x < 0.62:
		return fmt.Sprintf("%s1%02d%02d%07d", p.code, g.serial%97, g.serial%89, g.serial%10_000_000)[:13]
	default:
		return strconv.FormatUint(1_000_000_000+(uint64(g.serial)*2_654_435_761)%8_999_999_999, 10)
	}
}

var epoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func (g *Generator) birth(minAge, maxAge int) time.Time {
	days := minAge*365 + g.rng.IntN((maxAge-minAge)*365+1)
	return epoch.AddDate(0, 0, -days).Truncate(24 * time.Hour)
}

func ymd(t time.Time) string { return t.Format("2006-01-02") }

// programmeFor picks a programme the person is eligible for.
func (g *Generator) programmeFor(h *human) string {
	age := epoch.Year() - h.dob.Year()
	switch {
	case g.chance(0.1):
		return "disability"
	case (h.male && age >= 65) || (!h.male && age >= 62):
		if !h.male && h.spouseLt && g.chance(0.3) {
			return "widow"
		}
		return "old_age"
	case !h.male && h.spouseLt:
		return "widow"
	case !h.male && age >= 20 && age <= 49:
		return "vgd"
	}
	return []string{"vgf", "gr", "emergency_cash", "oms"}[g.rng.IntN(4)]
}

// newHuman draws a person of the given sex and age range in a place.
func (g *Generator) newHuman(male bool, minAge, maxAge, pl int) *human {
	h := &human{id: len(g.people), male: male, nick: -1, lineage: -1, spouse: -1, place: pl, ward: 1 + g.rng.IntN(9),
		kind: KindFirst, at: g.rng.Float64()}
	if male {
		h.name = g.draw(g.maleW)
		h.honor = g.chance(0.7)
		if g.chance(0.25) {
			h.nick, h.nickOn = g.rng.IntN(len(maleNicknames)), g.chance(0.5)
		}
		if g.chance(0.2) {
			h.lineage, h.linOn = g.rng.IntN(len(lineages)), g.chance(0.6)
		}
	} else {
		h.name = g.draw(g.femW)
		h.honor = g.chance(0.5)
		if g.chance(0.15) {
			h.nick, h.nickOn = g.rng.IntN(len(femaleNicknames)), g.chance(0.5)
		}
	}
	h.father, h.mother = g.draw(g.maleW), g.draw(g.femW)
	h.dob = g.birth(minAge, maxAge)
	h.fatherLt = epoch.Year()-h.dob.Year() > 40 || g.chance(0.2)
	if !male && epoch.Year()-h.dob.Year() > 22 && g.chance(0.8) {
		h.spouse = g.draw(g.maleW)
		h.spouseLt = epoch.Year()-h.dob.Year() > 55 && g.chance(0.5)
	}
	h.dobRec = ymd(h.dob)
	if g.chance(g.cfg.PlaceholderRate) {
		h.dobRec = fmt.Sprintf("%04d-01-01", h.dob.Year())
	}
	if g.chance(0.85) {
		h.phone = g.newPhone()
		h.wallet = g.chance(0.7)
	}
	h.nid = g.newNID(h.dob.Year(), g.places[pl])
	if g.chance(0.03) {
		h.nid = ""
	}
	h.prog = g.programmeFor(h)
	g.people = append(g.people, h)
	return h
}

// population draws the persons: first the ordinary ones, then the hard
// negatives, each built beside a person already drawn (the anchor).
func (g *Generator) population() {
	c := g.cfg
	negs := []struct {
		k    Kind
		rate float64
	}{{KindNamesake, c.NamesakeRate}, {KindCousin, c.CousinRate}, {KindSibling, c.SiblingRate},
		{KindTwin, c.TwinRate}, {KindMotherDaughter, c.MotherDaughterRate}, {KindHouseholdPhone, c.HouseholdPhoneRate}}
	counts := make([]int, len(negs))
	base := c.Persons
	for i, n := range negs {
		counts[i] = int(math.Round(n.rate * float64(c.Persons)))
		base -= counts[i]
	}
	base = max(base, 1)
	for range base {
		male := g.chance(0.5)
		h := g.newHuman(male, 18, 95, g.rng.IntN(len(g.places)))
		// Most beneficiaries of the allowances are old.
		if g.chance(0.55) {
			h.dob = g.birth(60, 95)
			h.fatherLt = true
			h.dobRec = ymd(h.dob)
			if g.chance(c.PlaceholderRate * 1.5) {
				h.dobRec = fmt.Sprintf("%04d-01-01", h.dob.Year())
			}
			h.nid = g.reissue(h)
			h.prog = g.programmeFor(h)
		}
	}
	for i, n := range negs {
		for range counts[i] {
			if len(g.people) >= c.Persons {
				return
			}
			g.negative(n.k, g.people[g.rng.IntN(base)])
		}
	}
}

// reissue gives h an NID consistent with a changed date of birth.
func (g *Generator) reissue(h *human) string {
	if h.nid == "" {
		return ""
	}
	return g.newNID(h.dob.Year(), g.places[h.place])
}

// negative adds one hard negative of kind k beside the anchor a.
func (g *Generator) negative(k Kind, a *human) {
	switch k {
	case KindNamesake:
		h := g.newHuman(a.male, 18, 95, a.place)
		h.name = a.name
	case KindCousin:
		h := g.newHuman(a.male, 18, 95, a.place)
		h.name, h.father, h.fatherLt = a.name, a.father, a.fatherLt
	case KindSibling, KindTwin:
		h := g.newHuman(g.chance(0.5), 18, 95, a.place)
		for h.male == a.male && ((h.male && h.name == a.name) || (!h.male && h.name == a.name)) {
			h.name = g.draw(map[bool][]float64{true: g.maleW, false: g.femW}[h.male])
		}
		h.father, h.mother, h.fatherLt, h.ward = a.father, a.mother, a.fatherLt, a.ward
		if k == KindTwin {
			h.dob = a.dob
			h.dobRec = a.dobRec
		} else {
			h.dob = a.dob.AddDate(g.sign()*(2+g.rng.IntN(11)), g.rng.IntN(12)-6, g.rng.IntN(28))
			if h.dob.After(epoch.AddDate(-18, 0, 0)) {
				h.dob = a.dob.AddDate(-2-g.rng.IntN(8), 0, 0)
			}
			h.dobRec = ymd(h.dob)
		}
		if a.phone != "" && (k == KindTwin || g.chance(0.6)) {
			h.phone, h.wallet = a.phone, false
		}
		h.nid = g.reissue(h)
		h.prog = g.programmeFor(h)
	case KindMotherDaughter:
		// The anchor becomes a mother with a husband on record; her
		// daughter carries her given name, her husband as father.
		if a.male || epoch.Year()-a.dob.Year() < 50 {
			a = g.newHuman(false, 50, 90, a.place)
		}
		if a.spouse < 0 {
			a.spouse = g.draw(g.maleW)
		}
		h := g.newHuman(false, 18, 40, a.place)
		h.dob = a.dob.AddDate(20+g.rng.IntN(12), g.rng.IntN(12), g.rng.IntN(28))
		h.dobRec = ymd(h.dob)
		h.name, h.father, h.fatherLt, h.mother, h.ward = a.name, a.spouse, a.spouseLt, a.name, a.ward
		if a.phone != "" && g.chance(0.6) {
			h.phone, h.wallet = a.phone, false
		}
		h.nid = g.reissue(h)
		h.prog = g.programmeFor(h)
	case KindHouseholdPhone:
		h := g.newHuman(!a.male, 18, 95, a.place)
		h.dob = a.dob.AddDate(g.rng.IntN(17)-8, g.rng.IntN(12), g.rng.IntN(28))
		if h.dob.After(epoch.AddDate(-18, 0, 0)) {
			h.dob = a.dob.AddDate(-g.rng.IntN(8), 0, 0)
		}
		h.dobRec, h.ward = ymd(h.dob), a.ward
		if a.phone == "" {
			a.phone = g.newPhone()
		}
		h.phone, h.wallet = a.phone, false
		if !h.male {
			h.spouse = a.name
		}
		h.nid = g.reissue(h)
		h.prog = g.programmeFor(h)
	}
	g.people[len(g.people)-1].kind = k
}

func (g *Generator) sign() int {
	if g.chance(0.5) {
		return -1
	}
	return 1
}

// record is how one registry writes a person: which parts it shows and
// how.
type record struct {
	kinds   []Kind
	bn, en  bool
	honor   bool
	nickOn  bool
	linOn   bool
	dob     string
	place   int
	phone   string
	nid     string
	prog    string
	mother  bool
	spouse  bool
	fatherL bool
}

// firstRecord is the person as the first registry holds them.
func (g *Generator) firstRecord(h *human) record {
	r := record{honor: h.honor, nickOn: h.nickOn, linOn: h.linOn, dob: h.dobRec, place: h.place, phone: h.phone,
		nid: h.nid, prog: h.prog, mother: g.chance(0.65), spouse: h.spouse >= 0 && g.chance(0.8), fatherL: h.fatherLt && g.chance(0.75)}
	r.bn, r.en = g.scripts()
	return r
}

func (g *Generator) scripts() (bn, en bool) {
	switch x := g.rng.Float64(); {
	case x < 0.6:
		return true, true
	case x < 0.85:
		return true, false
	}
	return false, true
}

// kindFor draws a re-enrolment's variation.
func (g *Generator) kindFor(cum []float64, kinds []Kind) Kind {
	return kinds[g.draw(cum)]
}

// applies reports whether the kind can strike h.
func applies(k Kind, h *human) bool {
	switch k {
	case KindSamePhone:
		return h.phone != ""
	case KindDOBSwap:
		// Only a day of 12 or less can be read as a month, and only a
		// known day can be swapped.
		_, m, d := h.dob.Date()
		return d <= 12 && d != int(m) && h.dobRec == ymd(h.dob)
	}
	if !nameKinds[k] {
		return true
	}
	if h.male {
		return h.name < len(maleNames) && maleNames[h.name].has(k)
	}
	return h.name < len(femaleNames) && femaleNames[h.name].has(k)
}

// reenrol writes h's second record: a second clerk's typing, with the
// variation k (and perhaps a second one) applied.
func (g *Generator) reenrol(h *human, k Kind, first record) record {
	r := g.firstRecord(h)
	r.kinds = []Kind{k}
	if g.chance(0.3) {
		r.honor = !r.honor
	}
	if g.chance(0.2) {
		r.fatherL = !r.fatherL && h.fatherLt
	}
	r.phone = ""
	if k != KindSamePhone && h.phone != "" && g.chance(0.5) {
		r.phone = g.newPhone()
	}
	if r.prog = first.prog; g.chance(0.3) {
		r.prog = g.programmeFor(h)
	}
	// Another NID (a relative's card, a second card) or none.
	switch x := g.rng.Float64(); {
	case x < 0.45:
		r.nid = ""
	default:
		g.serial++
		r.nid = strconv.FormatUint(1_000_000_000+(uint64(g.serial)*2_654_435_761)%8_999_999_999, 10)
	}
	if g.chance(g.cfg.SecondKindRate) && k != KindSamePhone && k != KindRetyped {
		var second Kind
		for range 10 {
			c := ReenrolmentKinds[1+g.rng.IntN(len(ReenrolmentKinds)-3)]
			if isDateKind(c) != isDateKind(k) && applies(c, h) {
				second = c
				break
			}
		}
		if second != "" {
			r.kinds = append(r.kinds, second)
		}
	}
	for _, v := range r.kinds {
		g.vary(h, v, first, &r)
	}
	return r
}

// vary applies one variation to r.
func (g *Generator) vary(h *human, k Kind, first record, r *record) {
	y, mon, d := h.dob.Date()
	m := int(mon)
	switch k {
	case KindDOBJan, KindDOBJul:
		ph := fmt.Sprintf("%04d-01-01", y)
		if k == KindDOBJul {
			ph = fmt.Sprintf("%04d-07-01", y)
		}
		if first.dob == ph {
			r.dob = ymd(h.dob) // the other registry knew the day
		} else {
			r.dob = ph
		}
	case KindDOBMissing:
		r.dob = ""
	case KindDOBYear1, KindDOBYear2:
		off := 1
		if k == KindDOBYear2 {
			off = 2
		}
		if len(first.dob) == 10 {
			m, _ = strconv.Atoi(first.dob[5:7])
			d, _ = strconv.Atoi(first.dob[8:])
		}
		y += g.sign() * off
		if d == 29 && m == 2 && time.Date(y, 2, 29, 0, 0, 0, 0, time.UTC).Day() != 29 {
			d = 28 // a registry's form refuses 29 February of a common year
		}
		r.dob = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	case KindDOBSwap:
		r.dob = fmt.Sprintf("%04d-%02d-%02d", y, d, m)
	case KindNickname:
		r.nickOn = !first.nickOn
		if h.nick < 0 {
			h.nick = g.rng.IntN(len(map[bool][]spellings{true: maleNicknames, false: femaleNicknames}[h.male]))
			r.nickOn = true
		}
	case KindLineage:
		r.linOn = !first.linOn
		if h.lineage < 0 {
			h.lineage = g.rng.IntN(len(lineages))
			r.linOn = true
		}
	case KindMoved:
		for r.place == first.place || g.places[r.place].district == g.places[first.place].district {
			r.place = g.rng.IntN(len(g.places))
		}
		r.phone = ""
		if h.phone != "" && g.chance(0.6) {
			r.phone = g.newPhone()
		}
	case KindSamePhone:
		r.phone, r.dob, r.place = first.phone, first.dob, first.place
	case KindRetyped:
	}
}

// person renders r as the event's person.
func (g *Generator) person(h *human, r record) *domain.Person {
	entries, nicks, hon := g.females, femaleNicknames, femaleHonorifics
	if h.male {
		entries, nicks, hon = g.males, maleNicknames, maleHonorifics
	}
	e := entries[h.name]
	given := e.spellings
	for _, k := range r.kinds {
		if a, ok := e.alt[k]; ok {
			if len(a.bn) > 0 {
				given.bn = a.bn
			}
			if len(a.en) > 0 {
				given.en = a.en
			}
		}
	}
	name := func(bn bool) string {
		var parts []string
		get := func(s spellings) string {
			if bn {
				return g.pick(s.bn)
			}
			return g.pick(s.en)
		}
		if r.honor {
			parts = append(parts, get(hon))
		}
		if r.linOn && h.lineage >= 0 && lineages[h.lineage].before {
			parts = append(parts, get(lineages[h.lineage].spellings))
		}
		parts = append(parts, get(given))
		if r.linOn && h.lineage >= 0 && !lineages[h.lineage].before {
			parts = append(parts, get(lineages[h.lineage].spellings))
		}
		if r.nickOn && h.nick >= 0 {
			parts = append(parts, get(nicks[h.nick]))
		}
		return strings.Join(parts, " ")
	}
	other := func(s spellings, lt bool, bn bool) string {
		n := g.pick(s.en)
		pre := g.pick(late.en)
		if bn {
			n, pre = g.pick(s.bn), g.pick(late.bn)
		}
		if lt {
			return pre + " " + n
		}
		return n
	}
	p := &domain.Person{NID: r.nid, DOB: r.dob, Gender: map[bool]string{true: "male", false: "female"}[h.male], Phone: r.phone}
	if r.bn {
		p.NameBN = name(true)
	}
	if r.en {
		p.NameEN = name(false)
	}
	bn := r.bn && (!r.en || g.chance(0.6))
	p.FatherName = other(g.males[h.father].spellings, r.fatherL, bn)
	if r.mother {
		p.MotherName = other(g.females[h.mother].spellings, false, bn)
	}
	if r.spouse && h.spouse >= 0 {
		p.SpouseName = other(g.males[h.spouse].spellings, h.spouseLt, bn)
	}
	if h.wallet && r.phone != "" {
		p.Wallet = r.phone
	}
	pl := g.places[r.place]
	p.Address = &domain.Address{Division: pl.division, District: pl.district, Upazila: pl.upazila, Union: pl.union,
		Ward: strconv.Itoa(h.ward)}
	return p
}

// event is one enrolment before it is written.
type event struct {
	at    float64
	h     *human
	r     record
	kind  Kind
	kinds []Kind
}

// Enrolments generates the population and returns its enrolments in the
// order a registry receives them, each with its truth: the person's
// cluster id, the kind (pattern) and, for a re-enrolment, every variation
// in Truth.Kinds. The same Config gives the same bytes.
func (g *Generator) Enrolments() iter.Seq[synth.Record] {
	g.population()
	var evs []event
	firsts := make([]record, len(g.people))
	for i, h := range g.people {
		firsts[i] = g.firstRecord(h)
		evs = append(evs, event{at: h.at, h: h, r: firsts[i], kind: h.kind})
	}
	var kinds []Kind
	var cum []float64
	acc := 0.0
	for _, k := range ReenrolmentKinds {
		if w := g.cfg.KindWeights[k]; w > 0 {
			acc += w
			kinds, cum = append(kinds, k), append(cum, acc)
		}
	}
	n := int(math.Round(g.cfg.ReenrolRate * float64(len(g.people))))
	for range n {
		k := g.kindFor(cum, kinds)
		var h *human
		for range 200 {
			c := g.people[g.rng.IntN(len(g.people))]
			if applies(k, c) {
				h = c
				break
			}
		}
		if h == nil {
			continue
		}
		r := g.reenrol(h, k, firsts[h.id])
		evs = append(evs, event{at: h.at + g.rng.Float64()*(1-h.at), h: h, r: r, kind: k, kinds: r.kinds})
	}
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	return func(yield func(synth.Record) bool) {
		for i, ev := range evs {
			if !yield(g.write(i, ev)) {
				return
			}
		}
	}
}

// sources name the registry an enrolment comes from, by programme.
var sources = map[string]string{"old_age": "dss-mis", "widow": "dss-mis", "disability": "dss-mis",
	"vgd": "dwa-vgd", "vgf": "relief-mis", "gr": "relief-mis", "oms": "food-oms", "emergency_cash": "g2p-cash"}

func (g *Generator) write(i int, ev event) synth.Record {
	id := fmt.Sprintf("%s-enr-%08d", g.cfg.RunID, i)
	at := epoch.AddDate(-2, 0, 0).Add(time.Duration(ev.at * float64(2*365*24*time.Hour))).Truncate(time.Second)
	e := domain.Event{EventID: id, Type: domain.TypeEnrolment, OccurredAt: at.In(dhaka).Format(time.RFC3339),
		Source: sources[ev.r.prog], Programme: ev.r.prog, BeneficiaryRef: fmt.Sprintf("%s-%08d", strings.ToUpper(ev.r.prog[:2]), i),
		Person: g.person(ev.h, ev.r)}
	b, err := json.Marshal(&e)
	if err != nil {
		panic(err) // a struct of strings always encodes
	}
	key := e.Person.NID
	if key == "" {
		key = e.BeneficiaryRef
	}
	t := synth.Truth{EventID: id, PersonID: fmt.Sprintf("R%08d", ev.h.id), Pattern: synth.Pattern(ev.kind),
		Action: domain.ActionAdmit, Rules: []string{}}
	if ev.kinds != nil {
		t.Action, t.Rules, t.Fraud = domain.ActionHold, []string{domain.RuleFuzzyPerson}, true
		for _, k := range ev.kinds {
			t.Kinds = append(t.Kinds, string(k))
		}
	}
	return synth.Record{Type: domain.TypeEnrolment, Key: []byte(key), Value: b, EventID: id, Phase: synth.PhaseEnrolment, Truth: t}
}

var dhaka = time.FixedZone("+06", 6*3600)
