package names

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
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
	// Loose are the keys of the name with one strong token left out, for
	// names of three or four strong tokens, so that a nickname or a
	// lineage word added on one record and not on the other (Saiful
	// Islam Babu, Saiful Islam) does not part them. A loose key meets the
	// Keys of another name, never its Loose keys (see SharesKey).
	Loose []string
}

// maxLooseTokens bounds the names given loose keys: a longer name is
// rarely written short by one token, and its keys would multiply.
const maxLooseTokens = 4

// foldedMohammad is Fold("mohammad"), which leads Unstripped.
const foldedMohammad = "mahamad"

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
		if k == kindStrong {
			if a, b, ok := splitJoined(w); ok {
				ka, ca := classify(a)
				kb, cb := classify(b)
				toks = append(toks, token{word: a, k: ka, canon: ca}, token{word: b, k: kb, canon: cb})
				continue
			}
		}
		toks = append(toks, token{word: w, k: k, canon: canon})
	}

	// Latin of the whole name and, per strong word, its offsets in it.
	var lb [256]byte
	latin := lb[:0]
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
	var weak, weakLat []string
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
				weakLat = append(weakLat, lat)
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
	if len(strong) == 0 && len(weak) > 0 && !hadChh {
		// A name of markers only (Banu Begum, Rani Bala) is still a name:
		// its given-name-like markers are its evidence.
		strong, weak = promoteWeak(strong, weak, weakLat)
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
		n.Unstripped = append(append(make([]string, 0, 1+len(n.Strong)), foldedMohammad), n.Strong...)
	}
	n.Keys = appendKey(n.Keys, "n:", n.Strong)
	if n.Alt != nil {
		n.Keys = appendKey(n.Keys, "n:", n.Alt)
	}
	if len(n.Keys) == 0 {
		n.Keys = appendKey(n.Keys, "w:", n.Weak)
	}
	if k := len(n.Strong); k >= 3 && k <= maxLooseTokens {
		var sub [maxLooseTokens]string
		for drop := range k {
			m := copy(sub[:], n.Strong[:drop])
			m += copy(sub[m:], n.Strong[drop+1:])
			if l := appendKey(n.Loose, "n:", sub[:m]); len(l) > len(n.Loose) && !slices.Contains(n.Keys, l[len(l)-1]) {
				n.Loose = l
			}
		}
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
	// The folds that only decide a join are made in stack buffers.
	var fa, fb [32]byte
	for i := 0; i < len(latin); i++ {
		w := latin[i]
		if len(w) == 1 && i+1 < len(latin) && len(latin[i+1]) == 1 {
			buf = append(buf[:0], w...)
			for i+1 < len(latin) && len(latin[i+1]) == 1 {
				i++
				buf = append(buf, latin[i]...)
			}
			w = string(buf)
		} else if p, ok := prefixBound(string(foldAppend(fa[:0], w))); ok && i+1 < len(latin) {
			i++
			w = p + latin[i]
		}
		if l := len(joined); l > 0 && suffixBound(string(foldAppend(fa[:0], w)), string(foldAppend(fb[:0], joined[l-1]))) {
			joined[l-1] += w
			// Abd-ur Rahman joined is Abdur, which binds the name after
			// it as Abdur Rahman written apart does.
			if p, ok := prefixBound(string(foldAppend(fa[:0], joined[l-1]))); ok && i+1 < len(latin) {
				i++
				joined[l-1] = p + latin[i]
			}
			continue
		}
		joined = append(joined, w)
	}
	// The tokens are folded end to end into one string, which they share.
	var ob [128]byte
	var eb [16]int
	all, ends := ob[:0], eb[:0]
	for _, w := range joined {
		all = foldAppend(all, w)
		ends = append(ends, len(all))
	}
	folded := string(all)
	out := make([]string, len(joined))
	start := 0
	for i, end := range ends {
		out[i] = folded[start:end]
		start = end
	}
	return out
}

// appendKey appends the order-tolerant key of a token set: the sorted
// skeletons of its tokens. The skeletons are built end to end in one
// buffer, so a key costs one string.
func appendKey(keys []string, prefix string, toks []string) []string {
	if len(toks) == 0 {
		return keys
	}
	var skb [128]byte
	var spb [16][2]int
	sk, spans := skb[:0], spb[:0]
	for _, t := range toks {
		start := len(sk)
		sk = skeletonAppend(sk, t)
		spans = append(spans, [2]int{start, len(sk)})
	}
	skeleton := func(sp [2]int) []byte { return sk[sp[0]:sp[1]] }
	slices.SortFunc(spans, func(a, b [2]int) int { return bytes.Compare(skeleton(a), skeleton(b)) })
	spans = slices.CompactFunc(spans, func(a, b [2]int) bool { return bytes.Equal(skeleton(a), skeleton(b)) })
	var kb [128]byte
	k := append(kb[:0], prefix...)
	for i, sp := range spans {
		if i > 0 {
			k = append(k, '.')
		}
		k = append(k, skeleton(sp)...)
	}
	for _, x := range keys {
		if x == string(k) {
			return keys
		}
	}
	return append(keys, string(k))
}

// Key returns the blocking key of a name of the one folded strong token
// t, as Tokens keys a name of that token alone.
func Key(t string) string {
	if ks := appendKey(nil, "n:", []string{t}); len(ks) > 0 {
		return ks[0]
	}
	return ""
}

// SharesKey reports whether two names share a blocking key: a key of both,
// or a loose key of one that is a key of the other. Two loose keys do not
// meet: Saiful Islam Babu and Rafiqul Islam Babu differ by a token each.
func SharesKey(a, b Name) bool {
	for _, k := range a.Keys {
		if slices.Contains(b.Keys, k) || slices.Contains(b.Loose, k) {
			return true
		}
	}
	for _, k := range a.Loose {
		if slices.Contains(b.Keys, k) {
			return true
		}
	}
	return false
}

// givenMarkers are the weak tokens that serve as a given name when a name
// has nothing else (Banu Begum, Rani Bala Das).
var givenMarkers = [...]string{"banu", "rani", "bala", "dasi", "nesa", "bibi"}

// promoteWeak moves the given-name-like weak tokens of a name without
// strong tokens to its strong tokens, as Latin words to be folded.
func promoteWeak(strong, weak, weakLat []string) ([]string, []string) {
	var kept []string
	for i, w := range weak {
		if slices.Contains(givenMarkers[:], w) {
			strong = append(strong, weakLat[i])
		} else {
			kept = append(kept, w)
		}
	}
	return strong, kept
}

// splitJoined splits a word that is a name joined to a marker without a
// space, as keying slips leave them (RubinaAkter, সাইফুলসরদার,
// MosammatAsia): a strong part of three letters or more followed by a
// lineage, female or middle marker of four Latin letters or three Bangla
// ones, or a long title (six letters, or a Bangla one closed by a visarga)
// followed by a strong part. Short markers (Mia, Sk, Md, Mst) are never
// split off: too many names end or begin with them.
func splitJoined(w string) (a, b string, ok bool) {
	n := utf8.RuneCountInString(w)
	if n < 6 {
		return "", "", false
	}
	latin := w[0] < utf8.RuneSelf
	k := 0
	for i := range w {
		if k >= 3 && n-k >= 3 {
			pre, suf := w[:i], w[i:]
			sufRunes := n - k
			if ks, _ := classify(suf); (ks == kindLineage || ks == kindFemale || ks == kindMale) &&
				(!latin || sufRunes >= 4) {
				if kp, _ := classify(pre); kp == kindStrong {
					return pre, suf, true
				}
			}
			if kp, _ := classify(pre); kp == kindTitle && (k >= 6 || strings.HasSuffix(pre, "ঃ")) {
				if ks, _ := classify(suf); ks == kindStrong {
					return pre, suf, true
				}
			}
		}
		k++
	}
	return "", "", false
}
