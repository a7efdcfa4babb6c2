package registry

// Kind is one way a registry's second record of a person differs from the
// first, or one kind of hard negative: two people a matcher may take for
// one. The truth file's pattern column holds it.
type Kind string

// Re-enrolments: the same person again, under another NID or none, with
// one variation as a registry writes it. Each also differs in everything
// a second clerk types afresh (spellings drawn again, the honorific, the
// script, a parent's name left out).
const (
	// KindRetyped is only that: a second clerk's typing, nothing more.
	KindRetyped Kind = "retyped"
	// Dates of birth.
	KindDOBJan     Kind = "dob_1jan"         // only the year known: 1 January
	KindDOBJul     Kind = "dob_1jul"         // only the year known: 1 July
	KindDOBMissing Kind = "dob_missing"      // written 0, so sent empty
	KindDOBYear1   Kind = "dob_year_1"       // year one off
	KindDOBYear2   Kind = "dob_year_2"       // year two off
	KindDOBSwap    Kind = "dob_swap"         // day and month swapped
	KindChh        Kind = "name_chh"         // ছ as s, ch or chh; ছ/স in Bangla
	KindGlide      Kind = "name_glide"       // ই/ইউ/ও glides: Yunus, Unus, Iunus
	KindLoanword   Kind = "name_loanword"    // Lovely, Lavli; Jewel, Juel
	KindParticle   Kind = "name_particle"    // Habibur Rahman, Habib-ur-Rahman
	KindInitials   Kind = "name_initials"    // একেএম, AKM, A.K.M.
	KindFinalVowel Kind = "name_final_vowel" // Siddique, Siddiqui
	KindWBV        Kind = "name_w_b_v"       // Anwar, Anowar, Anobar
	KindNickname   Kind = "name_nickname"    // a daak naam added or dropped
	KindLineage    Kind = "name_lineage"     // Khondakar, Mollah… added or dropped
	KindMoved      Kind = "moved_district"   // enrolled again in another district
	KindSamePhone  Kind = "same_phone"       // same phone, date and union, near-identical name
)

// Hard negatives: a different person, enrolled once, who looks like one
// already enrolled.
const (
	KindFirst          Kind = "first"               // a person's first enrolment
	KindNamesake       Kind = "neg_namesake"        // a common name in the same union
	KindCousin         Kind = "neg_cousin"          // same name and father's name, same union
	KindSibling        Kind = "neg_sibling"         // same father, mother, home and phone
	KindTwin           Kind = "neg_twin"            // a sibling born the same day
	KindMotherDaughter Kind = "neg_mother_daughter" // the same given name, a generation apart
	KindHouseholdPhone Kind = "neg_household_phone" // a spouse giving the household's phone
)

// ReenrolmentKinds lists the variations in report order.
var ReenrolmentKinds = []Kind{KindRetyped, KindDOBJan, KindDOBJul, KindDOBMissing, KindDOBYear1, KindDOBYear2, KindDOBSwap,
	KindChh, KindGlide, KindLoanword, KindParticle, KindInitials, KindFinalVowel, KindWBV, KindNickname, KindLineage,
	KindMoved, KindSamePhone}

// NegativeKinds lists the hard negatives in report order.
var NegativeKinds = []Kind{KindNamesake, KindCousin, KindSibling, KindTwin, KindMotherDaughter, KindHouseholdPhone}

// nameKinds strike a given name only when the name table gives it
// another spelling of that kind.
var nameKinds = map[Kind]bool{KindChh: true, KindGlide: true, KindLoanword: true, KindParticle: true,
	KindInitials: true, KindFinalVowel: true, KindWBV: true}

func isDateKind(k Kind) bool {
	switch k {
	case KindDOBJan, KindDOBJul, KindDOBMissing, KindDOBYear1, KindDOBYear2, KindDOBSwap:
		return true
	}
	return false
}
