// Package backfill takes an existing registry, a file of enrolments that
// were never screened, through the rules the stream decides by, in bulk,
// and reports the duplicates already inside it. Records are decided in an
// order that is a function of their content, never of their place in the
// file, so that the duplicates found do not depend on how the file was
// sorted; the decisions go to the same index and record as the stream's,
// so that the stream screens tomorrow's events against the registry as if
// every record had come through it.
package backfill

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ekjon/ekjon/domain"
)

// Fields are the v1 enrolment fields a CSV header may name, as in the
// event (docs/events.md); record_id is the event_id.
var Fields = []string{"record_id", "programme", "beneficiary_ref", "nid", "nid_smart", "birth_reg_no",
	"name_bn", "name_en", "father_name", "mother_name", "spouse_name", "dob", "gender", "phone", "wallet",
	"division", "district", "upazila", "union", "ward", "village", "occurred_at", "source"}

// MaxRecordBytes is the longest record read; a longer line or row is a
// reject.
const MaxRecordBytes = 1 << 20

// Format is how a file holds its records.
type Format int

const (
	// JSONLines is one v1 event a line.
	JSONLines Format = iota
	// CSV is a header naming the v1 enrolment fields, then one record a
	// row.
	CSV
)

// Input is one file of a backfill, opened for reading by position.
type Input struct {
	Path   string
	Format Format
	f      *os.File
	// cols maps each CSV column to its v1 field ("" when ignored).
	cols []string
	// asOf is when a CSV row without occurred_at occurred: the day the
	// file was last written, so that the same file gives the same events
	// on every run.
	asOf string
	// source is the source of a CSV row without a source column.
	source string
	// Ignored lists the CSV headers no field or map names.
	Ignored []string
}

// Options say how CSV files are read.
type Options struct {
	// Map maps other headers to v1 fields (see ParseMap).
	Map map[string]string
	// Source is the source system of CSV rows that name none.
	Source string
	// AsOf, if set, is when CSV rows without occurred_at occurred (RFC
	// 3339); otherwise the file's modification day, UTC.
	AsOf string
}

// ParseMap reads a header map: one "their header = v1 field" a line,
// blank lines and lines starting with # ignored. Headers may be in any
// script; fields must be among Fields.
func ParseMap(r io.Reader) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndex(line, "=")
		if i < 0 {
			return nil, fmt.Errorf("map line %d: want 'header = field'", n)
		}
		h, f := normHeader(line[:i]), strings.TrimSpace(line[i+1:])
		if !isField(f) {
			return nil, fmt.Errorf("map line %d: %q is not a v1 enrolment field (%s)", n, f, strings.Join(Fields, ", "))
		}
		m[h] = f
	}
	return m, sc.Err()
}

func isField(f string) bool {
	for _, x := range Fields {
		if x == f {
			return true
		}
	}
	return false
}

// normHeader is a header as compared: trimmed, lower case, NFC is left to
// the file (a header map is written in the file's own spelling).
func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
}

// Open opens path and reads its header if it is a CSV file: a file named
// *.csv, or whose first character is not '{'. A CSV without a record_id
// column is refused: its records could not be named.
func Open(path string, o Options) (*Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	in := &Input{Path: path, f: f, source: o.Source}
	if in.source == "" {
		in.source = "backfill"
	}
	br := bufio.NewReader(f)
	first, _ := br.Peek(64)
	first = bytes.TrimLeft(bytes.TrimPrefix(first, []byte("\ufeff")), " \t\r\n")
	if strings.EqualFold(filepath.Ext(path), ".csv") || (len(first) > 0 && first[0] != '{') {
		in.Format = CSV
		if err := in.header(o); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return in, nil
}

// Close closes the file.
func (in *Input) Close() error { return in.f.Close() }

func (in *Input) header(o Options) error {
	st, err := in.f.Stat()
	if err != nil {
		return err
	}
	in.asOf = o.AsOf
	if in.asOf == "" {
		in.asOf = st.ModTime().UTC().Truncate(24 * time.Hour).Format(time.RFC3339)
	}
	r := csv.NewReader(io.NewSectionReader(in.f, 0, st.Size()))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("reading the CSV header: %w", err)
	}
	in.cols = make([]string, len(head))
	seen := map[string]bool{}
	for i, h := range head {
		n := normHeader(h)
		f := o.Map[n]
		if f == "" && isField(n) {
			f = n
		}
		if f == "" {
			in.Ignored = append(in.Ignored, strings.TrimSpace(h))
			continue
		}
		if seen[f] {
			return fmt.Errorf("two columns give %s", f)
		}
		seen[f] = true
		in.cols[i] = f
	}
	if !seen["record_id"] {
		return errors.New("no record_id column (name one with --map)")
	}
	return nil
}

// Entry is where one record lies: its file, byte offset, length and line,
// and the hash of its content that orders the backfill.
type Entry struct {
	Key  uint64
	Pos  int64 // file index << 40 | byte offset
	Len  uint32
	Line uint32
}

// File returns the index of the entry's file.
func (e Entry) File() int { return int(e.Pos >> 40) }

// Offset returns the entry's byte offset in its file.
func (e Entry) Offset() int64 { return e.Pos & (1<<40 - 1) }

// Reject is a record that could not be read, with where it lies and why.
type Reject struct {
	File     string
	Line     int
	RecordID string
	Rule     string
	Reason   string
}

// Scan reads every record of the file (index file among the backfill's)
// and calls fn with its entry, or reject with a record it cannot read. The
// key of a record is a hash of its content as an event: a CSV row's event
// is built from the row.
func (in *Input) Scan(file int, fn func(Entry), reject func(Reject)) error {
	if in.Format == CSV {
		return in.scanCSV(file, fn, reject)
	}
	br := bufio.NewReaderSize(in.f, 1<<20)
	if _, err := in.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var off int64
	line := 0
	for {
		b, err := br.ReadSlice('\n')
		n := int64(len(b))
		long := false
		for errors.Is(err, bufio.ErrBufferFull) {
			long = true
			var more []byte
			more, err = br.ReadSlice('\n')
			n += int64(len(more))
		}
		if n == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		line++
		start := off
		off += n
		if long || n > MaxRecordBytes {
			reject(Reject{File: in.Path, Line: line, Rule: domain.RuleInvalidEvent,
				Reason: fmt.Sprintf("line of %d bytes, longer than %d", n, MaxRecordBytes)})
		} else if t := bytes.TrimSpace(b); len(t) > 0 {
			fn(Entry{Key: OrderKey(t), Pos: int64(file)<<40 | start, Len: uint32(n), Line: uint32(line)})
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func (in *Input) scanCSV(file int, fn func(Entry), reject func(Reject)) error {
	st, err := in.f.Stat()
	if err != nil {
		return err
	}
	r := csv.NewReader(bufio.NewReaderSize(io.NewSectionReader(in.f, 0, st.Size()), 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return err
	}
	for {
		start := r.InputOffset()
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := r.FieldPos(0)
		end := r.InputOffset()
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return err
			}
			reject(Reject{File: in.Path, Line: pe.StartLine, Rule: domain.RuleInvalidEvent, Reason: "CSV: " + pe.Err.Error()})
			continue
		}
		if len(row) != len(in.cols) {
			reject(Reject{File: in.Path, Line: line, RecordID: in.field(row, "record_id"), Rule: domain.RuleInvalidEvent,
				Reason: fmt.Sprintf("%d fields, the header has %d", len(row), len(in.cols))})
			continue
		}
		if end-start > MaxRecordBytes {
			reject(Reject{File: in.Path, Line: line, Rule: domain.RuleInvalidEvent,
				Reason: fmt.Sprintf("row of %d bytes, longer than %d", end-start, MaxRecordBytes)})
			continue
		}
		ev := in.event(row)
		fn(Entry{Key: OrderKey(ev), Pos: int64(file)<<40 | start, Len: uint32(end - start), Line: uint32(line)})
	}
}

// field returns the row's value of a v1 field, or "".
func (in *Input) field(row []string, f string) string {
	for i, c := range in.cols {
		if c == f && i < len(row) {
			return row[i]
		}
	}
	return ""
}

// Read returns the record at e as the bytes of a v1 event: a JSON line as
// it is, a CSV row as the enrolment it describes.
func (in *Input) Read(e Entry, buf []byte) ([]byte, error) {
	if cap(buf) < int(e.Len) {
		buf = make([]byte, e.Len)
	}
	buf = buf[:e.Len]
	if _, err := in.f.ReadAt(buf, e.Offset()); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if in.Format == JSONLines {
		return bytes.TrimSpace(buf), nil
	}
	r := csv.NewReader(bytes.NewReader(buf))
	r.FieldsPerRecord = -1
	row, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s line %d: %w", in.Path, e.Line, err)
	}
	return in.event(row), nil
}

// event builds the enrolment a CSV row describes. Values that are not
// valid UTF-8 are kept as they are, for validation to reject.
func (in *Input) event(row []string) []byte {
	var e domain.Event
	var p domain.Person
	var a domain.Address
	e.Type, e.Source, e.OccurredAt = domain.TypeEnrolment, in.source, in.asOf
	for i, c := range in.cols {
		if c == "" || i >= len(row) {
			continue
		}
		v := strings.TrimSpace(row[i])
		switch c {
		case "record_id":
			e.EventID = v
		case "programme":
			e.Programme = v
		case "beneficiary_ref":
			e.BeneficiaryRef = v
		case "occurred_at":
			if v != "" {
				e.OccurredAt = v
			}
		case "source":
			if v != "" {
				e.Source = v
			}
		case "nid":
			p.NID = v
		case "nid_smart":
			p.NIDSmart = v
		case "birth_reg_no":
			p.BirthRegNo = v
		case "name_bn":
			p.NameBN = v
		case "name_en":
			p.NameEN = v
		case "father_name":
			p.FatherName = v
		case "mother_name":
			p.MotherName = v
		case "spouse_name":
			p.SpouseName = v
		case "dob":
			p.DOB = v
		case "gender":
			p.Gender = v
		case "phone":
			p.Phone = v
		case "wallet":
			p.Wallet = v
		case "division":
			a.Division = v
		case "district":
			a.District = v
		case "upazila":
			a.Upazila = v
		case "union":
			a.Union = v
		case "ward":
			a.Ward = v
		case "village":
			a.Village = v
		}
	}
	p.Address = &a
	e.Person = &p
	b, err := json.Marshal(&e)
	if err != nil || !utf8.Valid(b) {
		// Marshal replaces invalid UTF-8; the event is still decided on
		// what it says.
		return b
	}
	return b
}

// OrderKey is the key that orders a backfill: records are decided in
// increasing order of the 64-bit FNV-1a hash of their event (a JSON line
// trimmed of white space at its ends, or the event a CSV row gives), ties
// in the order of the files and lines.
func OrderKey(b []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}
