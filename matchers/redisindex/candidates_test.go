package redisindex_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
)

// TestSamePhoneFoundAmongNamesakes: a person enrolled again with the same
// phone, date of birth and district, the name written with ছ as ch, must
// be found and held even when namesakes fill every name block up to the
// candidates an enrolment may score. Candidates are ranked by the blocks
// they share, so the phone's one other person comes first; taken in the
// order the blocks were read, the name blocks would use up the room.
func TestSamePhoneFoundAmongNamesakes(t *testing.T) {
	for name, set := range servers {
		t.Run(name, func(t *testing.T) {
			ix := newIndexWith(t, func(c *redisindex.Config) {
				set(c)
				c.Fuzzy.BlockCap, c.Fuzzy.MaxCandidates = 5, 6
			})
			samePhoneFoundAmongNamesakes(t, ix)
		})
	}
}

func samePhoneFoundAmongNamesakes(t *testing.T, ix *redisindex.Index) {
	upazilas := []string{"Chatkhil", "Sonaimuri", "Begumganj"}
	n := 0
	namesake := func(upazila string, year int) {
		n++
		o := enrol(fmt.Sprintf("n%d", n), "", "old_age", "")
		o.Event.BeneficiaryRef = fmt.Sprintf("ref-n%d", n)
		p := o.Event.Person
		p.NameEN, p.Gender = "Chobur Ali", "male"
		p.DOB = fmt.Sprintf("%d-0%d-1%d", year, 1+n%9, n%9)
		p.Address = &domain.Address{District: "Noakhali", Upazila: upazila}
		decide(t, ix, o)
	}
	// Namesakes fill the name + year and name + district blocks to the
	// cap before the person enrols, and four more share the upazila the
	// re-enrolment gives: the person is in no block of the name.
	for i := range 5 {
		namesake("Begumganj", 1962)
		namesake(upazilas[i%3], 1970+i)
	}
	for i := range 4 {
		namesake("Sonaimuri", 1990+i)
	}
	a := enrol("a", "1962123456789", "old_age", "")
	pa := a.Event.Person
	pa.NameEN, pa.NameBN, pa.Gender, pa.DOB, pa.Phone = "", "মোঃ ছবুর আলী", "male", "1962-08-20", "01811000002"
	pa.Address = &domain.Address{District: "Noakhali", Upazila: "Chatkhil"}
	decide(t, ix, a)
	b := enrol("b", "", "widow", "")
	pb := b.Event.Person
	pb.NameEN, pb.Gender, pb.DOB, pb.Phone = "Chobur Ali", "male", "1962-08-20", "01811000002"
	pb.Address = &domain.Address{District: "Noakhali", Upazila: "Sonaimuri"}
	decide(t, ix, b)
	d := b.Decision
	if d.Action != domain.ActionHold || !slices.Contains(d.Rules, domain.RuleFuzzyPerson) || d.MatchedPerson != a.Decision.PersonID {
		t.Fatalf("re-enrolment: %s, matched %q (want %q), %v", verdict(b), d.MatchedPerson, a.Decision.PersonID, d.Explanation)
	}
}

// TestYearOffFoundInOneBatch: a person enrolled twice in one batch, the
// birth year a year off and the address in another district, meets
// itself only through the probe of the next year's name block; the later
// enrolment must still be matched to the earlier.
func TestYearOffFoundInOneBatch(t *testing.T) {
	for name, set := range servers {
		t.Run(name, func(t *testing.T) {
			ix := newIndexWith(t, set)
			a := enrol("a", "", "old_age", "")
			pa := a.Event.Person
			pa.NameEN, pa.NameBN, pa.Gender, pa.DOB = "", "মোঃ তানভীর শাহরিয়ার", "male", "1956-03-10"
			pa.Address = &domain.Address{District: "Dhaka", Upazila: "Savar"}
			b := enrol("b", "", "widow", "")
			pb := b.Event.Person
			pb.NameEN, pb.Gender, pb.DOB = "Md. Tanvir Shahriar", "male", "1957-03-10"
			pb.Address = &domain.Address{District: "Gazipur", Upazila: "Kaliakair"}
			decide(t, ix, a, b)
			if got := b.Decision.MatchedPerson; got == "" || got != a.Decision.PersonID {
				t.Fatalf("second enrolment: %s, matched %q, want %q", verdict(b), got, a.Decision.PersonID)
			}
		})
	}
}
