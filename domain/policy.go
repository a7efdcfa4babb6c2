package domain

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Policy is the screening configuration: which programmes exist, which of
// them exclude each other, and the thresholds of the rules. Its Version is
// stamped on every decision so that a decision can be traced to the rules
// that made it.
type Policy struct {
	Version string
	// Programmes lists the programme codes ekjon accepts; an event naming
	// another is rejected. Empty means any code is accepted.
	Programmes []string
	// Exclusive lists groups of programmes of which one person may hold at
	// most one (DSS: old age, widow and disability allowances).
	Exclusive [][]string
	// RecentWalletChangeDays is N in RECENT_WALLET_CHANGE.
	RecentWalletChangeDays int
	// MaxAmount is the largest amount, in taka, a distribution may carry;
	// a larger one is rejected. It must stay below 1e12, the first amount
	// the record's numeric(14,2) column cannot hold.
	MaxAmount float64
	// Cycles gives each programme's kind of payment cycle, by which a
	// distribution's cycle is normalised (see NormalizeCycle). A programme
	// without one takes one-off cycle ids.
	Cycles map[string]CycleKind
	// Catalogue describes each programme: names, ministry, entitlement
	// and eligibility. A programme missing from it is screened all the
	// same, with no entitlement or eligibility rule.
	Catalogue map[string]Programme
	// Ministries lists the ministries that own programmes; a programme's
	// Ministry is one's English name.
	Ministries []Ministry
	// MatchWeights replace the matcher's built-in m and u of the
	// comparison levels they name: estimates from reviewers' rulings
	// (ekjon weights) or from a registry's own pairs, adopted by an
	// operator with a new policy version.
	MatchWeights []MatchWeight
}

// MatchWeight is the m and u of one comparison level of the matcher's
// scorer, named as a decision's explanation names it (field and level).
type MatchWeight struct {
	Field, Level string
	M, U         float64
}

// maxRecordAmount is the first amount the record cannot hold: payments
// keep amounts as numeric(14,2).
const maxRecordAmount = 1e12

// DefaultPolicy returns the rules of DESIGN §4 for Bangladesh's DSS and
// relief programmes: the embedded policy file (DefaultPolicyYAML), read
// afresh on each call so that callers may change their copy.
func DefaultPolicy() Policy {
	p, err := ParsePolicy("embedded policy.yaml", defaultPolicyYAML)
	if err != nil {
		// The embedded file is part of the build, and a test reads it.
		panic("domain: " + err.Error())
	}
	return p
}

// Validate reports a policy that cannot be applied.
func (p Policy) Validate() error {
	if p.Version == "" {
		return Errorf(KindInvalid, "policy", "version is empty")
	}
	for _, g := range p.Exclusive {
		if len(g) < 2 {
			return Errorf(KindInvalid, "policy", "exclusive group %v has fewer than two programmes", g)
		}
		for _, prog := range g {
			if len(p.Programmes) > 0 && !slices.Contains(p.Programmes, prog) {
				return Errorf(KindInvalid, "policy", "exclusive group names unknown programme %q", prog)
			}
		}
	}
	if p.RecentWalletChangeDays < 0 {
		return Errorf(KindInvalid, "policy", "recent wallet change days is negative")
	}
	if !(p.MaxAmount > 0 && p.MaxAmount < maxRecordAmount) {
		return Errorf(KindInvalid, "policy", "max amount %v is not between 0 and 1e12, which the record cannot hold", p.MaxAmount)
	}
	for prog, k := range p.Cycles {
		if !k.known() {
			return Errorf(KindInvalid, "policy", "programme %q has cycle kind %q; want monthly, quarterly or one-off", prog, k)
		}
	}
	return nil
}

// CycleKind returns the kind of payment cycle of programme prog.
func (p Policy) CycleKind(prog string) CycleKind {
	if k, ok := p.Cycles[prog]; ok {
		return k
	}
	return CycleOneOff
}

// Known reports whether the policy accepts programme code prog.
func (p Policy) Known(prog string) bool {
	return len(p.Programmes) == 0 || slices.Contains(p.Programmes, prog)
}

// ExcludedBy returns, sorted, the programmes that prog excludes.
func (p Policy) ExcludedBy(prog string) []string {
	var out []string
	for _, g := range p.Exclusive {
		if !slices.Contains(g, prog) {
			continue
		}
		for _, other := range g {
			if other != prog && !slices.Contains(out, other) {
				out = append(out, other)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ParseExclusive reads groups written as "old_age+widow+disability,vgd+vgf".
func ParseExclusive(s string) ([][]string, error) {
	var out [][]string
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		parts := strings.Split(g, "+")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
			if parts[i] == "" {
				return nil, fmt.Errorf("exclusive group %q has an empty programme", g)
			}
		}
		out = append(out, parts)
	}
	return out, nil
}
