package eval

import (
	"slices"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
)

// memIndex is the in-memory twin of matchers/redisindex for enrolments.
// Its candidate generation must stay faithful to redisindex.matchFuzzy:
// blocks are sets of numeric person ids, read in ascending order (Redis
// keeps sets of at most 512 small integers as sorted intsets, and BlockCap
// keeps every block below that); a block holding BlockCap persons is
// generic and takes no more members; probes are read, not joined; the
// members of the blocks that find and of the probes are ranked by
// fuzzy.Rank, and at most MaxCandidates records are scored; only admitted and held enrolments are
// indexed, after they are decided; token frequencies count, per person
// indexed, each distinct strong token of its name once, when its first
// enrolment is indexed.
type memIndex struct {
	cfg    fuzzy.Config
	policy domain.Policy
	pseudo *domain.Pseudonymizer
	// claims holds, per person key, the programmes enrolled (DUP_NID and
	// MULTI_PROGRAMME).
	claims  map[string]map[string]bool
	blocks  map[string][]uint64
	records map[uint64]score.Record
	tf      map[string]int
	tfN     int
}

func newMemIndex(cfg fuzzy.Config, policy domain.Policy, pseudo *domain.Pseudonymizer) *memIndex {
	return &memIndex{cfg: cfg, policy: policy, pseudo: pseudo, claims: map[string]map[string]bool{},
		blocks: map[string][]uint64{}, records: map[uint64]score.Record{}, tf: map[string]int{}}
}

// decision is what the index decided for one enrolment.
type decision struct {
	personID string
	exact    string // DUP_NID or MULTI_PROGRAMME when blocked
	match    fuzzy.Match
	found    bool // a candidate whose name is not far was scored
	shared   int  // persons already tied to the phone or wallet
	// cands are the records scored, valid until the next decide, and
	// query the enrolment's own profile as it was scored.
	cands []score.Record
	query fuzzy.Profile
}

// identity names the person as redisindex.resolveRefs does: by NID, by
// birth registration number, else by the source's ref and the event id
// (nobody but the fuzzy rules can find such a person again).
func (ix *memIndex) identity(e *domain.Event) (key, personID string) {
	p := e.Person
	switch {
	case p.NID != "":
		key = ix.pseudo.Hash("nid", p.NID)[:16]
	case p.BirthRegNo != "":
		key = ix.pseudo.Hash("brn", p.BirthRegNo)[:16]
	default:
		return "", "P" + ix.pseudo.Hash("ref", e.Source+"\x00"+e.Programme+"\x00"+e.BeneficiaryRef+"\x00"+e.EventID)[:16]
	}
	return key, "P" + key
}

// decide runs one validated enrolment through the exact rules and, unless
// they block it, the fuzzy matcher, then indexes it.
func (ix *memIndex) decide(e *domain.Event) decision {
	key, pid := ix.identity(e)
	d := decision{personID: pid}
	if key != "" {
		held := ix.claims[key]
		switch {
		case held[e.Programme]:
			d.exact = domain.RuleDupNID
		default:
			for _, x := range ix.policy.ExcludedBy(e.Programme) {
				if held[x] {
					d.exact = domain.RuleMultiProgramme
					break
				}
			}
		}
		if d.exact != "" {
			return d // a blocked enrolment is not indexed
		}
		if held == nil {
			held = map[string]bool{}
			ix.claims[key] = held
		}
		held[e.Programme] = true
	}

	prof := fuzzy.ProfileOf(e.Person, pid, ix.pseudo)
	cfg := &ix.cfg
	var lists [][]uint64
	read := func(b fuzzy.Block) {
		members := ix.blocks[b.Key]
		var l []uint64
		for _, id := range members {
			if id != prof.ID {
				l = append(l, id)
			}
		}
		lists = append(lists, l)
	}
	for _, b := range prof.Blocks {
		if b.Contact() {
			d.shared = max(d.shared, len(ix.blocks[b.Key]))
		}
		if b.Finds() {
			read(b)
		}
	}
	for _, b := range prof.Probes {
		read(b)
	}
	var cands []score.Record
	for _, id := range fuzzy.Rank(lists, cfg.MaxCandidates) {
		if r, ok := ix.records[id]; ok {
			cands = append(cands, r)
		}
	}
	var tf score.TermFreq
	if ix.tfN >= cfg.MinTFPopulation && ix.tfN > 0 {
		m := tfMap{}
		for _, t := range prof.Tokens {
			if c := ix.tf[t]; c > 0 {
				m[t] = float64(c) / float64(ix.tfN)
			}
		}
		tf = m
	} else {
		tf = tfMap{}
	}
	query := prof
	if d.shared > cfg.SharedContactAlert {
		query.Record.PhoneHash = "" // a shared phone says little about identity
	}
	d.match, d.found = cfg.Best(&query, cands, tf, nil)
	d.cands, d.query = cands, query

	ix.index(&prof)
	return d
}

// index stores an admitted or held enrolment as a candidate for later ones.
func (ix *memIndex) index(prof *fuzzy.Profile) {
	if _, err := prof.Record.AppendBinary(nil); err != nil {
		return // redisindex does not index a record it cannot encode
	}
	_, counted := ix.records[prof.ID]
	ix.records[prof.ID] = prof.Record
	for _, b := range prof.Blocks {
		m := ix.blocks[b.Key]
		if len(m) >= ix.cfg.BlockCap {
			continue
		}
		i, found := slices.BinarySearch(m, prof.ID)
		if !found {
			ix.blocks[b.Key] = slices.Insert(m, i, prof.ID)
		}
	}
	if counted {
		return
	}
	for i, t := range prof.Record.Name.Strong {
		if !slices.Contains(prof.Record.Name.Strong[:i], t) {
			ix.tf[t]++
		}
	}
	ix.tfN++
}

// tfMap is the frequency table redisindex reads for one query: only the
// query's own strong name and father tokens are looked up, as the share
// of indexed enrolments whose name holds them (score.TermFreq's contract).
type tfMap map[string]float64

func (m tfMap) Freq(t string) float64 { return m[t] }
