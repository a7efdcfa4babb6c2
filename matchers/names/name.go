package names

import (
	"slices"
	"strings"
)

// Name is everything the matcher needs from one name, computed by a single
// call to Tokens. Token slices hold folded Latin tokens (see Fold), so a
// Bangla and an English spelling of one name compare equal token by token.
//
// Strong tokens are the evidence (given and family names). Weak tokens are
// lineage tokens (Sheikh, Chowdhury, Miah …), female markers (Begum, Khatun,
// Akter …) and Hindu middle markers (Kumar, Chandra), in a canonical
// spelling per kind: scorers should give them little weight and never let
// them alone make two names match. Honorifics and titles are in neither.
type Name struct {
	// Normalized is the canonical text (see Normalize), honorifics included.
	Normalized string
	// Latin is the transliteration of Normalized (see Transliterate).
	Latin string
	// Strong are the folded strong tokens in written order, with tokens
	// that are written both joined and apart (Abdul Karim, Nasir Uddin)
	// joined.
	Strong []string
	// Alt is Strong under the other reading of ছ (ch rather than s), or nil
	// when the name has no ছ; a scorer should take the better of the two.
	Alt []string
	// Weak are the folded weak tokens in written order.
	Weak []string
	// Unstripped is Strong with a leading Mohammad (Md, মোঃ …) kept, or nil
	// when none was stripped: "Mohammad Ali" may be the whole given name.
	Unstripped []string
	// Keys are the blocking keys: short, order-tolerant strings; two
	// spellings of one name share at least one key. The index combines them
	// with a birth year or an upazila.
	Keys []string
}

// token is the working state of one word of a name.
type token struct {
	word  string
	k     kind
	canon string
}

// Tokens normalises, transliterates, folds and keys a raw name written in
// Bangla or English (or a mix). It never fails: a name with no letters
// gives an empty Name. Called once per name field of every enrolment, it
// is safe for concurrent use.
func Tokens(raw string) Name {
	var nb [256]byte
	norm := normalizeAppend(nb[:0], raw)
	n := Name{Normalized: string(norm)}
	if n.Normalized == "" {
		return n
	}
	var wb [16]string
	words := fields(wb[:0], n.Normalized)

	var tb [16]token
	toks := tb[:0]
	for _, w := range words {
		k, canon := classify(w)
		toks = append(toks, token{word: w, k: k, canon: canon})
	}

	// Latin of the whole name and, per strong word, its offsets in it.
	latin := make([]byte, 0, len(n.Normalized)+8)
	var spans [16][2]int
	hadChh := false
	for i, t := range toks {
		if i > 0 {
			latin = append(latin, ' ')
		}
		s := len(latin)
		var c bool
		latin, c = latinWord(latin, t.word, true)
		hadChh = hadChh || c
		if i < len(spans) {
			spans[i] = [2]int{s, len(latin)}
		}
	}
	n.Latin = string(latin)

	// Decide which words are evidence. A Mohammad before the first strong
	// word is a title; after it, part of the name.
	var sb, ab [16]string
	strong, alt := sb[:0], ab[:0]
	mdStripped := false
	seenStrong := false
	var weak []string
	for i, t := range toks {
		lat := latinOf(n.Latin, spans[:], i, t.word)
		switch t.k {
		case kindTitle:
			continue
		case kindMD:
			if !seenStrong {
				mdStripped = true
				continue
			}
			lat = t.canon
		case kindLineage, kindFemale, kindMale:
			// "Kamrun Nesa": nesa after a word ending in n is part of it.
			if !(t.canon == "nesa" && seenStrong && len(strong) > 0 && strings.HasSuffix(strong[len(strong)-1], "n")) {
				weak = append(weak, Fold(t.canon))
				continue
			}
		}
		seenStrong = true
		strong = append(strong, lat)
		if hadChh {
			var b []byte
			b, _ = latinWord(b, t.word, false)
			if t.k == kindMD {
				b = append(b[:0], t.canon...)
			}
			alt = append(alt, string(b))
		}
	}
	if len(strong) == 0 && mdStripped {
		strong = append(strong, "mohammad")
		mdStripped = false
	}
	n.Weak = weak
	n.Strong = foldTokens(strong)
	if hadChh {
		n.Alt = foldTokens(alt)
		if slices.Equal(n.Alt, n.Strong) {
			n.Alt = nil
		}
	}
	if mdStripped {
		n.Unstripped = append([]string{Fold("mohammad")}, n.Strong...)
	}
	n.Keys = appendKey(n.Keys, "n:", n.Strong)
	if n.Alt != nil {
		n.Keys = appendKey(n.Keys, "n:", n.Alt)
	}
	if len(n.Keys) == 0 {
		n.Keys = appendKey(n.Keys, "w:", n.Weak)
	}
	return n
}

// latinOf returns the Latin of word i, sliced from the whole Latin line.
func latinOf(latin string, spans [][2]int, i int, word string) string {
	if i < len(spans) {
		return latin[spans[i][0]:spans[i][1]]
	}
	b, _ := latinWord(nil, word, true)
	return string(b)
}

// foldTokens folds Latin words into strong tokens: single letters in a row
// become one initials token (A K M, A.K.M. and AKM meet), and words that are
// written both joined and apart are joined before folding, so that a final
// h dropped by the fold (Salah) does not differ from a medial one
// (Salahuddin).
func foldTokens(latin []string) []string {
	var jb [16]string
	joined := jb[:0]
	var buf []byte
	for i := 0; i < len(latin); i++ {
		w := latin[i]
		if len(w) == 1 && i+1 < len(latin) && len(latin[i+1]) == 1 {
			buf = append(buf[:0], w...)
			for i+1 < len(latin) && len(latin[i+1]) == 1 {
				i++
				buf = append(buf, latin[i]...)
			}
			w = string(buf)
		} else if p, ok := prefixBound(Fold(w)); ok && i+1 < len(latin) {
			i++
			w = p + latin[i]
		}
		if l := len(joined); l > 0 && suffixBound(Fold(w), Fold(joined[l-1])) {
			joined[l-1] += w
			continue
		}
		joined = append(joined, w)
	}
	out := make([]string, len(joined))
	for i, w := range joined {
		out[i] = Fold(w)
	}
	return out
}

// appendKey appends the order-tolerant key of a token set: the sorted
// skeletons of its tokens.
func appendKey(keys []string, prefix string, toks []string) []string {
	if len(toks) == 0 {
		return keys
	}
	var skb [16]string
	sk := skb[:0]
	for _, t := range toks {
		sk = append(sk, Skeleton(t))
	}
	slices.Sort(sk)
	sk = slices.Compact(sk)
	k := prefix + strings.Join(sk, ".")
	if slices.Contains(keys, k) {
		return keys
	}
	return append(keys, k)
}

// SharesKey reports whether two names share a blocking key.
func SharesKey(a, b Name) bool {
	for _, k := range a.Keys {
		if slices.Contains(b.Keys, k) {
			return true
		}
	}
	return false
}
