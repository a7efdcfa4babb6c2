package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"iter"
)

// Mixed streams about n events as one demo feed: all enrolments, then all
// statuses, then payments cycle after cycle (the configured cycles, then the
// months after them) until n events have been yielded, so that every payment
// follows the enrolment it pays. Record.Phase tells a caller where each
// phase ends. When n is too small to reach a payment cycle with the
// configured population, a smaller population (same seed and rates) is
// used, so that a short demo still shows every phase.
func (g *Generator) Mixed(n int) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		gen := g
		// Each person gives about 1.1 enrolments, 0.05 statuses and one
		// payment per cycle.
		if need := n * 10 / 22; need < g.cfg.Persons && need > 0 {
			cfg := g.cfg
			cfg.Persons = need
			var err error
			if gen, err = New(cfg); err != nil {
				return
			}
		}
		count := 0
		send := func(seq iter.Seq[Record]) bool {
			for r := range seq {
				if count >= n || !yield(r) {
					return false
				}
				count++
			}
			return count < n
		}
		if !send(gen.Enrolments()) || !send(gen.Statuses()) {
			return
		}
		for k := 0; count < n; k++ {
			if !send(gen.Payments(gen.cycleName(k))) {
				return
			}
		}
	}
}

// cycleName returns the k-th payment cycle: a configured one, or the month
// k months after the first.
func (g *Generator) cycleName(k int) string {
	if k < len(g.cfg.Cycles) {
		return g.cfg.Cycles[k]
	}
	return g.t0.AddDate(0, k, 0).Format("2006-01")
}

// WriteJSONL writes each record's event on one line of w and its truth on
// one line of truth (nil to skip the truth). Malformed events never contain
// a newline, so line k of w always matches line k of truth. The two are the
// labelled format benchmarks/eval reads: Truth's event_id, person_id and
// pattern are its columns. It stops at the first write error.
func WriteJSONL(w io.Writer, truth io.Writer, seq iter.Seq[Record]) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var tw *bufio.Writer
	var enc *json.Encoder
	if truth != nil {
		tw = bufio.NewWriterSize(truth, 1<<16)
		enc = json.NewEncoder(tw)
		enc.SetEscapeHTML(false)
	}
	for r := range seq {
		if _, err := bw.Write(r.Value); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		if enc != nil {
			if err := enc.Encode(r.Truth); err != nil {
				return fmt.Errorf("write truth: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write truth: %w", err)
		}
	}
	return nil
}
