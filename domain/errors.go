package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error at the boundary where it arises so that callers
// decide what to do by kind, not by driver error text.
type Kind uint8

// The error kinds.
const (
	KindInternal  Kind = iota // a bug or an unexpected state
	KindInvalid               // bad input: never retried, dead-lettered
	KindTransient             // a dependency hiccup: retried with backoff
	KindConflict              // a duplicate or a lost race
	KindNotFound              // no such thing
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindTransient:
		return "transient"
	case KindConflict:
		return "conflict"
	case KindNotFound:
		return "not found"
	default:
		return "internal"
	}
}

// FieldError says which field of an input is wrong and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (f FieldError) String() string {
	if f.Field == "" { // about the event as a whole
		return f.Reason
	}
	return f.Field + ": " + f.Reason
}

// Error is ekjon's error: a kind, the operation and the cause.
type Error struct {
	Kind   Kind
	Op     string
	Err    error
	Fields []FieldError
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if len(e.Fields) > 0 {
		for i, f := range e.Fields {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f.String())
		}
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrIndexRebuilt says a batch was decided against a matching index that
// a rebuild has since replaced: its decisions must be made again. The
// record refuses such a batch with it (wrapped, of KindTransient).
var ErrIndexRebuilt = errors.New("the matching index was rebuilt after this batch was decided; deciding it again")

// Errorf builds an Error of kind k.
func Errorf(k Kind, op, format string, args ...any) error {
	return &Error{Kind: k, Op: op, Err: fmt.Errorf(format, args...)}
}

// Wrap classifies err as kind k; a nil err stays nil.
func Wrap(k Kind, op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Op: op, Err: err}
}

// KindOf returns the kind of the outermost *Error in err's chain, or
// KindInternal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// FieldsOf returns the field-level reasons carried by err, if any.
func FieldsOf(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
