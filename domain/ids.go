package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"hash"
	"strings"
	"sync"
)

// asciiDigit maps an ASCII or Bangla digit (০-৯, U+09E6–U+09EF) to its
// value, or -1.
func asciiDigit(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= '০' && r <= '৯':
		return int(r - '০')
	}
	return -1
}

// digitsOnly returns s with Bangla digits made ASCII and spaces, hyphens,
// dots, slashes and parentheses dropped; ok is false if anything else remains.
func digitsOnly(s string) (out string, ok bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if d := asciiDigit(r); d >= 0 {
			b.WriteByte(byte('0' + d))
			continue
		}
		switch r {
		case ' ', '\t', '-', '.', '/', '(', ')', '\u00a0':
			continue
		}
		return "", false
	}
	return b.String(), true
}

// NormalizeNID returns the NID as ASCII digits. It reports false when the
// input has anything but digits and separators, or is not 10, 13 or 17
// digits long.
func NormalizeNID(s string) (string, bool) {
	d, ok := digitsOnly(s)
	if !ok {
		return "", false
	}
	switch len(d) {
	case 10, 13, 17:
		return d, true
	}
	return d, false
}

// NIDCore returns the part of a normalised NID that names its holder
// whatever form a clerk wrote: a 17-digit NID is the birth year followed
// by the 13-digit NID, so both give the 13 digits; any other NID (a
// 13-digit one, a 10-digit smart-card number) is its own core.
func NIDCore(nid string) string {
	if len(nid) == 17 {
		return nid[4:]
	}
	return nid
}

// IsSmartNID reports whether a normalised NID is a 10-digit smart-card
// number, which is not derived from the 13- and 17-digit forms.
func IsSmartNID(nid string) bool { return len(nid) == 10 }

// NormalizePhone returns a Bangladeshi mobile number as 01XXXXXXXXX, from
// forms such as +8801712345678, 8801712345678, 008801712345678, 01712-345678
// or Bangla digits. It reports false for anything that is not such a number.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	d, ok := digitsOnly(strings.TrimPrefix(s, "+"))
	if !ok {
		return "", false
	}
	switch {
	case strings.HasPrefix(d, "00880"):
		d = d[4:]
	case strings.HasPrefix(d, "880") && (plus || len(d) == 13):
		d = d[2:]
	}
	if len(d) == 10 && d[0] == '1' {
		d = "0" + d
	}
	if len(d) != 11 || d[0] != '0' || d[1] != '1' || d[2] < '3' {
		return "", false
	}
	return d, true
}

// NormalizeWallet returns an MFS wallet in a canonical form: a phone-number
// wallet (bKash, Nagad) as 01XXXXXXXXX, any other account as its upper-case
// letters and digits. It returns "" for an empty wallet.
func NormalizeWallet(s string) string {
	if p, ok := NormalizePhone(s); ok {
		return p
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if d := asciiDigit(r); d >= 0 {
			b.WriteByte(byte('0' + d))
		} else if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Pseudonymizer turns personal identifiers into keyed hashes, so that the
// index, the topics and the logs can name a person without revealing them.
// It is safe for concurrent use.
type Pseudonymizer struct {
	// macs reuses keyed HMAC states: building one costs more than
	// hashing a short identifier.
	macs sync.Pool
}

// NewPseudonymizer returns a Pseudonymizer keyed by secret.
func NewPseudonymizer(secret []byte) *Pseudonymizer {
	key := append([]byte(nil), secret...)
	p := &Pseudonymizer{}
	p.macs.New = func() any { return hmac.New(sha256.New, key) }
	return p
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Hash returns the keyed hash of value in the namespace kind (such as "nid"
// or "phone"), as 26 lower-case base32 characters (128 bits).
func (p *Pseudonymizer) Hash(kind, value string) string {
	sum := p.Sum(kind, value)
	return b32.EncodeToString(sum[:])
}

// Sum returns the keyed hash of value in the namespace kind in binary: the
// 128 bits that Hash encodes, the first half of HMAC-SHA256 over kind, a
// zero byte and value. Without the secret, nobody can find two values with
// the same sum.
func (p *Pseudonymizer) Sum(kind, value string) [16]byte {
	m := p.macs.Get().(hash.Hash)
	m.Reset()
	var buf [128]byte
	msg := append(append(append(buf[:0], kind...), 0), value...)
	m.Write(msg)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	p.macs.Put(m)
	return [16]byte(sum[:16])
}

// PersonID returns the stable id of the person known by the identifier
// value of kind kind ("nid", "brn" or "ref").
func (p *Pseudonymizer) PersonID(kind, value string) string {
	return "P" + p.Hash(kind, value)[:20]
}

// Mask shows the last k characters of s and masks the rest, for people who
// may know that an identifier exists but not read it.
func Mask(s string, k int) string {
	r := []rune(s)
	if len(r) <= k {
		return strings.Repeat("•", len(r))
	}
	return strings.Repeat("•", len(r)-k) + string(r[len(r)-k:])
}
