package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DecodeEvent parses one v1 event. Any error is of KindInvalid and carries
// field-level reasons. It does not validate the event's content; see
// Validate.
func DecodeEvent(b []byte, maxBytes int) (*Event, error) {
	const op = "decode event"
	if maxBytes > 0 && len(b) > maxBytes {
		return nil, invalid(op, FieldError{"", fmt.Sprintf("event is %d bytes; the limit is %d", len(b), maxBytes)})
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, invalid(op, FieldError{"", "event is empty"})
	}
	if !utf8.Valid(b) {
		return nil, invalid(op, FieldError{"", fmt.Sprintf("event is not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(b))})
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, invalid(op, jsonFieldError(err))
	}
	return &e, nil
}

// PeekEventID returns the event_id of a message that may not decode as a
// whole, so that a rejection can still name the event; "" if there is none.
func PeekEventID(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	var probe struct {
		EventID json.RawMessage `json:"event_id"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return ""
	}
	var id string
	if json.Unmarshal(probe.EventID, &id) != nil || textReason(id, maxIDBytes) != "" || validEventID(id) != "" {
		return ""
	}
	return id
}

func invalid(op string, fields ...FieldError) error {
	return &Error{Kind: KindInvalid, Op: op, Fields: fields}
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// jsonFieldError names the field a JSON error is about. It never repeats
// the input beyond a quoted character: a number too large for its field
// may have thousands of digits.
func jsonFieldError(err error) FieldError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		want := jsonKind(te.Type.Kind().String())
		got, _, _ := strings.Cut(te.Value, " ")
		if want == "number" && got == "number" {
			return FieldError{te.Field, "is a number out of range"}
		}
		return FieldError{te.Field, fmt.Sprintf("must be a %s, got a JSON %s", want, got)}
	case errors.As(err, &se):
		return FieldError{"", fmt.Sprintf("not JSON: %v (at byte %d)", se, se.Offset)}
	}
	return FieldError{"", "not a JSON object: " + safeReason(err.Error())}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "float64", "int", "int64":
		return "number"
	case "ptr", "struct":
		return "object"
	}
	return goKind
}
