package names

import "unicode/utf8"

// Fold returns the Bangla-aware phonetic fold of one Latin token (lower-case,
// as produced by Normalize or Transliterate): a/o/w, i/ee/y, u/oo, ou/au/ow,
// ai/ay/oi/oy/e before a consonant inside a word, oya/owa, an initial e/i,
// ph/f, bh/b/v, kh/k, gh/g, sh/s, chh/ch, z/j (jh stays), q/k, th/t, dh/d, rh/r, -que/k
// and -ey/e are merged, doubled letters collapse, a final h is dropped, and
// the glides of an initial iu/yu and of uy before a vowel are dropped.
// Folding is idempotent. It is safe for concurrent use.
func Fold(token string) string {
	return string(foldAppend(nil, token))
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'u' }

// foldAppend appends the fold of s to dst.
func foldAppend(dst []byte, s string) []byte {
	start := len(dst)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Letters of other scripts are copied whole, never folded or
			// collapsed byte by byte.
			_, n := utf8.DecodeRuneInString(s[i:])
			dst = append(dst, s[i:i+n]...)
			i += n
			continue
		}
		var nx byte
		if i+1 < len(s) {
			nx = s[i+1]
		}
		if len(dst) == start && (c == 'i' || c == 'y' || c == 'e') && nx == 'u' {
			// The glide of an initial ইউ is written y, i or not at all:
			// Yunus, Iunus, Unus; Yusuf, Usuf.
			i++
			continue
		}
		if len(dst) == start && c == 'y' && nx == 'o' && i+2 < len(s) && s[i+2] == 'u' {
			dst = append(dst, 'u') // Yousuf, Yusuf
			i += 3
			continue
		}
		if c == 'y' && len(dst) > start && (dst[len(dst)-1] == 'u' || s[i-1] == 'u') && i+1 < len(s) && isVowel(fold1(nx)) {
			// The glide of উয় before a vowel (জুয়েল juyel) is written
			// or not: Juyel, Juel, Jewel. After an a or o the u is folded
			// into it, and আউয়াল (auyal) is আওয়াল: Awal, Aowal, Aual.
			i++
			continue
		}
		out, adv := c, 1
		switch c {
		case 'c':
			switch {
			case nx == 'h':
				// ch and chh stay "ch", which folds to itself.
				dst = appendFolded(dst, start, 'c')
				out, adv = 'h', 2
				if i+2 < len(s) && s[i+2] == 'h' {
					adv = 3
				}
			case nx == 'k':
				out, adv = 'k', 2
			default:
				out = 'k'
			}
		case 'p':
			if nx == 'h' {
				out, adv = 'f', 2
			}
		case 's', 'b', 'k', 'g', 't', 'd', 'r':
			if nx == 'h' {
				adv = 2
			}
		case 'q':
			out = 'k'
			if nx == 'u' {
				switch {
				case i+3 == len(s) && s[i+2] == 'e':
					adv = 3 // Haque, Khaleque: a silent -ue.
				case i+2 < len(s) && isVowel(fold1(s[i+2])):
					adv = 2 // Siddiqui: qu before a vowel is k.
				}
			}
		case 'z':
			out = 'j'
		case 'v':
			out = 'b'
		case 'x':
			dst = appendFolded(dst, start, 'k')
			out = 's'
		case 'w', 'o':
			out = 'a'
			switch {
			case c == 'o' && nx == 'o':
				out, adv = 'u', 2
			case c == 'o' && (nx == 'u' || nx == 'w'):
				adv = 2
			case c == 'o' && nx == 'y' && i+2 < len(s) && isVowel(fold1(s[i+2])):
				// The glide of oya (মনোয়ারা) is written owa, wa or oa
				// in English: Monowara, Manwara, Monoara.
				adv = 2
			}
		case 'a':
			if nx == 'u' || nx == 'w' {
				adv = 2
			}
		case 'e':
			switch {
			case nx == 'e':
				out, adv = 'i', 2
			case nx == 'y' && i+2 == len(s):
				adv = 2
			case len(dst) == start:
				// An initial e and i are one letter (এ, ই) in English
				// spellings: Esmail and Ismail, Edris and Idris.
				out = 'i'
			}
		case 'y':
			out = 'i'
		}
		dst = appendFolded(dst, start, out)
		i += adv
	}
	if l := len(dst); l-start > 1 && dst[l-1] == 'h' {
		dst = dst[:l-1]
	}
	return mergeDiphthongs(dst, start)
}

// mergeDiphthongs rewrites, in the folded letters after start, ai before a
// consonant inside the word as e: ai, ay, oi and oy there are one sound
// (ঐ, এ) spelt many ways (Hossain and Hosen, Faisal and Foysal, Joynal and
// Zainal). An initial ai (Aisha, Ayub) and one before a vowel, where y is a
// glide (Maya), or at the end (Roy, Rai) are kept. Working on folded
// letters keeps Fold idempotent.
func mergeDiphthongs(dst []byte, start int) []byte {
	w := start
	for r := start; r < len(dst); r++ {
		c := dst[r]
		if c == 'a' && r > start && r+2 < len(dst) && dst[r+1] == 'i' && dst[r+2] < utf8.RuneSelf && !isVowel(dst[r+2]) {
			c = 'e'
			r++
		}
		if w > start && dst[w-1] == c && c < utf8.RuneSelf {
			continue
		}
		dst[w] = c
		w++
	}
	return dst[:w]
}

// fold1 folds a single vowel letter for look-ahead decisions.
func fold1(c byte) byte {
	switch c {
	case 'o', 'w':
		return 'a'
	case 'y':
		return 'i'
	}
	return c
}

// appendFolded appends c unless it doubles the previous folded letter.
func appendFolded(dst []byte, start int, c byte) []byte {
	if l := len(dst); l > start && dst[l-1] == c {
		return dst
	}
	return append(dst, c)
}

// Skeleton returns the consonant skeleton of a folded token, the unit of
// the blocking keys: its consonants, A for an initial vowel, V for a final
// vowel, and for short tokens (two consonants or fewer) the class of the
// first vowel (A for a/u, I for i/e), so that Rina and Runa stay apart while
// Rofiqul and Rafiqul, or Hossain and Hossen, meet.
func Skeleton(folded string) string {
	return string(skeletonAppend(nil, folded))
}

func skeletonAppend(dst []byte, f string) []byte {
	if f == "" {
		return dst
	}
	nc := 0
	for i := 0; i < len(f); i++ {
		if !isVowel(f[i]) {
			nc++
		}
	}
	short := nc <= 2
	class := func(c byte) byte {
		if c == 'i' || c == 'e' {
			return 'I'
		}
		return 'A'
	}
	if isVowel(f[0]) {
		if short {
			dst = append(dst, class(f[0]))
		} else {
			dst = append(dst, 'A')
		}
	}
	marked := isVowel(f[0])
	for i := 0; i < len(f); i++ {
		c := f[i]
		if isVowel(c) {
			continue
		}
		if c >= utf8.RuneSelf {
			_, n := utf8.DecodeRuneInString(f[i:])
			dst = append(dst, f[i:i+n]...)
			i += n - 1
		} else {
			dst = append(dst, c)
		}
		if short && !marked {
			marked = true
			for j := i + 1; j < len(f); j++ {
				if isVowel(f[j]) {
					dst = append(dst, class(f[j]))
					break
				}
			}
		}
	}
	if isVowel(f[len(f)-1]) {
		dst = append(dst, 'V')
	}
	return dst
}
