// Package benchmarks compares ekjon with what a programme would otherwise
// build, a PostgreSQL-only screen (benchmarks/baseline), on the same
// synthetic events, as the index grows. `ekjon bench` drives it; this
// package holds the workload, the bulk preload, the measures, the accuracy
// against the ground truth and the report.
package benchmarks

import (
	"iter"
	"strconv"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
)

// Workload is one benchmark's events: a registry of Persons enrolled
// persons, loaded in bulk, then two runs of about Events events each
// (enrolments of new persons with their duplicates and frauds, and one
// monthly payment cycle of the registry's persons). Run 0 is decided as fast
// as the system can, run 1 at a fixed offered rate; each has its own events
// so that neither finds the other's decisions. The events are a pure
// function of the seed.
type Workload struct {
	Persons, Events int
	gen             *synth.Generator
	newPersons      int
}

// NewWorkload prepares the generator for persons preloaded and events per
// run. Each run's events are about half enrolments of new persons and half
// payments.
func NewWorkload(seed int64, persons, events int) (*Workload, error) {
	w := &Workload{Persons: persons, Events: events, newPersons: max(1, events*45/100)}
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.RunID = seed, "bench"+strconv.FormatInt(seed, 10)
	cfg.Persons = persons + 2*w.newPersons
	var err error
	if w.gen, err = synth.New(cfg); err != nil {
		return nil, err
	}
	return w, nil
}

// Config returns the generator's configuration.
func (w *Workload) Config() synth.Config { return w.gen.Config() }

// cluster returns the serial of a truth cluster id ("H0000042", "G…").
func cluster(id string) int {
	if len(id) < 2 {
		return -1
	}
	n, err := strconv.Atoi(id[1:])
	if err != nil {
		return -1
	}
	return n
}

// PreloadEnrolments yields the registry's enrolments: those of the first
// Persons persons, with the duplicates that arrived before the first new
// person, each with its ground truth, which stands for the decision already
// on record.
func (w *Workload) PreloadEnrolments() iter.Seq[synth.Record] {
	return func(yield func(synth.Record) bool) {
		for r := range w.gen.Enrolments() {
			if cluster(r.Truth.PersonID) >= w.Persons || !yield(r) {
				return
			}
		}
	}
}

// PreloadStatuses yields the status changes of the registry's persons.
func (w *Workload) PreloadStatuses() iter.Seq[synth.Record] {
	return func(yield func(synth.Record) bool) {
		for r := range w.gen.Statuses() {
			if cluster(r.Truth.PersonID) < w.Persons && !yield(r) {
				return
			}
		}
	}
}

// Run returns the events of run k (0 or 1): the enrolments of the run's new
// persons, in the order offices send them, then payments of the registry's
// persons for cycle k until the run holds Events events.
func (w *Workload) Run(k int) []synth.Record {
	lo, hi := w.Persons+k*w.newPersons, w.Persons+(k+1)*w.newPersons
	out := make([]synth.Record, 0, w.Events)
	started := false
	for r := range w.gen.Enrolments() {
		c := cluster(r.Truth.PersonID)
		if !started && c >= lo {
			started = true
		}
		if !started {
			continue
		}
		if k == 0 && c >= hi {
			break
		}
		out = append(out, r)
	}
	cycle := w.gen.Config().Cycles[k]
	for r := range w.gen.Payments(cycle) {
		if len(out) >= w.Events {
			break
		}
		if r.Truth.PersonID != "" && r.Truth.PersonID[0] == 'H' && cluster(r.Truth.PersonID) >= w.Persons {
			continue // paid for a person enrolled in a run: not in the registry when paid
		}
		out = append(out, r)
	}
	return out
}

// Truths maps event ids to their expected rules.
func Truths(runs ...[]synth.Record) map[string]synth.Truth {
	m := map[string]synth.Truth{}
	for _, run := range runs {
		for _, r := range run {
			m[r.EventID] = r.Truth
		}
	}
	return m
}

// Decoded is a preload record decoded and validated as the pipeline would.
type Decoded struct {
	Record synth.Record
	// Event is nil for a malformed record.
	Event *domain.Event
	// Err is the reason a malformed record is rejected.
	Err error
}

// Decode decodes and validates a record's bytes under policy.
func Decode(r synth.Record, policy domain.Policy) Decoded {
	e, err := domain.DecodeEvent(r.Value, 1<<20)
	if err == nil {
		err = domain.Validate(e, policy)
	}
	if err != nil {
		return Decoded{Record: r, Err: err}
	}
	return Decoded{Record: r, Event: e}
}
