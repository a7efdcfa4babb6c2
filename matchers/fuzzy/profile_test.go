package fuzzy

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/names"
	"github.com/ekjon/ekjon/matchers/score"
)

// profileRef is ProfileOf as first written, every block's message joined
// and hashed, duplicates dropped by their keys. ProfileOf must build the
// same profile.
func profileRef(p *domain.Person, personID string, pseudo *domain.Pseudonymizer) Profile {
	var pr Profile
	pr.ID = NumericID(personID)
	r := &pr.Record
	r.PersonID = personID
	bn, en := names.Tokens(p.NameBN), names.Tokens(p.NameEN)
	main := bn
	if len(main.Strong) == 0 {
		main = en
	}
	r.Name = score.Name{Strong: clip(main.Strong), Weak: clip(main.Weak)}
	father, spouse := relative(p.FatherName), relative(p.SpouseName)
	r.Father = score.Name{Strong: clip(father.Strong), Weak: clip(father.Weak)}
	r.Spouse = score.Name{Strong: clip(spouse.Strong), Weak: clip(spouse.Weak)}
	mother := relative(p.MotherName)
	r.Mother = score.Name{Strong: clip(mother.Strong), Weak: clip(mother.Weak)}
	if d, err := time.Parse("2006-01-02", p.DOB); err == nil {
		r.DOB = score.DOB{Year: uint16(d.Year()), Month: uint8(d.Month()), Day: uint8(d.Day())}
	}
	r.Gender = score.ParseGender(p.Gender)
	if p.Phone != "" {
		r.PhoneHash = pseudo.Hash("phone", p.Phone)[:8]
	}
	if p.NID != "" {
		r.NIDHash = pseudo.Hash("nid", domain.NIDCore(p.NID))[:8]
		r.NIDDistrict = NIDDistrict(p.NID)
	}
	if a := p.Address; a != nil {
		r.District, r.Upazila = clipString(district(a.District)), clipString(upazila(a.Upazila))
	}
	seen := map[string]bool{}
	add := func(kind byte, parts ...string) {
		k := pseudo.Hash("block", string(kind)+"\x00"+strings.Join(parts, "\x00"))[:blockKeySize]
		if !seen[k] {
			seen[k] = true
			pr.Blocks = append(pr.Blocks, Block{kind, k})
		}
	}
	probe := func(kind byte, parts ...string) {
		k := pseudo.Hash("block", string(kind)+"\x00"+strings.Join(parts, "\x00"))[:blockKeySize]
		if !seen[k] {
			seen[k] = true
			pr.Probes = append(pr.Probes, Block{kind, k})
		}
	}
	for i, n := range []names.Name{bn, en} {
		wide := (i == 0) == (len(bn.Strong) > 0)
		for _, k := range n.Keys {
			if y := int(r.DOB.Year); y != 0 {
				add(BlockName, k, strconv.Itoa(y))
				if wide {
					probe(BlockName, k, strconv.Itoa(y-1))
					probe(BlockName, k, strconv.Itoa(y+1))
				}
			}
			if r.Upazila != "" {
				add(BlockPlace, k, r.District, r.Upazila)
			}
			if r.District != "" {
				add(BlockDistrict, k, r.District)
				if wide && len(n.Strong) >= 2 && len(n.Strong) < 4 {
					probe(BlockLoose, k, r.District)
				}
			}
			if len(father.Keys) > 0 && wide {
				add(BlockFather, k, father.Keys[0])
			}
		}
		if len(father.Keys) > 0 && wide {
			// The name one token short, beside the father's name.
			short := n.Loose
			if len(n.Strong) == 2 {
				short = nil
				for _, t := range n.Strong {
					if k := names.Tokens(t).Keys; len(k) > 0 && !slices.Contains(n.Keys, k[0]) {
						short = append(short, k[0])
					}
				}
			}
			for _, k := range short {
				add(BlockFather, k, father.Keys[0])
			}
		}
		if r.District != "" && wide {
			for _, k := range n.Loose {
				add(BlockLoose, k, r.District)
				probe(BlockDistrict, k, r.District)
			}
		}
	}
	if p.DOB != "" {
		for _, n := range []names.Name{father, spouse} {
			for _, k := range n.Keys {
				add(BlockFamily, k, p.DOB)
			}
		}
	}
	if p.Phone != "" {
		add(BlockContact, p.Phone)
	}
	if p.Wallet != "" {
		add(BlockContact, p.Wallet)
	}
	pr.Tokens = append(append(append([]string(nil), r.Name.Strong...), r.Father.Strong...), r.Mother.Strong...)
	return pr
}

// TestProfileOfMatchesReference checks ProfileOf against profileRef on a
// synthetic population, in both scripts and with the malformed and partial
// persons the generator writes.
func TestProfileOfMatchesReference(t *testing.T) {
	c := synth.DefaultConfig()
	c.Persons = 3000
	g, err := synth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	pseudo := domain.NewPseudonymizer([]byte("test"))
	n := 0
	for r := range g.Enrolments() {
		e, err := domain.DecodeEvent(r.Value, 0)
		if err != nil || e.Person == nil {
			continue
		}
		got, want := ProfileOf(e.Person, "P1", pseudo), profileRef(e.Person, "P1", pseudo)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v:\nProfileOf  %+v\nreference  %+v", e.Person, got, want)
		}
		n++
	}
	p := &domain.Person{NameBN: "মোঃ আবদুল করিম", NameEN: "Md Abdul Karim", FatherName: "Abdul Karim",
		DOB: "1970-01-01", Phone: "01711000000", Wallet: "01711000000",
		Address: &domain.Address{District: "Dhaka", Upazila: "Savar"}}
	if got, want := ProfileOf(p, "P2", pseudo), profileRef(p, "P2", pseudo); !reflect.DeepEqual(got, want) {
		t.Fatalf("ProfileOf  %+v\nreference  %+v", got, want)
	}
	if n < 3000 {
		t.Fatalf("only %d enrolments checked", n)
	}
}

// oversized are persons whose fields are over the candidate record's
// limits or full of junk: each must still give a record that encodes, or
// the index could not hold them as candidates and fuzzy matching would
// never find them again.
func oversized() map[string]*domain.Person {
	var many []string
	for i := range 200 {
		many = append(many, "Nam"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	return map[string]*domain.Person{
		"200-token name":     {NameEN: strings.Join(many, " "), FatherName: strings.Join(many, " "), SpouseName: strings.Join(many, " ")},
		"one 400-byte token": {NameEN: strings.Repeat("rafiq", 80), FatherName: strings.Repeat("karim", 80)},
		"300-byte upazila":   {NameEN: "Rafiqul Islam", Address: &domain.Address{District: "Dhaka", Upazila: strings.Repeat("bkdr", 75)}},
		"300-digit upazila":  {NameEN: "Rafiqul Islam", Address: &domain.Address{District: "Dhaka", Upazila: strings.Repeat("7", 300)}},
		"300-byte district":  {NameEN: "Rafiqul Islam", Address: &domain.Address{District: strings.Repeat("zxqv", 75), Upazila: "Savar"}},
		"300-digit district": {NameEN: "Rafiqul Islam", Address: &domain.Address{District: strings.Repeat("4", 300)}},
		"control characters": {NameEN: "Ra\x00fi\x01qul \x7f\u200b Islam\x1b[31m", FatherName: "\x00\x00\x00",
			NameBN: "রফি\u0000কুল \u0085ইসলাম", Address: &domain.Address{District: "\x00\x1f", Upazila: "\t\n\r" + strings.Repeat("\x01b", 200)}},
	}
}

func TestProfileOfAlwaysEncodes(t *testing.T) {
	pseudo := domain.NewPseudonymizer([]byte("test"))
	for name, p := range oversized() {
		t.Run(name, func(t *testing.T) {
			pr := ProfileOf(p, "Pabcdefghijklmnop", pseudo)
			b, err := pr.Record.AppendBinary(nil)
			if err != nil {
				t.Fatalf("the record does not encode: %v", err)
			}
			r, err := score.DecodeRecord(b)
			if err != nil {
				t.Fatalf("the record does not decode: %v", err)
			}
			if len(r.Name.Strong)+len(r.Name.Weak) == 0 {
				t.Errorf("the name was lost: %+v", r.Name)
			}
		})
	}
}

// FuzzProfileOfEncodes: whatever a person's fields hold, its candidate
// record encodes.
func FuzzProfileOfEncodes(f *testing.F) {
	for _, p := range oversized() {
		var d, u string
		if p.Address != nil {
			d, u = p.Address.District, p.Address.Upazila
		}
		f.Add(p.NameBN, p.NameEN, p.FatherName, p.SpouseName, p.DOB, d, u)
	}
	pseudo := domain.NewPseudonymizer([]byte("test"))
	f.Fuzz(func(t *testing.T, bn, en, father, spouse, dob, district, upazila string) {
		p := &domain.Person{NameBN: bn, NameEN: en, FatherName: father, SpouseName: spouse, DOB: dob, Gender: "female",
			Phone: "01711000000", Address: &domain.Address{District: district, Upazila: upazila}}
		pr := ProfileOf(p, "Pabcdefghijklmnop", pseudo)
		if _, err := pr.Record.AppendBinary(nil); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
	})
}
