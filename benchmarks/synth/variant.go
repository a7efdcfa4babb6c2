package synth

import (
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ekjon/ekjon/domain"
)

// variant renders the same human as another office would have recorded
// them: another script, honorific or spelling, tokens reordered or joined,
// typos, a missing father, a dob off by a year or with day and month
// swapped, a phone reformatted or changed. The name always differs from
// orig so that the variant is never a byte-identical copy.
func (g *Generator) variant(r *rand.Rand, c *core, id identity, orig *domain.Person, nid string) *domain.Person {
	v := id
	v.self.spelling = append([]int(nil), id.self.spelling...)
	if r.Float64() < 0.5 { // honorific dropped or spelt otherwise
		if v.self.hon != nil && r.Float64() < 0.5 {
			v.self.hon = nil
		} else if v.self.hon != nil {
			v.self.hb, v.self.he = r.IntN(len(v.self.hon.bn)), r.IntN(len(v.self.hon.en))
		}
	}
	for k, t := range v.self.toks { // another common spelling
		if r.Float64() < 0.4 {
			v.self.spelling[k] = r.IntN(len(t.en))
		}
	}
	vc := *c
	if r.Float64() < 0.35 { // dob off by a year or day and month swapped
		if d, m := vc.dob.Day(), int(vc.dob.Month()); d <= 12 && d != m && r.Float64() < 0.5 {
			vc.dob = time.Date(vc.dob.Year(), time.Month(d), m, 0, 0, 0, 0, vc.dob.Location())
		} else if r.Float64() < 0.5 {
			vc.dob = vc.dob.AddDate(1, 0, 0)
		} else {
			vc.dob = vc.dob.AddDate(-1, 0, 0)
		}
		if len(nid) == 17 {
			nid = vc.dob.Format("2006") + nid[4:]
		}
	}
	if r.Float64() < 0.25 { // a new SIM
		vc.phone = phoneOf(uint64(4*MaxPersons + c.idx))
		vc.wallet = vc.phone
	}
	p := g.render(r, &vc, v, nid)
	if r.Float64() < 0.3 {
		p.FatherName = ""
	}
	for tries := 0; tries < 8; tries++ {
		mutateName(r, p, v)
		if p.NameBN != orig.NameBN || p.NameEN != orig.NameEN {
			break
		}
	}
	return p
}

// mutateName applies one string-level change to the person's name.
func mutateName(r *rand.Rand, p *domain.Person, id identity) {
	switch r.IntN(5) {
	case 0: // script switched
		switch {
		case p.NameBN != "" && p.NameEN != "":
			if r.Float64() < 0.5 {
				p.NameBN = ""
			} else {
				p.NameEN = ""
			}
		case p.NameBN != "":
			p.NameBN, p.NameEN = "", id.self.en()
		default:
			p.NameEN, p.NameBN = "", id.self.bn()
		}
	case 1: // transliteration swap
		if p.NameEN != "" {
			p.NameEN = translitSwap(r, p.NameEN)
		}
	case 2: // token order: family name first, as some forms ask
		if p.NameEN != "" {
			p.NameEN = rotate(p.NameEN)
		} else {
			p.NameBN = rotate(p.NameBN)
		}
	case 3: // joined tokens
		if p.NameEN != "" {
			p.NameEN = joinTokens(r, p.NameEN)
		} else {
			p.NameBN = joinTokens(r, p.NameBN)
		}
	default: // typo
		if p.NameBN != "" && (p.NameEN == "" || r.Float64() < 0.5) {
			p.NameBN = banglaTypo(r, p.NameBN)
		} else {
			p.NameEN = latinTypo(r, p.NameEN)
		}
	}
}

var swaps = [...][2]string{{"a", "o"}, {"o", "a"}, {"i", "ee"}, {"u", "oo"}, {"ee", "i"}, {"ph", "f"},
	{"sh", "s"}, {"z", "j"}, {"q", "k"}, {"kh", "k"}, {"w", "o"}, {"dd", "d"}, {"mm", "m"}, {"y", "i"}}

func translitSwap(r *rand.Rand, s string) string {
	start := r.IntN(len(swaps))
	for k := range swaps {
		sw := swaps[(start+k)%len(swaps)]
		if i := strings.Index(s[1:], sw[0]); i >= 0 {
			i++
			return s[:i] + sw[1] + s[i+len(sw[0]):]
		}
	}
	return s
}

func rotate(s string) string {
	f := strings.Fields(s)
	if len(f) < 2 {
		return s
	}
	return strings.Join(append(f[len(f)-1:], f[:len(f)-1]...), " ")
}

func joinTokens(r *rand.Rand, s string) string {
	f := strings.Fields(s)
	if len(f) < 2 {
		return s
	}
	k := r.IntN(len(f) - 1)
	f[k] += f[k+1]
	return strings.Join(append(f[:k+1], f[k+2:]...), " ")
}

func latinTypo(r *rand.Rand, s string) string {
	if len(s) < 4 {
		return s + "a"
	}
	i := 1 + r.IntN(len(s)-2)
	switch r.IntN(3) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i] + s[i:i+1] + s[i:]
	default:
		return s[:i] + s[i+1:i+2] + s[i:i+1] + s[i+2:]
	}
}

// banglaTypo swaps a long vowel sign for its short partner or drops one,
// the commonest keying slips in Bangla.
func banglaTypo(r *rand.Rand, s string) string {
	pairs := [...][2]string{{"ি", "ী"}, {"ী", "ি"}, {"ু", "ূ"}, {"ূ", "ু"}, {"ো", ""}, {"া", ""}, {"ে", ""}}
	start := r.IntN(len(pairs))
	for k := range pairs {
		p := pairs[(start+k)%len(pairs)]
		if i := strings.Index(s, p[0]); i >= 0 {
			return s[:i] + p[1] + s[i+len(p[0]):]
		}
	}
	_, n := utf8.DecodeLastRuneInString(s)
	return s[:len(s)-n]
}
