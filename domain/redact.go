package domain

import "strings"

// Redact masks every run of ten or more digits (ASCII or Bangla) in s, the
// length of an NID, a phone number or a wallet, so that an error a driver
// wrote with a value in it can be logged or shown. Shorter numbers (codes,
// counts, offsets) stay.
func Redact(s string) string {
	var b strings.Builder
	run := 0
	start := 0
	flush := func(end int) {
		if run >= 10 {
			b.WriteString("…")
		} else {
			b.WriteString(s[start:end])
		}
		run = 0
	}
	for i, r := range s {
		if asciiDigit(r) >= 0 {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(i)
		}
		b.WriteRune(r)
	}
	if run > 0 {
		flush(len(s))
	}
	return b.String()
}
