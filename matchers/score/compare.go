package score

import (
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// Field names in Contributions. They are part of the explanation shown to
// reviewers and stored with decisions, so they do not change lightly.
const (
	FieldName     = "name"
	FieldNameTF   = "name_tf"
	FieldNameWeak = "name_weak"
	FieldFather   = "father"
	FieldFatherTF = "father_tf"
	FieldSpouse   = "spouse"
	FieldSpouseTF = "spouse_tf"
	FieldMother   = "mother"
	FieldMotherTF = "mother_tf"
	FieldDOB      = "dob"
	FieldGender   = "gender"
	FieldPhone    = "phone"
	FieldNID      = "nid"
	FieldLocation = "location"
	// FieldNIDPlace: one person's NID was issued in the district where
	// the other lives (the district code opens the NID), though the two
	// live in different districts: someone who moved.
	FieldNIDPlace  = "nid_place"
	FieldHousehold = "household"
)

// Level names in Contributions.
const (
	LevelExact        = "exact"
	LevelClose        = "close"
	LevelPartial      = "partial"
	LevelMixed        = "mixed"
	LevelFar          = "far"
	LevelMissing      = "missing"
	LevelTransposed   = "day_month_transposed"
	LevelPlaceholder  = "same_year_placeholder"
	LevelSameYear     = "same_year"
	LevelYearOff1     = "year_off_by_one"
	LevelYearOffOther = "year_off_by_one_other_day"
	LevelYearOffDay   = "year_off_by_one_same_day"
	LevelYearOff2to5  = "year_off_2_to_5"
	LevelYearOff2Day  = "year_off_2_to_5_same_day"
	LevelYearOff2Oth  = "year_off_2_to_5_other_day"
	LevelDecades      = "decades_apart"
	LevelSame         = "same"
	LevelDifferent    = "different"
	LevelSameUpazila  = "same_upazila"
	LevelSameDistrict = "same_district"
	LevelCommon       = "common"  // term frequency: agreeing tokens are common
	LevelRare         = "rare"    // term frequency: agreeing tokens are rare
	LevelTypical      = "typical" // term frequency: no net adjustment
	LevelCapped       = "capped"  // household evidence cut to the cap
)

// maxNameTokens bounds the tokens of one name that are compared; longer
// names are cut, which loses nothing real (names have two to five parts)
// and keeps the comparison on the stack.
const maxNameTokens = 8

// tokenAgree says how two name tokens agree: 2 equal, 1 a spelling variant
// or typo (Jaro-Winkler at least closeJW and few edits), 0 not at all. The
// edit bound stops Jaro-Winkler's prefix bonus from pairing long tokens
// that only share a start (mohammadullah, mohammadali).
func tokenAgree(a, b string, closeJW float64) (agree int, jw float64) {
	return agreeSets(a, byteSetOf(a), b, byteSetOf(b), closeJW)
}

// agreeSets is tokenAgree given the tokens' byte sets. jw is the
// Jaro-Winkler similarity when the tokens agree and meaningless otherwise:
// most pairs in a candidate block are different names, and a bound on the
// edits between them, tested first, rejects them for a fraction of its
// cost.
func agreeSets(a string, sa byteSet, b string, sb byteSet, closeJW float64) (agree int, jw float64) {
	if a == b {
		return 2, 1
	}
	maxEdits := maxEditsOf(len(a), len(b))
	if editsOver(maxEdits, len(a), sa, sb.missing(a), len(b), sb, sa.missing(b)) {
		if g, cjw := chAsS(a, sa, b, sb, closeJW); g > 0 {
			return g, cjw
		}
		return bAsW(a, sa, b, sb, closeJW)
	}
	jw = JaroWinkler(a, b)
	if jw < closeJW {
		if g, cjw := chAsS(a, sa, b, sb, closeJW); g > 0 {
			return g, cjw
		}
		if g, cjw := bAsW(a, sa, b, sb, closeJW); g > 0 {
			return g, cjw
		}
		if eAsA(a, b) {
			return 1, closeJW
		}
		return 0, jw
	}
	if levenshtein.ComputeDistance(a, b) > maxEdits {
		return 0, jw
	}
	return 1, jw
}

// chAsS reports two tokens as a spelling variant when they are equal once
// the ch of one is read as the s of the other: ছ is written both ways in
// English (ছবুর Sabur, Chobur; মোছলেম Moslem, Mochlem), and the
// transliterator reads it as s. Only a pair where one token has a c (the
// fold leaves c only in ch) and the other an s pays for the look.
func chAsS(a string, sa byteSet, b string, sb byteSet, closeJW float64) (int, float64) {
	const c, s = 1 << ('c' & 63), 1 << ('s' & 63)
	switch {
	case sa.bits&c != 0 && sb.bits&c == 0 && sb.bits&s != 0:
	case sb.bits&c != 0 && sa.bits&c == 0 && sa.bits&s != 0:
		a, b = b, a
	default:
		return 0, 0
	}
	// a has the ch; rewrite it as s and compare with b.
	var buf [64]byte
	if len(a) > len(buf) {
		return 0, 0
	}
	n := 0
	for i := 0; i < len(a); i++ {
		if a[i] == 'c' && i+1 < len(a) && a[i+1] == 'h' {
			buf[n] = 's'
			n++
			i++
			continue
		}
		buf[n] = a[i]
		n++
	}
	if string(buf[:n]) == b {
		return 1, closeJW
	}
	return 0, 0
}

// bAsW reports two tokens as a spelling variant when they are equal once
// the b of one is read as the w of the other: the w of a Persian name
// (আনোয়ার, নওশাদ) is written w, o or b in English and ওয় or ব in Bangla
// (Anwar, Anobar; Nawshad, Nobshad), and the fold reads w as a vowel.
// Only a b before an a, before a consonant or at an end is read so: a w
// before i or u is rare in these names, a b there common (Kabir, Sabina,
// Nabila, Sabur), and read as a vowel Sabina would be Saina. Only a pair
// where one token has a b and the other none pays for the look; the token
// with the b must have four letters or more, since a short one read so is
// any other short name.
func bAsW(a string, sa byteSet, b string, sb byteSet, closeJW float64) (int, float64) {
	const bb = 1 << ('b' & 63)
	switch {
	case sa.bits&bb != 0 && sb.bits&bb == 0 && sb.ascii:
	case sb.bits&bb != 0 && sa.bits&bb == 0 && sa.ascii:
		a, b = b, a
	default:
		return 0, 0
	}
	// a has the b; fold it as the w the fold reads as a, then merge the
	// letters that doubles and an ai the a makes before a consonant, as
	// the fold would have.
	var buf [64]byte
	if len(a) > len(buf) || len(a) < 4 {
		return 0, 0
	}
	n := 0
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c == 'b' && (i+1 == len(a) || !isFoldedVowel(a[i+1]) || a[i+1] == 'a') {
			c = 'a'
		}
		if n > 0 && buf[n-1] == c {
			continue
		}
		buf[n] = c
		n++
	}
	w := 0
	for r := 0; r < n; r++ {
		c := buf[r]
		if c == 'a' && r > 0 && r+2 < n && buf[r+1] == 'i' && !isFoldedVowel(buf[r+2]) {
			c = 'e'
			r++
		}
		if w > 0 && buf[w-1] == c {
			continue
		}
		buf[w] = c
		w++
	}
	if string(buf[:w]) == b {
		return 1, closeJW
	}
	return 0, 0
}

// isFoldedVowel reports a vowel of a folded token.
func isFoldedVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'u' }

// eAsA reports two tokens of four letters or more that differ only in one
// letter, an e in one where the other has an a: the English vowel of a
// loanword or a foreign name is written both ways in Bangla (হ্যাপি,
// হেপি: Happy; জেসমিন: Jasmine) and read back both ways.
func eAsA(a, b string) bool {
	if len(a) != len(b) || len(a) < 4 {
		return false
	}
	diff := 0
	for i := 0; i < len(a); i++ {
		if a[i] == b[i] {
			continue
		}
		if !(a[i] == 'e' && b[i] == 'a' || a[i] == 'a' && b[i] == 'e') {
			return false
		}
		diff++
	}
	return diff == 1
}

// maxEditsOf is the most edits between two agreeing tokens of la and lb
// bytes.
func maxEditsOf(la, lb int) int {
	if min(la, lb) > 5 {
		return 2
	}
	return 1
}

// byteSet is the set of an ASCII token's bytes, one bit per byte value
// modulo 64: a byte absent from the set is absent from the token.
type byteSet struct {
	bits  uint64
	ascii bool
}

func byteSetOf(s string) byteSet {
	var bits uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return byteSet{}
		}
		bits |= 1 << (c & 63)
	}
	return byteSet{bits, true}
}

// union is the set of the concatenation of two tokens.
func (s byteSet) union(o byteSet) byteSet {
	return byteSet{s.bits | o.bits, s.ascii && o.ascii}
}

// missing counts the bytes of t that are not in s.
func (s byteSet) missing(t string) int {
	n := 0
	for i := 0; i < len(t); i++ {
		if s.bits&(1<<(t[i]&63)) == 0 {
			n++
		}
	}
	return n
}

// editsOver reports that two tokens are more than k edits apart, from
// their lengths la and lb, their byte sets and the count of each one's
// bytes that occur nowhere in the other (missA, missB), each of which
// takes an edit of its own. It reports false, knowing nothing, unless both
// tokens are ASCII, because the Levenshtein distance counts runes.
func editsOver(k, la int, sa byteSet, missA, lb int, sb byteSet, missB int) bool {
	if !sa.ascii || !sb.ascii {
		return false
	}
	return la-lb > k || lb-la > k || missA > k || missB > k
}

// nameMatch is the outcome of aligning two token lists: the level and the
// agreeing pairs, kept for the term-frequency adjustment.
type nameMatch struct {
	level string
	n     int
	pairs [maxNameTokens][2]string
}

// nameRank orders levels so that the better of two alignments can be kept.
func nameRank(level string) int {
	switch level {
	case LevelExact:
		return 4
	case LevelClose:
		return 3
	case LevelPartial:
		return 2
	case LevelMixed:
		return 1
	}
	return 0
}

// tokens is a name's strong tokens, cut to maxNameTokens, each with its
// byte set, taken once per name rather than once per pair of tokens.
type tokens struct {
	n   int
	t   [maxNameTokens]string
	set [maxNameTokens]byteSet
}

// fill sets x to the tokens ts.
func (x *tokens) fill(ts []string) {
	x.n = copy(x.t[:], ts)
	for i, t := range x.t[:x.n] {
		x.set[i] = byteSetOf(t)
	}
}

// compareNames compares two strong-token lists regardless of order. Tokens
// written together on one side and apart on the other (nasiruddin, nasir
// uddin) are joined before a second alignment, so the split costs nothing.
func compareNames(a, b []string, closeJW float64) nameMatch {
	if len(a) == 0 || len(b) == 0 {
		return nameMatch{level: LevelMissing}
	}
	var ta, tb tokens
	ta.fill(a)
	tb.fill(b)
	return compareTokens(&ta, &tb, closeJW)
}

// compareTokens is compareNames of two non-empty names.
func compareTokens(ta, tb *tokens, closeJW float64) nameMatch {
	best := align(ta, tb, closeJW)
	if best.level == LevelExact || best.level == LevelClose {
		return best
	}
	ja, jb := *ta, *tb
	joinTokens(&ja, tb, closeJW)
	joinTokens(&jb, ta, closeJW)
	if ja.n == ta.n && jb.n == tb.n {
		return best
	}
	if m := align(&ja, &jb, closeJW); nameRank(m.level) > nameRank(best.level) {
		return m
	}
	return best
}

// joinTokens merges, in place, adjacent tokens of t whose concatenation
// agrees with a token of other that neither part agrees with alone. It
// allocates the joined strings; it runs only when a plain alignment left
// tokens unpaired, and joins only pairs that the edit bound lets through.
func joinTokens(t *tokens, other *tokens, closeJW float64) {
	for i := 0; i+1 < t.n; i++ {
		x, y := t.t[i], t.t[i+1]
		xy := t.set[i].union(t.set[i+1])
		joined := ""
		for k, o := range other.t[:other.n] {
			so := other.set[k]
			if len(o) < len(x)+len(y)-2 || len(o) > len(x)+len(y)+2 {
				continue
			}
			if g, _ := agreeSets(x, t.set[i], o, so, closeJW); g > 0 {
				continue
			}
			if g, _ := agreeSets(y, t.set[i+1], o, so, closeJW); g > 0 {
				continue
			}
			lxy := len(x) + len(y)
			if editsOver(maxEditsOf(lxy, len(o)), lxy, xy, so.missing(x)+so.missing(y), len(o), so, xy.missing(o)) {
				continue // too far from o to agree: spare the join
			}
			if joined == "" {
				joined = x + y
			}
			if g, _ := agreeSets(joined, xy, o, so, closeJW); g > 0 {
				t.t[i], t.set[i] = joined, xy
				copy(t.t[i+1:t.n], t.t[i+2:t.n])
				copy(t.set[i+1:t.n], t.set[i+2:t.n])
				t.n--
				t.t[t.n], t.set[t.n] = "", byteSet{}
				break
			}
		}
	}
}

// align pairs tokens best first: every equal pair, then close pairs by
// falling Jaro-Winkler similarity, each token used once.
func align(ta, tb *tokens, closeJW float64) nameMatch {
	a, b := ta.t[:ta.n], tb.t[:tb.n]
	var agree [maxNameTokens][maxNameTokens]int8
	var sim [maxNameTokens][maxNameTokens]float64
	for i := range a {
		for j := range b {
			g, jw := agreeSets(a[i], ta.set[i], b[j], tb.set[j], closeJW)
			agree[i][j], sim[i][j] = int8(g), jw
		}
	}
	var usedA, usedB [maxNameTokens]bool
	var m nameMatch
	closePairs := 0
	for {
		bi, bj := -1, -1
		for i := range a {
			if usedA[i] {
				continue
			}
			for j := range b {
				if usedB[j] || agree[i][j] == 0 {
					continue
				}
				if bi < 0 || agree[i][j] > agree[bi][bj] ||
					(agree[i][j] == agree[bi][bj] && sim[i][j] > sim[bi][bj]) {
					bi, bj = i, j
				}
			}
		}
		if bi < 0 {
			break
		}
		usedA[bi], usedB[bj] = true, true
		m.pairs[m.n] = [2]string{a[bi], b[bj]}
		m.n++
		if agree[bi][bj] == 1 {
			closePairs++
		}
	}
	restA, restB := len(a)-m.n, len(b)-m.n
	switch {
	case m.n == 0:
		m.level = LevelFar
	case restA == 0 && restB == 0 && closePairs == 0:
		m.level = LevelExact
	case restA == 0 && restB == 0:
		m.level = LevelClose
	case restA == 0 || restB == 0:
		m.level = LevelPartial
	default:
		m.level = LevelMixed
	}
	return m
}

// compareWeak compares weak tokens: the same when one is shared, different
// when both sides have some and none is shared, else missing.
func compareWeak(a, b []string) string {
	if len(a) == 0 || len(b) == 0 {
		return LevelMissing
	}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return LevelSame
			}
		}
	}
	return LevelDifferent
}

// compareDOB compares dates of birth; a missing year makes the date missing
// because month and day alone say little. A placeholder date (see
// DOBLevels) counts as a year only. Years more than five apart are far,
// more than fifteen decades apart.
func compareDOB(a, b DOB) string {
	if a.Year == 0 || b.Year == 0 {
		return LevelMissing
	}
	known := !a.Placeholder() && !b.Placeholder()
	gap := int(a.Year) - int(b.Year)
	if gap < 0 {
		gap = -gap
	}
	switch {
	case gap == 0:
		switch {
		case !known:
			return LevelPlaceholder
		case a.Month == b.Month && a.Day == b.Day:
			return LevelExact
		case a.Month == b.Day && a.Day == b.Month:
			return LevelTransposed
		}
		return LevelSameYear
	case gap == 1:
		switch {
		case !known:
			return LevelYearOff1
		case a.Month == b.Month && a.Day == b.Day:
			return LevelYearOffDay
		}
		return LevelYearOffOther
	case gap <= 5:
		switch {
		case !known:
			return LevelYearOff2to5
		case a.Month == b.Month && a.Day == b.Day:
			return LevelYearOff2Day
		}
		return LevelYearOff2Oth
	case gap <= 15:
		return LevelFar
	}
	return LevelDecades
}

// compareEqual compares opaque values (hashes, gender codes): empty on
// either side is missing.
func compareEqual(a, b string) string {
	switch {
	case a == "" || b == "":
		return LevelMissing
	case a == b:
		return LevelSame
	}
	return LevelDifferent
}

func compareGender(a, b Gender) string {
	switch {
	case a == GenderUnknown || b == GenderUnknown:
		return LevelMissing
	case a == b:
		return LevelSame
	}
	return LevelDifferent
}

// compareNIDPlace says whether the district one record's NID names is
// where the other lives, when their addresses are in two districts (same
// districts are the location's evidence, not counted twice); missing
// otherwise, which weighs zero: a mismatch of NID and address is evidence
// for a match, never against one.
func compareNIDPlace(a, b *Record) string {
	if a.District == "" || b.District == "" || a.District == b.District {
		return LevelMissing
	}
	if (a.NIDDistrict != "" && a.NIDDistrict == b.District) || (b.NIDDistrict != "" && b.NIDDistrict == a.District) {
		return LevelSame
	}
	return LevelMissing
}

// compareLocation compares residence. Upazila names repeat across
// districts, so an upazila agrees only within an agreeing district.
func compareLocation(a, b *Record) string {
	switch {
	case a.District == "" || b.District == "":
		return LevelMissing
	case a.District != b.District:
		return LevelDifferent
	case a.Upazila != "" && a.Upazila == b.Upazila:
		return LevelSameUpazila
	}
	return LevelSameDistrict
}
