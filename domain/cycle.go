package domain

import (
	"fmt"
	"strings"
	"unicode"
)

// CycleKind says how a programme names its payment cycles.
type CycleKind string

// The cycle kinds.
const (
	// CycleMonthly cycles are months, written YYYY-MM.
	CycleMonthly CycleKind = "monthly"
	// CycleQuarterly cycles are quarters, written YYYY-Qn.
	CycleQuarterly CycleKind = "quarterly"
	// CycleOneOff cycles are ids a source gives a one-off hand-out, such as
	// eid-2026 or flood.sylhet.2026.
	CycleOneOff CycleKind = "one-off"
)

func (k CycleKind) known() bool {
	return k == CycleMonthly || k == CycleQuarterly || k == CycleOneOff
}

// The years a monthly or quarterly cycle may name.
const (
	minCycleYear = 2000
	maxCycleYear = 2100
)

// maxOneOffBytes bounds a one-off cycle id.
const maxOneOffBytes = 40

// NormalizeCycle returns cycle s of kind kind in its one canonical
// spelling, so that one payment cycle is one key to the index's claim and
// to the record's unique index, however a source wrote it. Surrounding
// spaces go and Bangla digits count as digits. A monthly cycle becomes
// YYYY-MM from 2026-11, 2026-1, 2026/11, 2026.11, 11/2026, 11-2026,
// Nov 2026, November 2026 or 2026 Nov; a quarterly one YYYY-Qn from
// 2026-Q4, 2026Q4, 2026-q4 or Q4 2026; years run from 2000 to 2100. A
// one-off cycle is an id of 1 to 40 of a-z, 0-9, '.', '_' and '-',
// lower-cased. Anything else is an error of KindInvalid on the field
// cycle.
func NormalizeCycle(kind CycleKind, s string) (string, error) {
	t := strings.ToLower(foldDigits(strings.TrimSpace(s)))
	var (
		out string
		ok  bool
	)
	switch kind {
	case CycleMonthly:
		out, ok = monthlyCycle(t)
	case CycleQuarterly:
		out, ok = quarterlyCycle(t)
	case CycleOneOff:
		out, ok = oneOffCycle(t)
	default:
		return "", invalid("normalize cycle", FieldError{"cycle", fmt.Sprintf("the programme's cycle kind %s is unknown", quote(string(kind)))})
	}
	if ok {
		return out, nil
	}
	reason := "is required"
	if t != "" {
		reason = fmt.Sprintf("%s is not a %s cycle; want %s", quote(s), kind, kind.example())
	}
	return "", invalid("normalize cycle", FieldError{"cycle", reason})
}

func (k CycleKind) example() string {
	switch k {
	case CycleMonthly:
		return "a month such as 2026-11"
	case CycleQuarterly:
		return "a quarter such as 2026-Q4"
	}
	return "an id of a-z, 0-9, '.', '_' and '-', at most 40 long"
}

// foldDigits makes Bangla digits ASCII.
func foldDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= '০' && r <= '৯' }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if d := asciiDigit(r); d >= 0 {
			return rune('0' + d)
		}
		return r
	}, s)
}

// cycleParts splits a lower-cased cycle at its separators.
func cycleParts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '-' || r == '/' || r == '.' || r == ',' || unicode.IsSpace(r)
	})
}

func monthlyCycle(s string) (string, bool) {
	p := cycleParts(s)
	if len(p) != 2 {
		return "", false
	}
	y, m := p[0], p[1]
	if cycleYear(y) == 0 {
		y, m = m, y
	}
	year, month := cycleYear(y), monthOf(m)
	if year == 0 || month == 0 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d", year, month), true
}

func quarterlyCycle(s string) (string, bool) {
	p := cycleParts(s)
	if len(p) == 1 {
		// 2026q4, written without a separator.
		if i := strings.IndexByte(p[0], 'q'); i > 0 {
			p = []string{p[0][:i], p[0][i:]}
		}
	}
	if len(p) != 2 {
		return "", false
	}
	y, q := p[0], p[1]
	if cycleYear(y) == 0 {
		y, q = q, y
	}
	year := cycleYear(y)
	if year == 0 || len(q) != 2 || q[0] != 'q' || q[1] < '1' || q[1] > '4' {
		return "", false
	}
	return fmt.Sprintf("%04d-Q%c", year, q[1]), true
}

func oneOffCycle(s string) (string, bool) {
	if s == "" || len(s) > maxOneOffBytes {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "", false
		}
	}
	return s, true
}

// cycleYear returns the year of four ASCII digits within the cycles'
// years, or 0.
func cycleYear(s string) int {
	n, ok := smallNumber(s, 4)
	if !ok || len(s) != 4 || n < minCycleYear || n > maxCycleYear {
		return 0
	}
	return n
}

// monthOf returns the month named by 1 or 2 digits or by its English name
// or abbreviation, or 0.
func monthOf(s string) int {
	if n, ok := smallNumber(s, 2); ok {
		if n >= 1 && n <= 12 {
			return n
		}
		return 0
	}
	switch s {
	case "jan", "january":
		return 1
	case "feb", "february":
		return 2
	case "mar", "march":
		return 3
	case "apr", "april":
		return 4
	case "may":
		return 5
	case "jun", "june":
		return 6
	case "jul", "july":
		return 7
	case "aug", "august":
		return 8
	case "sep", "sept", "september":
		return 9
	case "oct", "october":
		return 10
	case "nov", "november":
		return 11
	case "dec", "december":
		return 12
	}
	return 0
}

// smallNumber parses 1 to max ASCII digits.
func smallNumber(s string, max int) (int, bool) {
	if s == "" || len(s) > max {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
