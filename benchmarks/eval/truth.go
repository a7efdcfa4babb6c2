package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"iter"

	"github.com/ekjon/ekjon/domain"
)

// Label is the kind of variation or hard negative an event is: the truth
// file's "pattern" column.
type Label string

// The labels the report knows (see the package documentation). They are
// the names `ekjon gen` writes.
const (
	LabelClean          Label = "clean"
	LabelFuzzyDup       Label = "fuzzy_dup"
	LabelSharedPhone    Label = "shared_phone"
	LabelDupNID         Label = "dup_nid"
	LabelMultiProgramme Label = "multi_programme"
	LabelMalformed      Label = "malformed"
)

// Truth is one line of a truth file: what the evaluation needs to know of
// one event.
type Truth struct {
	EventID string `json:"event_id"`
	// PersonID names the true person; every record of one human carries
	// the same id.
	PersonID string `json:"person_id"`
	Label    Label  `json:"pattern"`
}

// ReadTruth reads a truth file, one Truth per line, skipping empty lines.
// It stops at the first error: a line that does not decode, or lacks its
// event_id or person_id, is reported with its line number as an error of
// kind domain.KindInvalid.
func ReadTruth(r io.Reader) iter.Seq2[Truth, error] {
	return func(yield func(Truth, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
		line := 0
		for sc.Scan() {
			line++
			if len(sc.Bytes()) == 0 {
				continue
			}
			var t Truth
			err := json.Unmarshal(sc.Bytes(), &t)
			switch {
			case err != nil:
				err = domain.Errorf(domain.KindInvalid, "truth", "line %d: %w", line, err)
			case t.EventID == "" || t.PersonID == "":
				err = domain.Errorf(domain.KindInvalid, "truth", "line %d: event_id and person_id are required", line)
			}
			if err != nil {
				yield(Truth{}, err)
				return
			}
			if !yield(t, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Truth{}, fmt.Errorf("read truth: %w", err))
		}
	}
}
