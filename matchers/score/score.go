package score

import (
	"math"
	"strconv"
	"strings"

	"github.com/ekjon/ekjon/domain"
)

// Result is a scored pair: the match weight in bits and each field's share
// of it, in a fixed field order. The weights of Contributions sum to Total.
type Result struct {
	Total         float64
	Contributions []domain.Contribution
}

// Explain renders the result on one line for logs: field, level and weight
// only, never a token, hash or id, so it may be logged as it is.
func (r Result) Explain() string {
	b := make([]byte, 0, 32*len(r.Contributions)+24)
	for _, c := range r.Contributions {
		b = append(b, c.Field...)
		b = append(b, '=')
		b = append(b, c.Level...)
		b = append(b, ':')
		b = appendWeight(b, c.Weight)
		b = append(b, ' ')
	}
	b = append(b, "total="...)
	b = appendWeight(b, r.Total)
	return string(b)
}

func appendWeight(b []byte, w float64) []byte {
	if w >= 0 {
		b = append(b, '+')
	}
	return strconv.AppendFloat(b, w, 'f', 2, 64)
}

// String is Explain, so a Result prints safely with %v.
func (r Result) String() string { return r.Explain() }

// Score compares a (usually the incoming enrolment) with b (a candidate from
// the index) and returns the match weight with its explanation. tf may be
// nil, which turns the term-frequency adjustment off. m must have passed
// Validate. Score does no I/O, is safe for concurrent use and costs one
// allocation (the contributions). To score many candidates against one
// record, a Query does once what Score does for every pair.
//
// Every field is reported, missing ones with weight 0, so reviewers see the
// same layout for every pair; term-frequency lines appear only when tokens
// agreed, and a household line only when the cap cut the family evidence.
func (m *Model) Score(a, b *Record, tf TermFreq) Result {
	q := m.Query(a, tf)
	return q.Score(b)
}

// tfAdjust returns the term-frequency adjustment of a name level whose U
// has the logarithm logU: the level's U replaced by the chance that two
// different people share the agreeing tokens, the product over them of
// TFTokensPerName×freq, bounded by TFMaxDown and TFMaxUp. A close pair
// takes the higher frequency of its two spellings, so a typo never makes a
// common name look rare. ok is false when any agreeing token has no known
// frequency: an incomplete table then leaves the level's own weight alone
// rather than guess.
//
// share scales the frequencies: 1 for a person's own name; 2 for a
// relative's, since the table counts the share of all persons whose own
// name holds a token, and a man's name is met among men only, half of
// them, while every father and husband is a man (and every mother a
// woman): a father's name is twice as common among fathers as the table
// says.
func (m *Model) tfAdjust(nm *nameMatch, logU float64, tf TermFreq, share float64) (level string, w float64, ok bool) {
	w = logU
	for _, p := range nm.pairs[:nm.n] {
		f := tf.Freq(p[0])
		if p[1] != p[0] {
			f = max(f, tf.Freq(p[1]))
		}
		if !(f > 0) {
			return "", 0, false
		}
		w -= math.Log2(min(1, share*m.TFTokensPerName*f))
	}
	w = min(m.TFMaxUp, max(-m.TFMaxDown, w))
	switch {
	case w < 0:
		return LevelCommon, w, true
	case w > 0:
		return LevelRare, w, true
	}
	return LevelTypical, 0, true
}

// Weight returns the weight of field in r, or 0 when r has none; a helper
// for reviewers' views and tests.
func (r Result) Weight(field string) float64 {
	var w float64
	for _, c := range r.Contributions {
		if c.Field == field {
			w += c.Weight
		}
	}
	return w
}

// Level returns the level of field in r, or "" when r has none.
func (r Result) Level(field string) string {
	for _, c := range r.Contributions {
		if c.Field == field {
			return c.Level
		}
	}
	return ""
}

// withoutStrays compares the own names again without their stray tokens
// (see stray) and keeps the better outcome. A misspelt honorific (মছাঃ,
// Mossammaat) or female marker (Begm, আক্তর) is not recognised by the name
// normaliser and lands among the strong tokens, where it makes one
// person's two names look like relatives' names.
func (m *Model) withoutStrays(nm nameMatch, a, b *Record) nameMatch {
	var xa, xb [maxNameTokens]string
	na := dropStrays(&xa, a.Name.Strong, b, m.TokenClose)
	nb := dropStrays(&xb, b.Name.Strong, a, m.TokenClose)
	if na == 0 || nb == 0 || (na == len(a.Name.Strong) && nb == len(b.Name.Strong)) {
		return nm
	}
	if alt := compareNames(xa[:na], xb[:nb], m.TokenClose); nameRank(alt.level) > nameRank(nm.level) {
		return alt
	}
	return nm
}

// dropStrays copies into dst the tokens of t that are not strays against
// the other record and returns how many it copied.
func dropStrays(dst *[maxNameTokens]string, t []string, other *Record, closeJW float64) int {
	n := 0
	for i, tok := range t {
		if i >= maxNameTokens {
			break
		}
		if !stray(tok, i, other, closeJW) {
			dst[n] = tok
			n++
		}
	}
	return n
}

// stray reports whether a strong token at position i of one name is a
// misspelt honorific or weak token rather than a name: it agrees with none
// of the other name's strong tokens, and either it agrees with one of the
// other name's weak tokens, or it opens the name and is a stump or slip of
// the folded Mohammad or Mosammat.
func stray(tok string, i int, other *Record, closeJW float64) bool {
	for _, o := range other.Name.Strong {
		if g, _ := tokenAgree(tok, o, closeJW); g > 0 {
			return false
		}
	}
	for _, w := range other.Name.Weak {
		if g, _ := tokenAgree(tok, w, closeJW); g > 0 {
			return true
		}
	}
	if i != 0 {
		return false
	}
	for _, h := range [...]string{"mahamad", "masamat"} {
		if strings.HasPrefix(h, tok) && len(tok) < len(h) {
			return true
		}
		if g, _ := tokenAgree(tok, h, closeJW); g > 0 {
			return true
		}
	}
	return false
}
