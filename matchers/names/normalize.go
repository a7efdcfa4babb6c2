package names

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Bangla code points the normaliser and transliterator refer to by name.
const (
	bnNukta     = '\u09BC'
	bnHasanta   = '\u09CD'
	bnVisarga   = '\u0983'
	bnKhandaTa  = '\u09CE'
	bnTa        = '\u09A4'
	zwnj        = '\u200C'
	zwj         = '\u200D'
	bnDigitZero = '\u09E6'
	bnDigitNine = '\u09EF'
)

// Normalize returns the canonical text of a name in either script: Unicode
// NFC with ড় ঢ় য় always as base letter plus nukta (the form NFC produces),
// split vowel signs recomposed, zero-width joiners and soft hyphens dropped,
// word-final ত্ written ৎ, Bangla digits as ASCII, Latin lower-cased,
// punctuation removed and words separated by single spaces. The closing mark
// of মোঃ, মোছাঃ and ডাঃ is always ঃ, whether written ঃ, ':' or '.'.
//
// Honorifics are kept: Normalize only canonicalises spelling; Tokens decides
// what is evidence. Combining marks of Bangla text are never removed.
// Normalize is idempotent and safe for concurrent use; invalid UTF-8 is
// treated as a separator.
func Normalize(raw string) string {
	return string(normalizeAppend(nil, raw))
}

// normalizeAppend appends the canonical text of raw to dst.
func normalizeAppend(dst []byte, raw string) []byte {
	// Pass 1: drop invisible characters before NFC so that they cannot keep
	// a split vowel sign from composing, and fold legacy khanda-ta (ত্ + ZWJ).
	var buf [128]byte
	pre := buf[:0]
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[i:])
		i += n
		switch {
		case r == zwj:
			if l := len(pre); l >= 6 && string(pre[l-6:]) == "ত্" {
				pre = append(pre[:l-6], "ৎ"...)
			}
			continue
		case r == zwnj || r == '\u00AD' || r == '\u200B' || r == '\uFEFF' || r == '\u2060':
			continue
		case r >= bnDigitZero && r <= bnDigitNine:
			r = '0' + (r - bnDigitZero)
		case r == utf8.RuneError && n <= 1:
			r = ' '
		}
		pre = utf8.AppendRune(pre, r)
	}
	if !nfc(pre) {
		pre = norm.NFC.Append(nil, bytes.Clone(pre)...)
	}
	start := len(dst)
	dst = tokenize(dst, pre)
	if !nfc(dst[start:]) {
		// Removing an apostrophe can join two marks into a sequence NFC
		// would rewrite; one more round makes the result a fixed point.
		again := norm.NFC.Append(nil, bytes.Clone(dst[start:])...)
		dst = tokenize(dst[:start], again)
	}
	return dst
}

// nfc reports whether b is in NFC. A slice given to the norm package
// escapes to the heap, so b is copied for it, and ASCII text, which is in
// NFC, is not given to it at all: the callers' buffers stay on the stack.
func nfc(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return norm.NFC.IsNormal(bytes.Clone(b))
		}
	}
	return true
}

// tokenize appends the words of NFC text src to dst, lower-cased, separated
// by single spaces, with punctuation removed and ঃ closing known
// abbreviations.
func tokenize(dst, src []byte) []byte {
	start := len(dst)
	tokStart := -1 // offset in dst of the current word, or -1 between words
	endWord := func() {
		if tokStart < 0 {
			return
		}
		// Word-final ত্ is the khanda-ta ৎ written the long way.
		if w := dst[tokStart:]; len(w) >= 6 && string(w[len(w)-6:]) == "ত্" {
			dst = append(dst[:len(dst)-6], "ৎ"...)
		}
		tokStart = -1
	}
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		i += n
		switch {
		case r == '.' || r == ':' || r == bnVisarga:
			if tokStart >= 0 && abbrevWithDot(string(dst[tokStart:])) {
				dst = utf8.AppendRune(dst, bnVisarga)
				endWord()
				continue
			}
			if r == bnVisarga && tokStart >= 0 {
				dst = utf8.AppendRune(dst, r)
				continue
			}
			endWord()
		case r == '\'' || r == '\u2019' || r == '`':
			// O'Neil, Al'amin: an apostrophe between Latin letters joins them.
			if tokStart >= 0 && i < len(src) && isASCIILetter(dst[len(dst)-1]) && isASCIILetter(src[i]) {
				continue
			}
			endWord()
		case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
			if tokStart < 0 {
				if len(dst) > start {
					dst = append(dst, ' ')
				}
				tokStart = len(dst)
			}
			if r < utf8.RuneSelf {
				if 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				dst = append(dst, byte(r))
			} else {
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
		default:
			endWord()
		}
	}
	endWord()
	return dst
}

func isASCIILetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// isBangla reports whether a word is written in Bangla script.
func isBangla(word string) bool {
	for _, r := range word {
		if r >= 0x0980 && r <= 0x09FF {
			return true
		}
	}
	return false
}

// fields splits normalised text on single spaces without allocating a slice
// when the caller's buffer is large enough.
func fields(dst []string, s string) []string {
	for s != "" {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return append(dst, s)
		}
		if i > 0 {
			dst = append(dst, s[:i])
		}
		s = s[i+1:]
	}
	return dst
}
