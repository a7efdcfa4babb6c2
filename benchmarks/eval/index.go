package eval

import (
	"maps"
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
	claims map[string]map[string]bool
	blocks map[string][]uint64
	// slots places each indexed person's record in recs, so that a
	// candidate is known by its slot as well as by its person id.
	slots map[uint64]int32
	recs  []score.Record
	tf    map[string]int
	tfN   int
	// kinds counts the blocks of each kind (BlockStats).
	kinds map[byte]*BlockStats
	// capped counts the enrolments whose candidates were cut to
	// MaxCandidates.
	capped int
	// lists, cands and candSlots are reused from one decide to the next:
	// at millions of enrolments, fresh ones were most of the garbage.
	lists     [][]uint64
	cands     []score.Record
	candSlots []int32
}

// BlockStats counts the blocks of one kind at the end of a replay.
type BlockStats struct {
	// Kind is the block kind (fuzzy.BlockName, fuzzy.BlockPlace, ...).
	Kind byte
	// Blocks counts the blocks of the kind that hold anybody; Full those
	// that reached the block cap and take nobody more; Refused the
	// persons a full block turned away.
	Blocks, Full, Refused int
}

func newMemIndex(cfg fuzzy.Config, policy domain.Policy, pseudo *domain.Pseudonymizer) *memIndex {
	return &memIndex{cfg: cfg, policy: policy, pseudo: pseudo, claims: map[string]map[string]bool{},
		blocks: map[string][]uint64{}, slots: map[uint64]int32{}, tf: map[string]int{}, kinds: map[byte]*BlockStats{}}
}

// blockStats lists the counts per block kind, in kind order.
func (ix *memIndex) blockStats() []BlockStats {
	var out []BlockStats
	for _, k := range slices.Sorted(maps.Keys(ix.kinds)) {
		out = append(out, *ix.kinds[k])
	}
	return out
}

// decision is what the index decided for one enrolment.
type decision struct {
	personID string
	exact    string // DUP_NID or MULTI_PROGRAMME when blocked
	match    fuzzy.Match
	found    bool // a candidate whose name is not far was scored
	shared   int  // persons already tied to the phone or wallet
	// cands are the records scored and candSlots their slots, valid
	// until the next decide, and query the enrolment's own profile as it
	// was scored. slot is the enrolment's own record's slot, -1 when it
	// was not indexed.
	cands     []score.Record
	candSlots []int32
	query     fuzzy.Profile
	slot      int32
	// tf are the term frequencies the query is scored with; scored is
	// true when the fuzzy matcher is to score the decision (it was not
	// blocked by an exact rule).
	tf     tfMap
	scored bool
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
// they block it, the fuzzy matcher, then indexes it. The decision's
// candidates are valid until the next decide.
func (ix *memIndex) decide(e *domain.Event) decision {
	p := ix.prepare(e)
	d := ix.place(e, &p, ix.cands[:0], ix.candSlots[:0])
	ix.cands, ix.candSlots = d.cands, d.candSlots
	ix.score(&d)
	return d
}

// prepared is what an enrolment says of itself, before the index is read.
type prepared struct {
	key, personID string
	prof          fuzzy.Profile
}

// prepare names the enrolment's person and builds its profile. It reads
// nothing the index changes, so it is safe for concurrent use.
func (ix *memIndex) prepare(e *domain.Event) prepared {
	key, pid := ix.identity(e)
	return prepared{key, pid, fuzzy.ProfileOf(e.Person, pid, ix.pseudo)}
}

// place runs the exact rules, gathers the candidates into cands and slots
// (reset buffers the decision keeps) with the term frequencies and the
// query, and indexes the enrolment unless an exact rule blocks it: all
// that depends on the enrolments before it. The decision is scored by
// score, which needs nothing of the index and may run concurrently with
// later places, since the candidates are copies.
func (ix *memIndex) place(e *domain.Event, p *prepared, cands []score.Record, slots []int32) decision {
	key, pid := p.key, p.personID
	d := decision{personID: pid, slot: -1, cands: cands[:0], candSlots: slots[:0]}
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

	prof := p.prof
	cfg := &ix.cfg
	lists := ix.lists[:0]
	read := func(b fuzzy.Block) {
		members := ix.blocks[b.Key]
		var l []uint64
		if len(lists) < cap(lists) {
			l = lists[:len(lists)+1][len(lists)][:0]
		}
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
	ix.lists = lists
	ranked := fuzzy.Rank(lists, cfg.MaxCandidates)
	if len(ranked) == cfg.MaxCandidates {
		ix.capped++
	}
	for _, id := range ranked {
		if i, ok := ix.slots[id]; ok {
			d.cands, d.candSlots = append(d.cands, ix.recs[i]), append(d.candSlots, i)
		}
	}
	tf := tfMap{}
	if ix.tfN >= cfg.MinTFPopulation && ix.tfN > 0 {
		for _, t := range prof.Tokens {
			if c := ix.tf[t]; c > 0 {
				tf[t] = float64(c) / float64(ix.tfN)
			}
		}
	}
	d.tf = tf
	d.query = prof
	if d.shared > cfg.SharedContactAlert {
		d.query.Record.PhoneHash = "" // a shared phone says little about identity
	}
	d.slot = ix.index(&prof)
	d.scored = true
	return d
}

// score picks the best of a placed decision's candidates. It reads only
// the decision, so decisions may be scored concurrently.
func (ix *memIndex) score(d *decision) {
	if !d.scored {
		return
	}
	d.match, d.found = ix.cfg.Best(&d.query, d.cands, d.tf, nil)
}

// index stores an admitted or held enrolment as a candidate for later ones
// and returns its record's slot, or -1 when it was not indexed.
func (ix *memIndex) index(prof *fuzzy.Profile) int32 {
	if _, err := prof.Record.AppendBinary(nil); err != nil {
		return -1 // redisindex does not index a record it cannot encode
	}
	slot, counted := ix.slots[prof.ID]
	if counted {
		ix.recs[slot] = prof.Record
	} else {
		slot = int32(len(ix.recs))
		ix.slots[prof.ID] = slot
		ix.recs = append(ix.recs, prof.Record)
	}
	for _, b := range prof.Blocks {
		m, seen := ix.blocks[b.Key]
		k := ix.kinds[b.Kind]
		if k == nil {
			k = &BlockStats{Kind: b.Kind}
			ix.kinds[b.Kind] = k
		}
		if len(m) >= ix.cfg.BlockCap {
			if !slices.Contains(m, prof.ID) {
				k.Refused++
			}
			continue
		}
		i, found := slices.BinarySearch(m, prof.ID)
		if !found {
			ix.blocks[b.Key] = slices.Insert(m, i, prof.ID)
			if !seen {
				k.Blocks++
			}
			if len(m)+1 == ix.cfg.BlockCap {
				k.Full++
			}
		}
	}
	if counted {
		return slot
	}
	for i, t := range prof.Record.Name.Strong {
		if !slices.Contains(prof.Record.Name.Strong[:i], t) {
			ix.tf[t]++
		}
	}
	ix.tfN++
	return slot
}

// tfMap is the frequency table redisindex reads for one query: only the
// query's own strong name and father tokens are looked up, as the share
// of indexed enrolments whose name holds them (score.TermFreq's contract).
type tfMap map[string]float64

func (m tfMap) Freq(t string) float64 { return m[t] }
