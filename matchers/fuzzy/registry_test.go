package fuzzy

import (
	"strconv"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/score"
)

// blockIndex is the smallest index of profiles: blocks as lists of ids,
// members capped at capacity, candidates ranked as the real indexes do.
type blockIndex struct {
	cap     int
	blocks  map[string][]uint64
	records map[uint64]score.Record
}

func newBlockIndex(capacity int) *blockIndex {
	return &blockIndex{cap: capacity, blocks: map[string][]uint64{}, records: map[uint64]score.Record{}}
}

func (ix *blockIndex) add(p *Profile) {
	ix.records[p.ID] = p.Record
	for _, b := range p.Blocks {
		if m := ix.blocks[b.Key]; len(m) < ix.cap {
			ix.blocks[b.Key] = append(m, p.ID)
		}
	}
}

func (ix *blockIndex) candidates(p *Profile, max int) []score.Record {
	var lists [][]uint64
	read := func(b Block) {
		var l []uint64
		for _, id := range ix.blocks[b.Key] {
			if id != p.ID {
				l = append(l, id)
			}
		}
		lists = append(lists, l)
	}
	for _, b := range p.Blocks {
		if b.Finds() {
			read(b)
		}
	}
	for _, b := range p.Probes {
		read(b)
	}
	var out []score.Record
	for _, id := range Rank(lists, max) {
		out = append(out, ix.records[id])
	}
	return out
}

func addr(district, upazila string) *domain.Address {
	return &domain.Address{District: district, Upazila: upazila}
}

// TestRegistryVariations enrols one person, then the same person again as
// registries write them, among namesakes that fill the common blocks; the
// second enrolment must find the first and be held, or, for the
// namesakes, must not.
func TestRegistryVariations(t *testing.T) {
	pseudo := domain.NewPseudonymizer([]byte("test"))
	cfg := DefaultConfig()
	tests := []struct {
		name string
		a, b domain.Person
		// found is whether a must be among b's candidates; held whether b
		// must be held as a's person; namesake that a must raise no rule.
		found, held, namesake bool
	}{
		{
			name: "a year off, another district, the same father",
			a: domain.Person{NameBN: "মোঃ আব্দুল জলিল", FatherName: "আব্দুল গফুর", DOB: "1956-03-10", Gender: "male",
				Address: addr("Dhaka", "Savar")},
			b: domain.Person{NameEN: "Md. Abdul Jalil", FatherName: "Abdul Gafur", DOB: "1957-03-10", Gender: "male",
				Address: addr("Gazipur", "Kaliakair")},
			held: true, found: true,
		},
		{
			name: "1 January a year off, another district, no father",
			a: domain.Person{NameBN: "রোকেয়া বেগম", DOB: "1950-01-01", Gender: "female",
				Address: addr("Bogura", "Sherpur")},
			b: domain.Person{NameEN: "Rokeya Begum", DOB: "1951-06-15", Gender: "female",
				Address: addr("Rajshahi", "Paba")},
			found: true,
		},
		{
			name: "a nickname added, the same district and date",
			a: domain.Person{NameBN: "মোঃ সাইফুল ইসলাম বাবু", FatherName: "মোঃ নুরুল হক", DOB: "1980-05-02", Gender: "male",
				Address: addr("Cumilla", "Laksam")},
			b: domain.Person{NameEN: "Saiful Islam", FatherName: "Nurul Haque", DOB: "1980-05-02", Gender: "male",
				Address: addr("Cumilla", "Barura")},
			held: true, found: true,
		},
		{
			name: "a nickname added to a one-word name, 1 January, another district",
			a: domain.Person{NameBN: "রোকেয়া বেগম", FatherName: "এসএম শহীদুল্লাহ", DOB: "1983-09-29", Gender: "female",
				Address: addr("Tangail", "Basail")},
			b: domain.Person{NameEN: "Rokeya Begum Mony", FatherName: "Late SM Shahidullah", DOB: "1983-01-01", Gender: "female",
				Address: addr("Dhaka", "Savar")},
			found: true,
		},
		{
			name: "same phone, date and district, ছ written ch",
			a: domain.Person{NameBN: "মোঃ ছবুর আলী", DOB: "1962-08-20", Gender: "male", Phone: "01811000002",
				Address: addr("Noakhali", "Chatkhil")},
			b: domain.Person{NameEN: "Chobur Ali", DOB: "1962-08-20", Gender: "male", Phone: "01811000002",
				Address: addr("Noakhali", "Sonaimuri")},
			held: true, found: true,
		},
		{
			name: "same phone, date and district, a glide dropped",
			a: domain.Person{NameBN: "মোঃ ইউনুস মিয়া", FatherName: "আব্দুল মজিদ", DOB: "1948-11-05", Gender: "male",
				Phone: "01911000003", Address: addr("Sylhet", "Beanibazar")},
			b: domain.Person{NameEN: "Unus Mia", FatherName: "Abdul Mojid", DOB: "1948-11-05", Gender: "male",
				Phone: "01911000003", Address: addr("Sylhet", "Golapganj")},
			held: true, found: true,
		},
		{
			name: "the glide of আউয়াল against আওয়াল, the same father and date",
			a: domain.Person{NameBN: "আওয়াল মিয়া বাবু", NameEN: "Awal Miah Babu", FatherName: "Bashir Sardar",
				DOB: "1977-02-26", Gender: "male", Address: addr("Sunamganj", "Chhatak")},
			b: domain.Person{NameBN: "আউয়াল মিয়া বাবু", NameEN: "Aowal Mia Babu", FatherName: "মরহুম বশির সরদার",
				DOB: "1977-02-26", Gender: "male", Address: addr("Sunamganj", "Chhatak")},
			held: true, found: true,
		},
		{
			name: "w written b, the same father, husband and date",
			a: domain.Person{NameBN: "আনোয়ারা বেগম", NameEN: "Anwara Begum", FatherName: "Lt. Abdul Karim", SpouseName: "Romzan Ali",
				DOB: "1949-07-25", Gender: "female", Address: addr("Sylhet", "Beanibazar")},
			b: domain.Person{NameEN: "Anobara Begum", FatherName: "Lt. Abdul Korim", SpouseName: "Ramjan Ali",
				DOB: "1949-07-25", Gender: "female", Address: addr("Sylhet", "Beanibazar")},
			held: true, found: true,
		},
		{
			name: "no date of birth, the same father, husband and union",
			a: domain.Person{NameBN: "রোকেয়া বেগম", FatherName: "আব্দুল কুদ্দুস আলী", SpouseName: "আব্দুল হাই",
				DOB: "1983-01-01", Gender: "female", Address: addr("Patuakhali", "Kalapara")},
			b: domain.Person{NameEN: "Rokeya Begum", FatherName: "Abdul Kuddus Ali", SpouseName: "Abdul Hai",
				Gender: "female", Address: addr("Patuakhali", "Kalapara")},
			held: true, found: true,
		},
		{
			name: "namesakes of one union whose husbands share a name, another father, a year apart",
			a: domain.Person{NameBN: "রোকেয়া বেগম", FatherName: "নুরুল ইসলাম", SpouseName: "আব্দুল হাই",
				DOB: "1990-03-05", Gender: "female", Address: addr("Patuakhali", "Kalapara")},
			b: domain.Person{NameEN: "Rokeya Begum", FatherName: "Abdus Sattar", SpouseName: "Abdul Hai",
				DOB: "1991-07-12", Gender: "female", Address: addr("Patuakhali", "Kalapara")},
			found: true, namesake: true,
		},
		{
			name: "namesakes of one father's name and union, fifty years apart",
			a: domain.Person{NameBN: "মোঃ আব্দুল করিম", FatherName: "আব্দুর রহমান", DOB: "1940-01-01", Gender: "male",
				Phone: "01711000009", Address: addr("Dhaka", "Savar")},
			b: domain.Person{NameEN: "Abdul Karim", FatherName: "Abdur Rahman", DOB: "1990-03-04", Gender: "male",
				Phone: "01711000009", Address: addr("Dhaka", "Savar")},
			found: true, namesake: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := newBlockIndex(cfg.BlockCap)
			// Namesakes first: they fill the blocks of a's name and year,
			// district and father to the cap, as a registry of millions does.
			for i := range 3 * cfg.BlockCap {
				p := tc.a
				p.Phone = ""
				p.DOB = strconv.Itoa(1940+i%40) + "-0" + strconv.Itoa(1+i%9) + "-1" + strconv.Itoa(i%9)
				p.FatherName = []string{"Abdul Aziz", "Mokbul Hossain", "Nurul Islam", "Abdus Sattar"}[i%4]
				pr := ProfileOf(&p, "N"+strconv.Itoa(i), pseudo)
				ix.add(&pr)
			}
			pa := ProfileOf(&tc.a, "A", pseudo)
			ix.add(&pa)
			pb := ProfileOf(&tc.b, "B", pseudo)
			cands := ix.candidates(&pb, cfg.MaxCandidates)
			if len(cands) > cfg.MaxCandidates {
				t.Fatalf("%d candidates, cap %d", len(cands), cfg.MaxCandidates)
			}
			found := false
			for _, c := range cands {
				found = found || c.PersonID == "A"
			}
			if found != tc.found {
				t.Fatalf("first enrolment among the %d candidates: %v, want %v", len(cands), found, tc.found)
			}
			m, ok := cfg.Best(&pb, cands, nil, nil)
			if tc.held {
				if !ok || m.Candidate.PersonID != "A" || m.Rule != domain.RuleFuzzyPerson {
					t.Fatalf("best %s %s %v, want A held", m.Candidate.PersonID, m.Rule, m.Result)
				}
				return
			}
			if tc.namesake && ok && m.Candidate.PersonID == "A" && m.Rule != "" {
				t.Fatalf("namesake flagged %s: %v", m.Rule, m.Result)
			}
		})
	}
}

// TestRank checks the candidates are bounded and that sharing more and
// rarer blocks ranks first, generic blocks filling what room is left.
func TestRank(t *testing.T) {
	generic := make([]int, 100)
	for i := range generic {
		generic[i] = 1000 + i
	}
	got := Rank([][]int{generic, {7, 1050}, {7}}, 3)
	if len(got) != 3 {
		t.Fatalf("Rank kept %d, want 3", len(got))
	}
	want := map[int]bool{7: true, 1050: true}
	n := 0
	for _, id := range got {
		if want[id] {
			n++
		}
	}
	if n != 2 {
		t.Errorf("Rank = %v, want 7 and 1050 among them", got)
	}
	if got := Rank([][]int{{1, 2}, {2, 3}}, 10); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("Rank under the bound = %v, want every member in the order met", got)
	}
	if got := Rank[int](nil, 5); len(got) != 0 {
		t.Errorf("Rank of nothing = %v", got)
	}
}
