package domain

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxReasonBytes bounds the reason of a rejection, so that a decision, its
// row and its dead letter's headers stay small whatever the event held.
const MaxReasonBytes = 1024

// maxEchoBytes bounds how much of a bad value a reason repeats.
const maxEchoBytes = 40

// Rejection is what may be recorded and published of an event that failed
// decoding or validation: its rule and reason, and of its own fields only
// those that are safe to store (a known type; a source and programme that
// are printable and short). Everything else about the event is in its
// original bytes on the dead-letter topic.
type Rejection struct {
	// Rule is RuleInvalidID when the failure concerns an identity number,
	// else RuleInvalidEvent.
	Rule string
	// Reason is valid UTF-8, printable, and at most MaxReasonBytes long.
	Reason string
	// Type is the event's type if it is one of the v1 types, else "".
	Type EventType
	// Source and Programme are the event's, or "" when they are not safe
	// to store (see SafeText).
	Source, Programme string
}

// Reject returns what may be recorded of an event refused with err by
// DecodeEvent (e is nil then) or by Validate. It is the one place that
// makes a rejected event's fields safe: the processor records and
// publishes what it returns.
func Reject(e *Event, err error) Rejection {
	r := Rejection{Rule: RuleInvalidEvent, Reason: "invalid event"}
	if err != nil {
		r.Reason = safeReason(err.Error())
	}
	if IsIDError(err) {
		r.Rule = RuleInvalidID
	}
	if e == nil {
		return r
	}
	switch e.Type {
	case TypeEnrolment, TypeDistribution, TypeStatus, TypeAllocation:
		r.Type = e.Type
	}
	r.Source, r.Programme = SafeText(e.Source, maxCodeBytes), SafeText(e.Programme, maxCodeBytes)
	return r
}

// SafeText returns s if it is valid UTF-8, printable (unicode.IsPrint:
// no control, format or separator characters but the ASCII space) and at
// most max bytes; else "". It is for fields of unvalidated input that are
// worth keeping only as they are.
func SafeText(s string, max int) string {
	if len(s) > max || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return ""
		}
	}
	return s
}

// quote renders a bad value for a reason: clipped to maxEchoBytes and
// quoted with %q, so that whatever it holds comes out printable, cannot
// pass for the reason's own words, and stays short.
func quote(s string) string {
	if len(s) <= maxEchoBytes {
		return strconv.Quote(s)
	}
	cut := maxEchoBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// safeReason makes s a reason: what is not printable is escaped as %q
// would, and the whole is clipped to MaxReasonBytes.
func safeReason(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), MaxReasonBytes))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && n == 1:
			const hex = "0123456789abcdef"
			piece = `\x` + string(hex[s[i]>>4]) + string(hex[s[i]&15])
		case unicode.IsPrint(r):
			piece = s[i : i+n]
		default:
			q := strconv.QuoteRune(r)
			piece = q[1 : len(q)-1]
		}
		if b.Len()+len(piece) > MaxReasonBytes-len("…") {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		i += n
	}
	return b.String()
}
