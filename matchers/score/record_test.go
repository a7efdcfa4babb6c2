package score

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// typicalRecord is an ordinary enrolled person: two strong name tokens, a
// weak one, a father's name, a full date of birth, 8-byte hashes and BBS
// codes for the location.
func typicalRecord() Record {
	return Record{
		PersonID:    "p-01HZX3K9M2QF",
		Name:        Name{Strong: []string{"rafikul", "islam"}},
		Father:      Name{Strong: []string{"abdul", "karim"}},
		DOB:         DOB{Year: 1950, Month: 3, Day: 1},
		Gender:      GenderMale,
		PhoneHash:   "\x8a\x01\xf3\x22\x9c\x00\x41\x7e",
		NIDHash:     "\x13\x37\xbe\xef\x00\xff\x10\x20",
		District:    "26",
		Upazila:     "72",
		NIDDistrict: "33",
	}
}

// sameRecord compares records treating nil and empty token lists alike,
// since the encoding does not tell them apart.
func sameRecord(a, b Record) bool {
	norm := func(r Record) Record {
		for _, l := range []*[]string{&r.Name.Strong, &r.Name.Weak, &r.Father.Strong, &r.Father.Weak, &r.Spouse.Strong, &r.Spouse.Weak, &r.Mother.Strong, &r.Mother.Weak} {
			if len(*l) == 0 {
				*l = nil
			}
		}
		return r
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func mustEncode(tb testing.TB, r Record) []byte {
	tb.Helper()
	b, err := r.AppendBinary(nil)
	if err != nil {
		tb.Fatalf("AppendBinary: %v", err)
	}
	return b
}

func TestRecordRoundTrip(t *testing.T) {
	widow := Record{
		PersonID: "p-2",
		Name:     Name{Strong: []string{"rahima"}, Weak: []string{"begum"}},
		Father:   Name{Strong: []string{"late", "abdul", "jalil"}, Weak: []string{"miah"}},
		DOB:      DOB{Year: 1948},
		Gender:   GenderFemale,
		District: "dhaka",
	}
	tests := map[string]Record{
		"zero":    {},
		"typical": typicalRecord(),
		"widow":   widow,
		"empty slices": {
			Name: Name{Strong: []string{}, Weak: []string{}},
		},
		"limits": {
			PersonID: strings.Repeat("x", MaxFieldLen),
			Name:     Name{Strong: repeatTokens(MaxTokens, strings.Repeat("a", MaxFieldLen))},
			Gender:   GenderOther,
			DOB:      DOB{Year: 65535, Month: 12, Day: 31},
		},
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			b := mustEncode(t, r)
			got, err := DecodeRecord(b)
			if err != nil {
				t.Fatalf("DecodeRecord: %v", err)
			}
			if !sameRecord(got, r) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
			}
			// Appending to a prefix keeps the prefix.
			b2, err := r.AppendBinary([]byte("prefix"))
			if err != nil || !bytes.Equal(b2[6:], b) || string(b2[:6]) != "prefix" {
				t.Errorf("AppendBinary to a prefix = %q, %v", b2, err)
			}
		})
	}
}

func repeatTokens(n int, tok string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = tok
	}
	return out
}

// TestRecordRoundTripRandom checks decode(encode(r)) == r on random records.
func TestRecordRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	str := func(max int) string {
		b := make([]byte, rng.IntN(max+1))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	toks := func() []string {
		out := make([]string, rng.IntN(5))
		for i := range out {
			out[i] = str(12) + "t"
		}
		return out
	}
	for i := range 2000 {
		r := Record{
			PersonID:  str(30),
			Name:      Name{Strong: toks(), Weak: toks()},
			Father:    Name{Strong: toks(), Weak: toks()},
			Spouse:    Name{Strong: toks(), Weak: toks()},
			Mother:    Name{Strong: toks(), Weak: toks()},
			DOB:       DOB{Year: uint16(rng.IntN(2100)), Month: uint8(rng.IntN(13)), Day: uint8(rng.IntN(32))},
			Gender:    Gender(rng.IntN(5)),
			PhoneHash: str(8),
			NIDHash:   str(8),
			District:  str(10),
			Upazila:   str(10),
		}
		got, err := DecodeRecord(mustEncode(t, r))
		if err != nil || !sameRecord(got, r) {
			t.Fatalf("record %d: round trip = %+v, %v; want %+v", i, got, err, r)
		}
	}
}

func TestAppendBinaryRejects(t *testing.T) {
	tests := map[string]func(*Record){
		"too many tokens": func(r *Record) { r.Spouse.Weak = repeatTokens(MaxTokens+1, "x") },
		"empty token":     func(r *Record) { r.Name.Strong = []string{"a", ""} },
		"long token":      func(r *Record) { r.Father.Strong = []string{strings.Repeat("a", MaxFieldLen+1)} },
		"long field":      func(r *Record) { r.Upazila = strings.Repeat("u", MaxFieldLen+1) },
		"gender":          func(r *Record) { r.Gender = GenderOther + 1 },
		"month":           func(r *Record) { r.DOB.Month = 13 },
		"day":             func(r *Record) { r.DOB.Day = 32 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			r := typicalRecord()
			mutate(&r)
			b, err := r.AppendBinary([]byte{9})
			if err == nil {
				t.Fatal("AppendBinary accepted an invalid record")
			}
			if !bytes.Equal(b, []byte{9}) {
				t.Errorf("AppendBinary changed b on error: %q", b)
			}
		})
	}
}

func TestDecodeRecordCorrupt(t *testing.T) {
	good := mustEncode(t, typicalRecord())
	set := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := map[string][]byte{
		"nil":            nil,
		"short header":   good[:headerLen-1],
		"truncated":      good[:len(good)-1],
		"trailing":       append(bytes.Clone(good), 0),
		"version":        set(0, encVersion+1),
		"old version":    set(0, encVersion-1),
		"count":          set(1, MaxTokens+1),
		"gender":         set(7, 9),
		"month":          set(8, 13),
		"day":            set(9, 32),
		"string overrun": set(headerLen, 200),
		"empty token":    set(headerLen+1+len("p-01HZX3K9M2QF"), 0),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeRecord(b)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeRecord = %+v, %v; want ErrCorrupt", r, err)
			}
			if !sameRecord(r, Record{}) {
				t.Errorf("DecodeRecord returned a partial record with its error: %+v", r)
			}
		})
	}
}

// TestDecodeRecordCopies checks that the record does not alias the input.
func TestDecodeRecordCopies(t *testing.T) {
	b := mustEncode(t, typicalRecord())
	r, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0
	}
	if !sameRecord(r, typicalRecord()) {
		t.Errorf("record changed with its input buffer: %+v", r)
	}
}

// TestRecordSize pins the size of the typical record so that a format
// change that bloats the index shows up in review.
func TestRecordSize(t *testing.T) {
	r := typicalRecord()
	r.Name.Weak = []string{"miah"}
	n := len(mustEncode(t, r))
	t.Logf("typical record: %d bytes", n)
	if n > 100 {
		t.Errorf("typical record is %d bytes, want at most 100", n)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(mustEncode(f, typicalRecord()))
	f.Add(mustEncode(f, Record{}))
	f.Add([]byte{1, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 255})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		// What decodes is canonical: it re-encodes to the same bytes.
		again, err := r.AppendBinary(nil)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
		}
	})
}
