// Package fuzzy finds the same person enrolled again under another spelling,
// another NID or none: it turns an enrolment's person into a compact
// candidate record and a few blocking keys, and picks the best-scoring
// candidate with its explanation. It does no I/O: the Redis index
// (matchers/redisindex) and the offline evaluation (ekjon eval) store the
// blocks and records each their own way.
package fuzzy

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/names"
	"github.com/ekjon/ekjon/matchers/score"
)

// Block kinds. Every block finds candidates; contact blocks also count
// how many persons share a number (SHARED_CONTACT).
const (
	BlockName     = 'n' // name key + birth year
	BlockPlace    = 'u' // name key + district + upazila
	BlockDistrict = 'd' // name key + district
	BlockFamily   = 'f' // father's or spouse's name key + dob
	// BlockFather is name key + father's name key: it survives a birth
	// year guessed or written as 1 January and a move to another
	// district, which part every other name block.
	BlockFather = 'F'
	// BlockLoose is a loose name key (one token left out, see
	// names.Name.Loose) + district. A person joins the blocks of its loose
	// keys and finds nobody there: its shorter namesakes find it by
	// probing their full key, so that two names longer by different
	// tokens do not meet.
	BlockLoose = 'l'
	// BlockContact holds the persons who gave a number as their phone or
	// as their wallet: an MFS wallet is usually the phone's account, so
	// one block serves both, and a number that is one person's phone and
	// another's wallet is shared all the same.
	BlockContact = 'p'
	blockKeySize = 12
)

// Block is one blocking key of a person, already keyed-hashed so that the
// index reveals no name, phone or wallet.
type Block struct {
	Kind byte
	Key  string
}

// Contact reports whether a block counts persons sharing a number.
func (b Block) Contact() bool { return b.Kind == BlockContact }

// Finds reports whether a block's members are candidates of the person who
// joins it. All blocks' are but loose ones': a contact block costs no extra
// index memory (it is kept for SHARED_CONTACT anyway) and finds the person
// re-enrolled under a name, birth date and address that all changed.
func (b Block) Finds() bool { return b.Kind != BlockLoose }

// Profile is what the matcher knows of one enrolled person.
type Profile struct {
	// ID is the person's compact numeric id in the index.
	ID     uint64
	Record score.Record
	// Blocks are the blocks the person joins; their members (those of
	// blocks that Find) are its candidates.
	Blocks []Block
	// Probes are blocks the person reads but does not join: the birth
	// years either side of its own, and the blocks where names one token
	// longer or shorter than its own are kept.
	Probes []Block
	// Tokens are the strong name tokens whose population frequencies the
	// scorer needs.
	Tokens []string
}

// ProfileOf builds the profile of a validated enrolment's person, whose
// pseudonymous id is personID. pseudo keys the hashes. It is pure and safe
// for concurrent use.
func ProfileOf(p *domain.Person, personID string, pseudo *domain.Pseudonymizer) Profile {
	var pr Profile
	pr.ID = NumericID(personID)
	r := &pr.Record
	r.PersonID = personID
	bn, en := names.Tokens(p.NameBN), names.Tokens(p.NameEN)
	main := bn
	if len(main.Strong) == 0 {
		main = en
	}
	r.Name = score.Name{Strong: clip(main.Strong), Weak: clip(main.Weak)}
	father, spouse := relative(p.FatherName), relative(p.SpouseName)
	r.Father = score.Name{Strong: clip(father.Strong), Weak: clip(father.Weak)}
	r.Spouse = score.Name{Strong: clip(spouse.Strong), Weak: clip(spouse.Weak)}
	mother := relative(p.MotherName)
	r.Mother = score.Name{Strong: clip(mother.Strong), Weak: clip(mother.Weak)}
	if d, err := time.Parse("2006-01-02", p.DOB); err == nil {
		r.DOB = score.DOB{Year: uint16(d.Year()), Month: uint8(d.Month()), Day: uint8(d.Day())}
	}
	r.Gender = score.ParseGender(p.Gender)
	if p.Phone != "" {
		r.PhoneHash = pseudo.Hash("phone", p.Phone)[:8]
	}
	if p.NID != "" {
		// The core, so that the 17- and 13-digit forms of one NID compare equal.
		r.NIDHash = pseudo.Hash("nid", domain.NIDCore(p.NID))[:8]
		r.NIDDistrict = NIDDistrict(p.NID)
	}
	if a := p.Address; a != nil {
		r.District, r.Upazila = clipString(district(a.District)), clipString(upazila(a.Upazila))
	}

	// At most four blocks per name key, two per loose key (or per token
	// of a name of two), one per family key and two contact blocks: the
	// blocks are allocated once.
	ks := keyer{pseudo: pseudo,
		blocks: make([]Block, 0, 4*(len(bn.Keys)+len(en.Keys))+2*(len(bn.Loose)+len(en.Loose))+4+
			len(father.Keys)+len(spouse.Keys)+2)}
	var year, yearBefore, yearAfter string
	if y := int(r.DOB.Year); y != 0 {
		year, yearBefore, yearAfter = strconv.Itoa(y), strconv.Itoa(y-1), strconv.Itoa(y+1)
	}
	var fatherKey string
	if len(father.Keys) > 0 {
		fatherKey = father.Keys[0]
	}
	// The blocks that only widen the search (probes, the father's) are
	// made for the name the record keeps, not for its other script: the
	// other person's record joined the blocks of all its names, and one
	// script's keys find it. Each block costs a keyed hash.
	mainBN := len(bn.Strong) > 0
	for ni, n := range [...]*names.Name{&bn, &en} {
		wide := (ni == 0) == mainBN
		for _, k := range n.Keys {
			if year != "" {
				ks.add(BlockName, k, year)
				if wide {
					// A birth year guessed a year off, or an age rounded
					// the other way, meets the namesake's block of the
					// next year.
					ks.probe(BlockName, k, yearBefore)
					ks.probe(BlockName, k, yearAfter)
				}
			}
			if r.Upazila != "" {
				ks.add(BlockPlace, k, r.District, r.Upazila)
			}
			// A birth year guessed a year off and an upazila written as a
			// code on one record and a name on the other meet in neither
			// block above; the district, which every form maps to one BBS
			// code, still agrees.
			if r.District != "" {
				ks.add(BlockDistrict, k, r.District)
				// Loose blocks hold names of three or four tokens under
				// keys of two or three.
				if wide && len(n.Strong) >= 2 && len(n.Strong) < 4 {
					ks.probe(BlockLoose, k, r.District)
				}
			}
			if fatherKey != "" && wide {
				ks.add(BlockFather, k, fatherKey)
			}
		}
		if fatherKey != "" && wide {
			// A nickname or a lineage word added or dropped (Rokeya
			// Begum Moni, Rokeya Begum) parts every name key; under
			// the father's name the name one token short is still a
			// near-certain block, so the person joins it too and meets
			// the shorter record's full key (or the longer one's).
			for _, k := range fatherLoose(n) {
				ks.add(BlockFather, k, fatherKey)
			}
		}
		if r.District != "" && wide {
			for _, k := range n.Loose {
				ks.add(BlockLoose, k, r.District)
				ks.probe(BlockDistrict, k, r.District)
			}
		}
	}
	if p.DOB != "" {
		for _, n := range [...]*names.Name{&father, &spouse} {
			for _, k := range n.Keys {
				ks.add(BlockFamily, k, p.DOB)
			}
		}
	}
	if p.Phone != "" {
		ks.add(BlockContact, p.Phone)
	}
	if p.Wallet != "" {
		ks.add(BlockContact, p.Wallet)
	}
	if len(ks.blocks) > 0 {
		pr.Blocks = ks.blocks
	}
	if len(ks.probes) > 0 {
		pr.Probes = ks.probes
	}
	if n := len(r.Name.Strong) + len(r.Father.Strong) + len(r.Mother.Strong); n > 0 {
		pr.Tokens = append(append(append(make([]string, 0, n), r.Name.Strong...), r.Father.Strong...), r.Mother.Strong...)
	}
	return pr
}

// fatherLoose returns the keys of a name one strong token short, joined
// only beside the father's name: the name's loose keys, or for a name of
// two strong tokens the key of each token alone, which with the father's
// name is still rare.
func fatherLoose(n *names.Name) []string {
	if len(n.Strong) != 2 {
		return n.Loose
	}
	ks := make([]string, 0, 2)
	for _, t := range n.Strong {
		if k := names.Key(t); k != "" && !slices.Contains(n.Keys, k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// relative returns the name of a father or spouse, or an empty name when
// what is written is a placeholder: an honorific alone (Late, মৃত, Md.)
// or a word for unknown. Offices write these when the name is not known;
// compared as names, they would make strangers' fathers agree.
func relative(raw string) names.Name {
	n := names.Tokens(raw)
	if len(n.Strong) == 1 && placeholderName(n.Strong[0]) {
		return names.Name{}
	}
	return n
}

// placeholderName reports whether a folded token stands for a name nobody
// wrote: Mohammad left alone once the name after it was dropped, or a
// word for unknown or none, in either script.
func placeholderName(folded string) bool {
	switch folded {
	case "mahamad", "unknan", "na", "nai", "nane", "nil", "ajnat", "ajana", "nei":
		return true
	}
	return false
}

// keyer makes a profile's blocks. A name written in both scripts mostly
// gives the same keys twice, so each distinct block is hashed once.
type keyer struct {
	pseudo *domain.Pseudonymizer
	// msgs holds the messages hashed, end to end, as far as it has room;
	// ends holds where each of the first n ends.
	msgs   [768]byte
	ends   [48]int
	n      int
	blocks []Block
	probes []Block
}

// add adds the block of kind whose key hashes parts, unless the profile
// has it already.
func (ks *keyer) add(kind byte, parts ...string) {
	if b, ok := ks.block(kind, parts...); ok {
		ks.blocks = append(ks.blocks, b)
	}
}

// probe adds the block of kind whose key hashes parts to the probes,
// unless the profile has it already as a block or a probe.
func (ks *keyer) probe(kind byte, parts ...string) {
	if b, ok := ks.block(kind, parts...); ok {
		ks.probes = append(ks.probes, b)
	}
}

// block returns the block of kind whose key hashes parts; ok is false
// when the profile has it already.
func (ks *keyer) block(kind byte, parts ...string) (Block, bool) {
	var buf [128]byte
	msg := append(buf[:0], kind)
	for _, p := range parts {
		msg = append(append(msg, 0), p...)
	}
	from := 0
	for _, end := range ks.ends[:ks.n] {
		if bytes.Equal(ks.msgs[from:end], msg) {
			return Block{}, false
		}
		from = end
	}
	if ks.n < len(ks.ends) && from+len(msg) <= len(ks.msgs) {
		ks.ends[ks.n] = from + copy(ks.msgs[from:], msg)
		ks.n++
	}
	k := ks.pseudo.Hash("block", string(msg))[:blockKeySize]
	for _, b := range ks.blocks {
		if b.Key == k {
			return Block{}, false
		}
	}
	for _, b := range ks.probes {
		if b.Key == k {
			return Block{}, false
		}
	}
	return Block{kind, k}, true
}

// WalletBlock is the block of a wallet, as a payment names it.
func WalletBlock(wallet string, pseudo *domain.Pseudonymizer) Block {
	return Block{BlockContact, pseudo.Hash("block", string(rune(BlockContact))+"\x00"+wallet)[:blockKeySize]}
}

// NumericID maps a person id to the 63-bit number the index's block sets
// hold (Redis keeps small sets of integers compactly).
func NumericID(personID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(personID))
	return binary.BigEndian.Uint64(h.Sum(nil)) >> 1
}

// clip keeps a token list within the candidate record's limits, so that
// every enrolment's record encodes and its person is a candidate: junk in
// a name (a pasted paragraph, one endless word) costs the match some
// precision, never the person's place in the index.
func clip(t []string) []string {
	if len(t) > score.MaxTokens {
		t = t[:score.MaxTokens]
	}
	if !slices.ContainsFunc(t, func(tok string) bool { return tok == "" || len(tok) > score.MaxFieldLen }) {
		return t
	}
	out := make([]string, 0, len(t))
	for _, tok := range t {
		if tok = clipString(tok); tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

// clipString cuts s to the record's longest field, at a character
// boundary.
func clipString(s string) string {
	if len(s) <= score.MaxFieldLen {
		return s
	}
	n := score.MaxFieldLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Config sets the matcher's thresholds.
type Config struct {
	Model score.Model
	// BlockCap is the most persons a block holds; a full block is a
	// generic value (a union chairman's phone, a very common name and
	// year), takes no more members and is weak evidence: its members rank
	// low among the candidates (see Rank).
	BlockCap int
	// MaxCandidates bounds the records scored per enrolment: the best
	// ranked of its blocks' members.
	MaxCandidates int
	// SharedContactAlert and SharedContactHold are K and the higher K of
	// SHARED_CONTACT: a phone or wallet already tied to more than that many
	// other persons raises an alert, or holds the event.
	SharedContactAlert, SharedContactHold int
	// MinTFPopulation is the population below which name-token
	// frequencies are noise and are not used.
	MinTFPopulation int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Model: score.DefaultModel(), BlockCap: 100, MaxCandidates: 200, SharedContactAlert: 4, SharedContactHold: 30,
		MinTFPopulation: 10_000}
}

// Match is the best candidate for an enrolment.
type Match struct {
	Candidate score.Record
	Result    score.Result
	// Rule is FUZZY_PERSON, POSSIBLE_PERSON or "" (no match worth a look).
	Rule string
}

// Best scores the candidates against the query and returns the best one.
// Candidates that are the query's own person or share its NID (the exact
// rules' business) are skipped, as are candidates whose names do not agree
// at all. skip, which may be slow (it asks the record whether reviewers
// judged the pair different people), is consulted only for candidates
// whose score would raise a rule, best first. Candidates of equal score
// keep their order. Only the match returned is explained: the others are
// ranked by their totals alone.
func (c *Config) Best(q *Profile, cands []score.Record, tf score.TermFreq, skip func(a, b string) bool) (Match, bool) {
	sq := c.Model.Query(&q.Record, tf)
	// ruled holds the candidates whose score raises a rule; below is the
	// best-scoring of the others, the first of equals.
	var buf [16]ranked
	ruled := buf[:0]
	below, belowTotal := -1, 0.0
	for i := range cands {
		cand := &cands[i]
		if cand.PersonID == q.Record.PersonID || (q.Record.NIDHash != "" && cand.NIDHash == q.Record.NIDHash) {
			continue
		}
		total, ok := sq.Total(cand)
		if !ok {
			// Family, birth date and address together describe a
			// household as well as a person: without some agreement of
			// the names themselves, a high score is a sibling or a
			// spouse, not the same person.
			continue
		}
		switch {
		case c.Model.Verdict(total) != "":
			ruled = append(ruled, ranked{i, total})
		case below < 0 || total > belowTotal:
			below, belowTotal = i, total
		}
	}
	slices.SortStableFunc(ruled, func(x, y ranked) int { return cmp.Compare(y.total, x.total) })
	for _, r := range ruled {
		if skip == nil || !skip(q.Record.PersonID, cands[r.i].PersonID) {
			return c.match(&sq, &cands[r.i]), true
		}
	}
	// Nothing worth a rule: report the best-scoring candidate without one.
	if below >= 0 {
		return c.match(&sq, &cands[below]), true
	}
	return Match{}, false
}

// ranked is a candidate, by its index, and its total.
type ranked struct {
	i     int
	total float64
}

// match explains a candidate that Best chose.
func (c *Config) match(sq *score.Query, cand *score.Record) Match {
	res := sq.Score(cand)
	return Match{Candidate: *cand, Result: res, Rule: c.Model.Verdict(res.Total)}
}

// Rank picks an enrolment's candidates from the members of the blocks it
// read (its own id left out by the caller), at most max of them: those
// that share the most and the rarest blocks first, each block counting
// 1/size for each of its members, and, among equals, the first met. A
// block that reached the cap is generic, not useless: its members count
// for little, but one that also shares a rare block ranks high, and they
// fill what room the rare blocks leave. So the candidates stay bounded
// however large the registry, and a common name's full block does not
// hide the person who shares the phone. Rank allocates its result and a
// map of the members met.
func Rank[K comparable](blocks [][]K, max int) []K {
	type cand struct {
		id    K
		score float64
		first int
	}
	at := map[K]int{}
	var cs []cand
	for _, b := range blocks {
		if len(b) == 0 {
			continue
		}
		w := 1 / float64(len(b))
		for _, id := range b {
			if i, ok := at[id]; ok {
				cs[i].score += w
				continue
			}
			at[id] = len(cs)
			cs = append(cs, cand{id, w, len(cs)})
		}
	}
	if len(cs) > max {
		slices.SortFunc(cs, func(a, b cand) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.first, b.first)
		})
		cs = cs[:max]
		// Keep the order they were met in: the scorer breaks ties of
		// equal totals by it.
		slices.SortFunc(cs, func(a, b cand) int { return cmp.Compare(a.first, b.first) })
	}
	out := make([]K, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}
