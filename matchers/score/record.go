package score

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Gender is a record's gender as the enrolment stated it.
type Gender uint8

// The genders of the v1 enrolment event. GenderUnknown compares as missing.
const (
	GenderUnknown Gender = iota
	GenderMale
	GenderFemale
	GenderHijra
	GenderOther
)

// ParseGender maps the v1 wire value ("male", "female", "hijra", "other" or
// "") to a Gender; anything else is GenderUnknown.
func ParseGender(s string) Gender {
	switch s {
	case "male":
		return GenderMale
	case "female":
		return GenderFemale
	case "hijra":
		return GenderHijra
	case "other":
		return GenderOther
	}
	return GenderUnknown
}

// Name is a person's name as folded Latin tokens. Strong tokens identify
// (given names, most family names); Weak tokens are the frequent female
// markers and lineage words (begum, khatun, akter, chowdhury, sheikh) that
// the name normaliser keeps apart because they say little about who someone
// is. Order is kept as written but comparison ignores it.
type Name struct {
	Strong []string
	Weak   []string
}

// Empty reports whether the name has no token at all.
func (n Name) Empty() bool { return len(n.Strong) == 0 && len(n.Weak) == 0 }

// DOB is a date of birth in which any part may be unknown (zero). Registries
// often know only the year of birth of the elderly.
type DOB struct {
	Year  uint16
	Month uint8
	Day   uint8
}

// Placeholder reports whether the date says no more than its year: day or
// month unknown, or 1 January or 1 July, which offices write for a person
// who knows only their age.
func (d DOB) Placeholder() bool {
	return d.Month == 0 || d.Day == 0 || (d.Day == 1 && (d.Month == 1 || d.Month == 7))
}

// Record is the compact form of an enrolled person that the matching index
// stores and the scorer reads. PhoneHash and NIDHash are keyed hashes made
// by the caller (8 bytes are plenty for equality between candidates); they
// must never be a raw phone or NID. District and Upazila are normalised names
// or BBS codes, compared only for equality.
type Record struct {
	PersonID string
	Name     Name
	Father   Name
	Spouse   Name
	// Mother is the mother's name, which national ID cards carry and
	// many registries record.
	Mother    Name
	DOB       DOB
	Gender    Gender
	PhoneHash string
	NIDHash   string
	District  string
	Upazila   string
	// NIDDistrict is the BBS code of the district the person's NID names
	// (its first two digits after any birth year), or "".
	NIDDistrict string
}

// Encoding limits. They bound what a corrupt or hostile index entry can make
// the decoder allocate.
const (
	// MaxTokens is the most tokens one token list may hold.
	MaxTokens = 32
	// MaxFieldLen is the longest string field or token, in bytes.
	MaxFieldLen = 255

	encVersion = 3
	// nLists is the number of token lists: strong and weak tokens of the
	// own, father's, spouse's and mother's names.
	nLists = 8
	// header: version, the token counts, gender, month, day, year (2 bytes).
	headerLen = 1 + nLists + 1 + 1 + 1 + 2
)

// ErrCorrupt is returned, wrapped, by DecodeRecord for input that is
// truncated, has trailing bytes, an unknown version or out-of-range values.
// A corrupt index entry should be rebuilt from the system of record, not
// retried.
var ErrCorrupt = errors.New("corrupt record")

func (r *Record) lists() [nLists][]string {
	return [nLists][]string{r.Name.Strong, r.Name.Weak, r.Father.Strong, r.Father.Weak, r.Spouse.Strong, r.Spouse.Weak,
		r.Mother.Strong, r.Mother.Weak}
}

// AppendBinary appends the compact binary form of r to b and returns the
// extended slice. The form is a version byte, a fixed header (token counts,
// gender, date of birth) and then length-prefixed strings; a typical record
// takes about 100 bytes. It fails, leaving b's contents unchanged, when a
// field is over MaxFieldLen bytes, a list holds more than MaxTokens tokens,
// a token is empty or the date or gender is out of range; DecodeRecord
// accepts exactly what AppendBinary writes.
func (r *Record) AppendBinary(b []byte) ([]byte, error) {
	if err := r.check(); err != nil {
		return b, err
	}
	lists := r.lists()
	b = append(b, encVersion)
	for _, l := range lists {
		b = append(b, byte(len(l)))
	}
	b = append(b, byte(r.Gender), r.DOB.Month, r.DOB.Day)
	b = binary.LittleEndian.AppendUint16(b, r.DOB.Year)
	b = appendString(b, r.PersonID)
	for _, l := range lists {
		for _, t := range l {
			b = appendString(b, t)
		}
	}
	b = appendString(b, r.PhoneHash)
	b = appendString(b, r.NIDHash)
	b = appendString(b, r.District)
	b = appendString(b, r.Upazila)
	b = appendString(b, r.NIDDistrict)
	return b, nil
}

func (r *Record) check() error {
	for i, l := range r.lists() {
		if len(l) > MaxTokens {
			return fmt.Errorf("encode record: token list %d has %d tokens, limit %d", i, len(l), MaxTokens)
		}
		for _, t := range l {
			if t == "" || len(t) > MaxFieldLen {
				return fmt.Errorf("encode record: token list %d has a token of %d bytes", i, len(t))
			}
		}
	}
	for _, s := range [...]string{r.PersonID, r.PhoneHash, r.NIDHash, r.District, r.Upazila, r.NIDDistrict} {
		if len(s) > MaxFieldLen {
			return fmt.Errorf("encode record: field of %d bytes, limit %d", len(s), MaxFieldLen)
		}
	}
	if r.Gender > GenderOther {
		return fmt.Errorf("encode record: gender %d out of range", r.Gender)
	}
	if r.DOB.Month > 12 || r.DOB.Day > 31 {
		return fmt.Errorf("encode record: date of birth month %d day %d out of range", r.DOB.Month, r.DOB.Day)
	}
	return nil
}

// appendString writes a one-byte length and s; check has bounded len(s).
func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// DecodeRecord parses what AppendBinary wrote. It never panics; any input it
// cannot read exactly returns an error wrapping ErrCorrupt. The record's
// strings share one copy of b, so b may be reused after the call; a decode
// costs two allocations.
func DecodeRecord(b []byte) (Record, error) {
	var r Record
	if len(b) < headerLen {
		return r, fmt.Errorf("decode record: %d bytes, header needs %d: %w", len(b), headerLen, ErrCorrupt)
	}
	if b[0] != encVersion {
		return r, fmt.Errorf("decode record: version %d: %w", b[0], ErrCorrupt)
	}
	var counts [nLists]int
	total := 0
	for i := range counts {
		c := int(b[1+i])
		if c > MaxTokens {
			return r, fmt.Errorf("decode record: token list %d has %d tokens: %w", i, c, ErrCorrupt)
		}
		counts[i] = c
		total += c
	}
	g := 1 + nLists
	r.Gender = Gender(b[g])
	r.DOB = DOB{Month: b[g+1], Day: b[g+2], Year: binary.LittleEndian.Uint16(b[g+3 : g+5])}
	if r.Gender > GenderOther || r.DOB.Month > 12 || r.DOB.Day > 31 {
		return Record{}, fmt.Errorf("decode record: gender or date out of range: %w", ErrCorrupt)
	}
	// One string copy of the whole input; every field is a substring of it.
	s := string(b)
	d := decoder{s: s, off: headerLen}
	r.PersonID = d.next()
	var toks []string
	if total > 0 {
		toks = make([]string, total)
	}
	var lists [nLists][]string
	k := 0
	for i, c := range counts {
		if c == 0 {
			continue
		}
		for j := range c {
			t := d.next()
			if t == "" {
				return Record{}, fmt.Errorf("decode record: empty or truncated token: %w", ErrCorrupt)
			}
			toks[k+j] = t
		}
		lists[i] = toks[k : k+c : k+c]
		k += c
	}
	r.Name = Name{Strong: lists[0], Weak: lists[1]}
	r.Father = Name{Strong: lists[2], Weak: lists[3]}
	r.Spouse = Name{Strong: lists[4], Weak: lists[5]}
	r.Mother = Name{Strong: lists[6], Weak: lists[7]}
	r.PhoneHash = d.next()
	r.NIDHash = d.next()
	r.District = d.next()
	r.Upazila = d.next()
	r.NIDDistrict = d.next()
	if d.bad {
		return Record{}, fmt.Errorf("decode record: truncated: %w", ErrCorrupt)
	}
	if d.off != len(s) {
		return Record{}, fmt.Errorf("decode record: %d trailing bytes: %w", len(s)-d.off, ErrCorrupt)
	}
	return r, nil
}

// decoder reads length-prefixed strings; after the first overrun it returns
// "" and sets bad, so callers check once at the end.
type decoder struct {
	s   string
	off int
	bad bool
}

func (d *decoder) next() string {
	if d.bad || d.off >= len(d.s) {
		d.bad = true
		return ""
	}
	n := int(d.s[d.off])
	start := d.off + 1
	if n > len(d.s)-start {
		d.bad = true
		return ""
	}
	d.off = start + n
	return d.s[start:d.off]
}
