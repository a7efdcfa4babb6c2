package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Generator builds the population and its streams for one Config. Its
// tables are read-only after New, so one Generator may serve several
// streams concurrently; each stream holds its own state.
type Generator struct {
	cfg    Config
	names  nameTables
	geo    geography
	t0     time.Time // start of the first payment cycle
	nGroup [2]int    // benign and fraudulent shared-phone groups
	size   []int32   // members per shared-phone group
}

// New checks cfg and prepares a Generator. It walks the population once to
// size the shared-phone groups (a few draws per person, no names).
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t0, _ := time.ParseInLocation("2006-01", cfg.Cycles[0], dhaka)
	g := &Generator{cfg: cfg, names: parseNames(), geo: parseGeography(), t0: t0}
	g.nGroup[0] = max(1, int(float64(cfg.Persons)*cfg.BenignSharedPhoneRate/6))
	g.nGroup[1] = max(1, int(float64(cfg.Persons)*cfg.FraudSharedPhoneRate/8))
	g.size = make([]int32, g.nGroup[0]+g.nGroup[1])
	for i := range cfg.Persons {
		if f := g.fate(i); f.group >= 0 {
			g.size[f.group]++
		}
	}
	return g, nil
}

// Config returns the configuration the Generator was built with.
func (g *Generator) Config() Config { return g.cfg }

var dhaka = time.FixedZone("+06", 6*3600)

// Salts keep the random streams of one person apart.
const (
	saltFate = iota + 1
	saltCore
	saltName
	saltRender
	saltVariant
	saltStatus
	saltGhost
	saltPay
	saltStream
)

func (g *Generator) rng(salt, i int, extra uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.cfg.Seed)^extra*0x9e3779b97f4a7c15, uint64(i)<<8|uint64(salt)))
}

type second uint8

const (
	secondNone second = iota
	secondDupNID
	secondMulti
	secondFuzzy
	secondCompat
)

type status uint8

const (
	statusNone status = iota
	statusDead
	statusExited
	statusDeadPaid
	statusExitedPaid
	statusSuspended
	statusWalletChange
	statusTakeover
)

// fate is what will happen to a person, drawn before anything else so that
// New can count shared-phone groups without building names.
type fate struct {
	second second
	status status
	group  int // shared-phone group, -1 for an own phone
	fraudG bool
}

func (g *Generator) fate(i int) fate {
	r := g.rng(saltFate, i, 0)
	c := &g.cfg
	f := fate{group: -1}
	switch x := r.Float64(); {
	case x < c.DupNIDRate:
		f.second = secondDupNID
	case x < c.DupNIDRate+c.MultiProgrammeRate:
		f.second = secondMulti
	case x < c.DupNIDRate+c.MultiProgrammeRate+c.FuzzyDupRate:
		f.second = secondFuzzy
	case x < c.DupNIDRate+c.MultiProgrammeRate+c.FuzzyDupRate+c.SecondProgrammeRate:
		f.second = secondCompat
	}
	x := r.Float64()
	for k, p := range []float64{c.DeathRate, c.ExitRate, c.DeceasedPaidRate * 0.7, c.DeceasedPaidRate * 0.3,
		c.SuspensionRate, c.WalletChangeRate, c.WalletTakeoverRate} {
		if x < p {
			f.status = status(k + 1)
			break
		}
		x -= p
	}
	switch x := r.Float64(); {
	case x < c.BenignSharedPhoneRate:
		f.group = r.IntN(g.nGroup[0])
	case x < c.BenignSharedPhoneRate+c.FraudSharedPhoneRate:
		f.group = g.nGroup[0] + r.IntN(g.nGroup[1])
		f.fraudG = true
	}
	return f
}

type religion uint8

const (
	muslim religion = iota
	hindu
	buddhist
	christian
)

// core holds a person's identifiers and the facts every stream needs.
type core struct {
	idx       int
	fate      fate
	programme string
	gender    string
	rel       religion
	dob       time.Time
	nid       string // ASCII digits
	phone     string // 01XXXXXXXXX
	wallet    string // canonical
	newWallet string // after a wallet change
	dist      *district
	upa       *upazila
	union     place
	village   place
	ward      int
	ref       string
}

func (c *core) cluster() string { return "H" + pad(c.idx, 7) }

// programme mix of DSS and relief beneficiaries.
var programmeMix = [...]struct {
	code string
	w    int
}{
	{"old_age", 440}, {"widow", 240}, {"disability", 200}, {"vgd", 40}, {"vgf", 20}, {"gr", 10},
	{"oms", 10}, {"emergency_cash", 10}, {"freedom_fighter", 10}, {"tea_garden", 10}, {"hijra", 5}, {"bede", 5},
}

func pickProgramme(r *rand.Rand) string {
	x := r.IntN(1000)
	for _, p := range programmeMix {
		if x < p.w {
			return p.code
		}
		x -= p.w
	}
	return "old_age"
}

func (g *Generator) core(i int) *core {
	f := g.fate(i)
	r := g.rng(saltCore, i, 0)
	c := &core{idx: i, fate: f, programme: pickProgramme(r)}
	var minAge, maxAge int
	switch c.programme {
	case "old_age":
		c.gender = pickGender(r, 0.55)
		minAge, maxAge = 65, 97
		if c.gender == "female" {
			minAge = 62
		}
	case "widow":
		c.gender, minAge, maxAge = "female", 25, 85
	case "vgd":
		c.gender, minAge, maxAge = "female", 20, 49
	case "disability":
		c.gender, minAge, maxAge = pickGender(r, 0.4), 18, 85
	case "freedom_fighter":
		c.gender, minAge, maxAge = pickGender(r, 0.03), 68, 92
	case "hijra":
		c.gender, minAge, maxAge = "hijra", 20, 60
	default:
		c.gender, minAge, maxAge = pickGender(r, 0.5), 18, 80
	}
	age := minAge + r.IntN(maxAge-minAge+1)
	c.dob = g.t0.AddDate(-age, 0, -1-r.IntN(364))
	// A multi-programme fate needs a programme its first one excludes.
	if f.second == secondMulti && excludedFor(c, age) == "" {
		c.fate.second = secondNone
	}
	switch x := r.Float64(); {
	case x < 0.905 || c.programme == "hijra":
		c.rel = muslim
	case x < 0.985:
		c.rel = hindu
	case x < 0.993:
		c.rel = buddhist
	default:
		c.rel = christian
	}
	if c.rel == buddhist && c.programme == "tea_garden" {
		c.rel = hindu
	}
	// Place.
	x := r.IntN(g.geo.cum[len(g.geo.cum)-1])
	d := 0
	for g.geo.cum[d] <= x {
		d++
	}
	c.dist = &g.geo.districts[d]
	c.upa = &c.dist.upazilas[r.IntN(len(c.dist.upazilas))]
	c.union = g.geo.places[r.IntN(len(g.geo.places))]
	c.village = g.geo.places[r.IntN(len(g.geo.places))]
	c.ward = 1 + r.IntN(9)
	// Identifiers, from disjoint bijective ranges so none collide.
	c.nid = g.nid(r, c, i)
	if f.group >= 0 {
		c.phone = phoneOf(uint64(1*MaxPersons + f.group))
	} else {
		c.phone = phoneOf(uint64(i))
	}
	switch x := r.Float64(); {
	case x < 0.85 || f.group >= 0:
		c.wallet = c.phone
	case x < 0.95: // a son's or daughter's bKash
		c.wallet = phoneOf(uint64(2*MaxPersons + i))
	default: // a Rocket account: the phone and a check digit
		c.wallet = c.phone + strconv.Itoa(r.IntN(10))
	}
	c.newWallet = phoneOf(uint64(3*MaxPersons + i))
	c.ref = refOf(c.programme, i, 0)
	return c
}

func pickGender(r *rand.Rand, female float64) string {
	if r.Float64() < female {
		return "female"
	}
	return "male"
}

// excludedFor returns a programme that c's first one excludes and that c
// could plausibly claim, or "".
func excludedFor(c *core, age int) string {
	switch {
	case c.programme == "old_age" || c.programme == "widow":
		return "disability"
	case c.programme != "disability":
		return ""
	case c.gender == "female":
		return "widow"
	case age >= 65:
		return "old_age"
	}
	return ""
}

// compatibleFor returns a programme c may draw alongside the first one.
func compatibleFor(r *rand.Rand, c *core) string {
	opts := []string{"vgf", "gr", "oms", "emergency_cash"}
	for {
		if p := opts[r.IntN(len(opts))]; p != c.programme {
			return p
		}
	}
}

func refOf(programme string, i, slot int) string {
	prefix := "DSS-"
	switch programme {
	case "vgd":
		prefix = "DWA-VGD-"
	case "vgf", "gr", "emergency_cash":
		prefix = "DDM-"
	case "oms":
		prefix = "DGF-OMS-"
	case "freedom_fighter":
		prefix = "MOLWA-"
	}
	return prefix + pad(i*4+slot+1000000, 8)
}

// nid returns a person's NID in ASCII digits: a 10-digit smart-card number,
// a 13-digit number opening with the district and upazila codes, or the
// 17-digit form that prefixes the 13 with the birth year.
func (g *Generator) nid(r *rand.Rand, c *core, idx int) string {
	switch x := r.Float64(); {
	case x < 0.35:
		return nid10(uint64(idx))
	case x < 0.55:
		return nid13(c, uint64(idx))
	default:
		return strconv.Itoa(c.dob.Year()) + nid13(c, uint64(idx))
	}
}

func nid10(idx uint64) string {
	return strconv.FormatUint(1_000_000_000+(idx*7_919_000_013+123_456_789)%9_000_000_000, 10)
}

func nid13(c *core, idx uint64) string {
	area := "1"
	if idx%7 == 0 {
		area = "2"
	}
	return c.dist.code + area + c.upa.code + pad(int((idx*48_271+7_777_777)%100_000_000), 8)
}

// phoneOf returns a distinct mobile number for each idx below 10^8.
func phoneOf(idx uint64) string {
	ops := "7777339988665544"
	return "01" + string(ops[(idx*2654435761>>7)%16]) + pad(int((idx*69_069+31_415_927)%100_000_000), 8)
}

func pad(n, w int) string {
	s := strconv.Itoa(n)
	if len(s) >= w {
		return s
	}
	return strings.Repeat("0", w-len(s)) + s
}

// identity is a person's names, built as tokens so both scripts agree.
type identity struct {
	self, father, mother, spouse name
	fatherLate, spouseLate       bool
}

type name struct {
	hon      *honorific
	hb, he   int // honorific spellings
	toks     []token
	spelling []int
}

func (n name) bn() string {
	var b strings.Builder
	if n.hon != nil {
		b.WriteString(n.hon.bn[n.hb])
	}
	for _, t := range n.toks {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.bn)
	}
	return b.String()
}

func (n name) en() string {
	var b strings.Builder
	if n.hon != nil {
		b.WriteString(n.hon.en[n.he])
	}
	for k, t := range n.toks {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.en[n.spelling[k]])
	}
	return b.String()
}

func pick(r *rand.Rand, ts []token) token { return ts[r.IntN(len(ts))] }

func pickW(r *rand.Rand, w weighted) token {
	x := r.IntN(w.cum[len(w.cum)-1])
	for k, c := range w.cum {
		if x < c {
			return w.toks[k]
		}
	}
	return w.toks[0]
}

// spell picks a spelling: the common one most of the time.
func spell(r *rand.Rand, n int) int {
	if n == 1 || r.Float64() < 0.65 {
		return 0
	}
	return r.IntN(n)
}

func (g *Generator) makeName(r *rand.Rand, rel religion, female bool, family *token) name {
	t := &g.names
	var n name
	hon := func(h *honorific, p float64) {
		if r.Float64() < p {
			n.hon, n.hb, n.he = h, spell(r, len(h.bn)), spell(r, len(h.en))
		}
	}
	fam := func(w weighted) token {
		if family != nil && r.Float64() < 0.4 {
			return *family
		}
		return pickW(r, w)
	}
	switch {
	case rel == muslim && !female:
		hon(&t.hon.md, 0.7)
		n.toks = append(n.toks, pick(r, t.muslimMale))
		if second := pick(r, t.muslimMale); r.Float64() < 0.25 && second.bn != n.toks[0].bn {
			n.toks = append(n.toks, second)
		}
		if r.Float64() < 0.8 {
			n.toks = append(n.toks, fam(t.muslimFamily))
		}
	case rel == muslim:
		hon(&t.hon.mst, 0.5)
		n.toks = append(n.toks, pick(r, t.muslimFemale))
		if r.Float64() < 0.8 {
			n.toks = append(n.toks, pickW(r, t.femaleMarker))
		} else {
			n.toks = append(n.toks, fam(t.muslimFamily))
		}
	case rel == hindu && !female:
		hon(&t.hon.sree, 0.4)
		n.toks = append(n.toks, pick(r, t.hinduMale))
		if r.Float64() < 0.6 {
			n.toks = append(n.toks, pick(r, t.hinduMidMale))
		}
		n.toks = append(n.toks, fam(t.hinduFamily))
	case rel == hindu:
		hon(&t.hon.srimoti, 0.25)
		n.toks = append(n.toks, pick(r, t.hinduFemale))
		if r.Float64() < 0.65 {
			n.toks = append(n.toks, pick(r, t.hinduMidFemale))
		}
		n.toks = append(n.toks, fam(t.hinduFamily))
	default:
		given := t.otherMale
		if female {
			given = t.otherFemale
		}
		if rel == buddhist && r.Float64() < 0.5 {
			given = t.hinduMale
			if female {
				given = t.hinduFemale
			}
		}
		n.toks = append(n.toks, pick(r, given))
		w := t.christianFamily
		if rel == buddhist {
			w = t.buddhistFamily
		}
		n.toks = append(n.toks, fam(w))
	}
	n.spelling = make([]int, len(n.toks))
	for k, tk := range n.toks {
		n.spelling[k] = spell(r, len(tk.en))
	}
	return n
}

func lastToken(n name) *token {
	if len(n.toks) < 2 {
		return nil
	}
	t := n.toks[len(n.toks)-1]
	return &t
}

func (g *Generator) identity(c *core) identity {
	r := g.rng(saltName, c.idx, 0)
	female := c.gender == "female"
	var id identity
	id.self = g.makeName(r, c.rel, female && c.gender != "hijra", nil)
	var fam *token
	if !female || c.rel != muslim {
		fam = lastToken(id.self)
	}
	id.father = g.makeName(r, c.rel, false, fam)
	age := g.t0.Year() - c.dob.Year()
	id.fatherLate = r.Float64() < 0.2+float64(age)/110
	if r.Float64() < 0.35 {
		id.mother = g.makeName(r, c.rel, true, nil)
	}
	if female {
		married := 0.5
		switch c.programme {
		case "widow":
			married = 1
		case "old_age":
			married = 0.9
		case "vgd":
			married = 0.8
		}
		if r.Float64() < married {
			id.spouse = g.makeName(r, c.rel, false, nil)
			id.spouseLate = c.programme == "widow" || (c.programme == "old_age" && r.Float64() < 0.6)
		}
	}
	return id
}

// render turns a person into wire fields, choosing scripts and formats the
// way a field office would.
func (g *Generator) render(r *rand.Rand, c *core, id identity, nid string) *domain.Person {
	p := &domain.Person{DOB: c.dob.Format("2006-01-02"), Gender: c.gender}
	const both, bn, en = 0, 1, 2
	mode := both
	switch x := r.Float64(); {
	case x < 0.25:
		mode = bn
	case x < 0.4:
		mode = en
	}
	if mode != en {
		p.NameBN = id.self.bn()
	}
	if mode != bn {
		p.NameEN = id.self.en()
	}
	rel := func(n name, late bool) string {
		if n.toks == nil {
			return ""
		}
		useBN := mode == bn || (mode == both && r.Float64() < 0.6)
		s := n.en()
		if useBN {
			s = n.bn()
		}
		if late {
			h := &g.names.hon.late
			if useBN {
				s = h.bn[spell(r, len(h.bn))] + " " + s
			} else {
				s = h.en[spell(r, len(h.en))] + " " + s
			}
		}
		return s
	}
	p.FatherName = rel(id.father, id.fatherLate)
	p.MotherName = rel(id.mother, false)
	p.SpouseName = rel(id.spouse, id.spouseLate)
	p.NID = formatNID(r, nid)
	p.Phone = formatPhone(r, c.phone)
	p.Wallet = c.wallet
	p.Address = g.address(r, c, mode == bn)
	return p
}

func (g *Generator) address(r *rand.Rand, c *core, bangla bool) *domain.Address {
	a := &domain.Address{Ward: strconv.Itoa(c.ward)}
	switch x := r.Float64(); {
	case x < 0.1: // BBS codes
		a.Division = c.dist.divCode
		a.District, a.Upazila = c.dist.code, c.upa.code
		a.Union, a.Village = c.union.en, c.village.en
	case bangla || x < 0.3:
		a.Division, a.District, a.Upazila = c.dist.division.bn, c.dist.bn, c.upa.bn
		a.Union, a.Village = c.union.bn, c.village.bn
		a.Ward = toBanglaDigits(a.Ward)
	default:
		a.Division, a.District, a.Upazila = c.dist.division.en, c.dist.en, c.upa.en
		a.Union, a.Village = c.union.en, c.village.en
	}
	if r.Float64() < 0.3 {
		a.Village = ""
	}
	return a
}

func toBanglaDigits(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 3)
	for _, ch := range s {
		if ch >= '0' && ch <= '9' {
			b.WriteRune('০' + (ch - '0'))
		} else {
			b.WriteRune(ch)
		}
	}
	return b.String()
}

func formatNID(r *rand.Rand, nid string) string {
	if nid == "" {
		return ""
	}
	switch x := r.Float64(); {
	case x < 0.15:
		return toBanglaDigits(nid)
	case x < 0.2 && len(nid) == 17:
		return nid[:4] + " " + nid[4:]
	}
	return nid
}

func formatPhone(r *rand.Rand, ph string) string {
	switch x := r.Float64(); {
	case x < 0.55:
		return ph
	case x < 0.75:
		return "+88" + ph
	case x < 0.8:
		return "88" + ph
	case x < 0.88:
		return ph[:5] + "-" + ph[5:]
	case x < 0.95:
		return toBanglaDigits(ph)
	default:
		return "+880 " + ph[1:5] + "-" + ph[5:]
	}
}
