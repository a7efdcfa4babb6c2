package names

import (
	"strings"
	"unicode/utf8"
)

// Transliterate returns a Latin rendering of normalised text (the output of
// Normalize): Bangla words are transliterated with Bangla pronunciation
// rules (inherent vowel, hasanta, ya-phala, ba-phala, reph, conjuncts, ৎ ং ঁ ঃ),
// Bangla letter names used as initials ("এ কে এম") become letters, and
// other words are copied. ছ is read as s, as in the Arabic-origin names
// that dominate registries; Tokens also keys the ch reading.
// It is safe for concurrent use.
func Transliterate(normalized string) string {
	var out []byte
	var wb [16]string
	for i, w := range fields(wb[:0], normalized) {
		if i > 0 {
			out = append(out, ' ')
		}
		out, _ = latinWord(out, w, true)
	}
	return string(out)
}

// latinWord appends the Latin form of one normalised word to dst and
// reports whether the word contained ছ (whose reading chhAsS chooses).
func latinWord(dst []byte, w string, chhAsS bool) ([]byte, bool) {
	if !isBangla(w) {
		if l := loanword(w); l != "" {
			return append(dst, l...), false
		}
		return append(dst, w...), false
	}
	if l := letterName(w); l != 0 {
		return append(dst, l), false
	}
	if d, ok := joinedInitials(dst, w); ok {
		return d, false
	}
	return translitWord(dst, w, chhAsS)
}

// unit is one written syllable of a Bangla word: a consonant cluster with
// its vowel sign, or an independent vowel.
type unit struct {
	// cons is where the Latin consonants of the cluster lie in the word's
	// buffer of consonants; empty for an independent vowel.
	cons    [2]int
	nCons   int    // consonants in the cluster; 2 or more is a conjunct
	vowel   string // Latin vowel written by a sign or an independent vowel
	bare    bool   // a cluster with neither vowel sign nor hasanta
	keep    bool   // the inherent vowel of a bare cluster is pronounced
	yaPhala bool
	tail    string // ং, ঁ or ঃ after the syllable
}

// bnConsonant maps a Bangla consonant (with a following nukta already
// folded into r by the caller) to Latin; ok is false for other runes.
func bnConsonant(r rune, chhAsS bool) (string, bool) {
	switch r {
	case 'ক':
		return "k", true
	case 'খ':
		return "kh", true
	case 'গ':
		return "g", true
	case 'ঘ':
		return "gh", true
	case 'ঙ':
		return "ng", true
	case 'চ':
		return "ch", true
	case 'ছ':
		if chhAsS {
			return "s", true
		}
		return "chh", true
	case 'জ':
		return "j", true
	case 'ঝ':
		return "jh", true
	case 'ঞ':
		return "n", true
	case 'ট':
		return "t", true
	case 'ঠ':
		return "th", true
	case 'ড':
		return "d", true
	case 'ঢ':
		return "dh", true
	case 'ণ':
		return "n", true
	case 'ত':
		return "t", true
	case 'থ':
		return "th", true
	case 'দ':
		return "d", true
	case 'ধ':
		return "dh", true
	case 'ন':
		return "n", true
	case 'প':
		return "p", true
	case 'ফ':
		return "f", true
	case 'ব':
		return "b", true
	case 'ভ':
		return "bh", true
	case 'ম':
		return "m", true
	case 'য':
		return "j", true
	case 'র':
		return "r", true
	case 'ল':
		return "l", true
	case 'শ', 'ষ':
		return "sh", true
	case 'স':
		return "s", true
	case 'হ':
		return "h", true
	case 'ড' + 0x1000: // ড়: ড with nukta, see nuktaForm.
		return "r", true
	case 'ঢ' + 0x1000: // ঢ়
		return "rh", true
	case 'য' + 0x1000: // য়
		return "y", true
	case bnKhandaTa:
		return "t", true
	}
	return "", false
}

// nuktaForm gives the private code the transliterator uses for a consonant
// followed by nukta, so that ড় ঢ় য় are one letter each.
func nuktaForm(r rune) rune {
	switch r {
	case 'ড', 'ঢ', 'য':
		return r + 0x1000
	}
	return r
}

func bnVowelSign(r rune) (string, bool) {
	switch r {
	case 'া':
		return "a", true
	case 'ি', 'ী':
		return "i", true
	case 'ু', 'ূ':
		return "u", true
	case 'ৃ':
		return "ri", true
	case 'ে':
		return "e", true
	case 'ৈ':
		return "oi", true
	case 'ো':
		return "o", true
	case 'ৌ', 'ৗ':
		return "ou", true
	}
	return "", false
}

func bnIndependentVowel(r rune) (string, bool) {
	switch r {
	case 'অ', 'আ':
		return "a", true
	case 'ই', 'ঈ':
		return "i", true
	case 'উ', 'ঊ':
		return "u", true
	case 'ঋ':
		return "ri", true
	case 'এ':
		return "e", true
	case 'ঐ':
		return "oi", true
	case 'ও':
		return "o", true
	case 'ঔ':
		return "ou", true
	}
	return "", false
}

// baPhalaIsW reports whether ব joined under a consonant is pronounced w
// (স্ব, শ্ব, দ্ব, ত্ব, জ্ব …) rather than b (ম্ব, ব্ব).
func baPhalaIsW(prev byte) bool {
	switch prev {
	case 's', 'h', 't', 'd', 'j', 'k', 'g':
		return true
	}
	return false
}

// translitWord transliterates one Bangla word. Runes outside Bangla are
// copied lower-case. The inherent vowel is written a (a and o fold alike);
// it is dropped word-finally after a single consonant, kept after a
// conjunct, a ya-phala and in the -ব্রত and -পদ endings, and dropped
// medially between two pronounced vowels (রহমান → rahman).
func translitWord(dst []byte, w string, chhAsS bool) ([]byte, bool) {
	var ub [12]unit
	units := ub[:0]
	// The clusters' consonants, end to end: the cluster being read is
	// always the last, so its conjunct grows at the end. Units hold
	// offsets, not slices, so that the buffer stays on the stack.
	var cb [64]byte
	consonants := cb[:0]
	cons := func(u *unit) []byte { return consonants[u.cons[0]:u.cons[1]] }
	hadChh := false
	rs := w
	next := func() (rune, int) { return utf8.DecodeRuneInString(rs) }
	for rs != "" {
		r, n := next()
		rs = rs[n:]
		if r == 'ছ' {
			hadChh = true
		}
		if r2, n2 := next(); r2 == bnNukta {
			r = nuktaForm(r)
			rs = rs[n2:]
		}
		if c, ok := bnConsonant(r, chhAsS); ok {
			u := unit{cons: [2]int{len(consonants), len(consonants) + len(c)}, nCons: 1, bare: true}
			consonants = append(consonants, c...)
			if r == bnKhandaTa {
				u.bare = false
			}
			// Gather the conjunct: consonant (hasanta consonant)*.
			for u.bare {
				r2, n2 := next()
				if r2 != bnHasanta {
					break
				}
				after := rs[n2:]
				r3, n3 := utf8.DecodeRuneInString(after)
				if r4, n4 := utf8.DecodeRuneInString(after[n3:]); r4 == bnNukta {
					r3 = nuktaForm(r3)
					n3 += n4
				}
				c3, ok := bnConsonant(r3, chhAsS)
				if !ok {
					// Hasanta closing the word or before a vowel: no vowel here.
					rs = after
					u.bare = false
					break
				}
				if r3 == 'ছ' {
					hadChh = true
				}
				rs = after[n3:]
				switch uc := cons(&u); {
				case r3 == 'য':
					u.yaPhala = true
					// ্যা opening a word after one consonant is the
					// English a of loanwords and of names (হ্যাপি Happy,
					// ব্যাপারী Bepari): no y is heard. After a conjunct
					// (সন্ধ্যা Sandhya) it is.
					if r4, _ := utf8.DecodeRuneInString(rs); r4 != 'া' || len(units) > 0 || u.nCons > 1 {
						consonants = append(consonants, 'y')
					}
				case r3 == 'ব' && baPhalaIsW(uc[len(uc)-1]):
					consonants = append(consonants, 'w')
				default:
					// ঙ before k/g and ং are a plain nasal.
					if l := len(uc); l >= 2 && uc[l-2] == 'n' && uc[l-1] == 'g' && (c3[0] == 'k' || c3[0] == 'g') {
						consonants = consonants[:len(consonants)-1]
					}
					consonants = append(consonants, c3...)
					u.nCons++
				}
				u.cons[1] = len(consonants)
			}
			if u.bare {
				if r2, n2 := next(); r2 != utf8.RuneError {
					if v, ok := bnVowelSign(r2); ok {
						u.vowel, u.bare = v, false
						rs = rs[n2:]
					}
				}
			}
			rs = readTail(&u, rs)
			units = append(units, u)
			continue
		}
		if v, ok := bnIndependentVowel(r); ok {
			u := unit{vowel: v}
			rs = readTail(&u, rs)
			units = append(units, u)
			continue
		}
		if v, ok := bnVowelSign(r); ok { // an orphan sign: keep its sound
			u := unit{vowel: v}
			rs = readTail(&u, rs)
			units = append(units, u)
			continue
		}
		switch r {
		case 'ং', 'ঁ', bnVisarga, bnHasanta, bnNukta:
			if len(units) > 0 {
				rs = readTailRune(&units[len(units)-1], r, rs)
			}
			continue
		}
		// Anything else (a digit, a Latin letter inside a Bangla word).
		start := len(consonants)
		consonants = utf8.AppendRune(consonants, r)
		units = append(units, unit{cons: [2]int{start, len(consonants)}})
	}
	decideInherent(units, w)
	for i := range units {
		u := &units[i]
		uc := cons(u)
		var next []byte
		if i+1 < len(units) {
			next = cons(&units[i+1])
		}
		if l := len(uc); l > 0 && uc[l-1] == 'j' && u.vowel == "" && !(u.bare && u.keep) &&
			len(next) > 0 && next[0] == 'h' {
			// জ before হ is spelt z (আজহার Azhar): "jh" would read as ঝ.
			dst = append(dst, uc[:l-1]...)
			dst = append(dst, 'z')
		} else {
			dst = append(dst, uc...)
		}
		switch {
		case u.vowel != "":
			dst = append(dst, u.vowel...)
		case u.bare && u.keep:
			dst = append(dst, 'a')
		}
		if u.tail == "ng" && len(next) > 0 && (next[0] == 'k' || next[0] == 'g') {
			dst = append(dst, 'n')
		} else {
			dst = append(dst, u.tail...)
		}
	}
	return dst, hadChh
}

// readTail consumes the nasal and visarga marks that follow a syllable.
func readTail(u *unit, rs string) string {
	for rs != "" {
		r, n := utf8.DecodeRuneInString(rs)
		switch r {
		case 'ং', 'ঁ', bnVisarga:
			rs = readTailRune(u, r, rs[n:])
		default:
			return rs
		}
	}
	return rs
}

func readTailRune(u *unit, r rune, rs string) string {
	if r == 'ং' {
		u.tail = "ng"
	}
	// ঁ nasalises and ঃ lengthens or is silent in names: neither is spelt.
	return rs
}

// decideInherent sets keep on bare clusters whose inherent vowel is
// pronounced. It works from the end of the word, as schwa deletion does:
// whether a syllable keeps its vowel depends on the one after it
// (আলমগীর alamgir, মোশাররফ mosharraf).
func decideInherent(units []unit, w string) {
	last := len(units) - 1
	for i := last; i >= 0; i-- {
		u := &units[i]
		if !u.bare {
			continue
		}
		switch {
		case i == 0:
			u.keep = last > 0 || u.nCons > 1
		case i == last:
			u.keep = u.nCons > 1 || u.yaPhala || pronouncedFinal(w)
		default:
			prev, nxt := &units[i-1], &units[i+1]
			prevVowel := prev.vowel != "" || prev.bare
			nextVowel := nxt.vowel != "" || (nxt.bare && nxt.keep)
			// Schwa deletion: a single consonant between two pronounced
			// vowels loses its inherent vowel; conjuncts keep theirs, and
			// so does a consonant before a conjunct (দেবব্রত Debabrata).
			u.keep = !(prevVowel && nextVowel && u.nCons == 1 && !u.yaPhala && nxt.nCons < 2)
		}
	}
}

// pronouncedFinal reports the word endings whose final inherent vowel is
// spoken although the last consonant is single (সুব্রত Subrata, হরিপদ
// Haripada, শুভ Shuvo).
func pronouncedFinal(w string) bool {
	return strings.HasSuffix(w, "ব্রত") || strings.HasSuffix(w, "পদ") || w == "শুভ"
}
