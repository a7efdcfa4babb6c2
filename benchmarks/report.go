package benchmarks

import (
	"github.com/ekjon/ekjon/benchmarks/eval"

	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// SystemResult is one system's measures at one registry size.
type SystemResult struct {
	System string
	// Ran is false for a system the run left out (the baseline at sizes
	// above --baseline-up-to); its measures are not reported.
	Ran         bool
	LoadSeconds float64
	// Max is the run decided as fast as the system can (events produced to
	// Kafka first); Fixed the run at a fixed offered rate.
	MaxEvents                   int
	MaxRate                     float64
	MaxLatency                  Quantiles
	FixedOffered                float64
	FixedRate                   float64
	FixedLatency                Quantiles
	CPU                         CPU // over the max run
	CPUEvents                   int
	RedisPerPerson, PGPerPerson float64
	Accuracy                    Accuracy
	// Pairs is the pair-level count of the fuzzy rules over the registry
	// and both runs' enrolments (ekjon only: the baseline's record keeps
	// no matched person).
	Pairs *eval.PairReport
}

// CPUPer1000 is CPU seconds per 1,000 events decided in the max run.
func (s SystemResult) CPUPer1000() (total, process, redis, postgres float64) {
	if s.CPUEvents == 0 {
		return
	}
	k := float64(s.CPUEvents) / 1000
	return s.CPU.Total().Seconds() / k, s.CPU.Process.Seconds() / k, s.CPU.Redis.Seconds() / k, s.CPU.Postgres.Seconds() / k
}

// SizeResult is both systems at one registry size.
type SizeResult struct {
	Persons         int
	Ekjon, Baseline SystemResult
	// Payday is the payment cycle and enrolment drive after the runs, if
	// they ran.
	Payday *PaydayResult
	// Scans is the scan benchmark (ekjon bench --scans), which runs alone.
	Scans *ScanResult
}

// Report is one `ekjon bench` run.
type Report struct {
	Machine, Date, Commit, Command string
	Events                         int
	Sizes                          []SizeResult
	Notes                          []string
}

// WriteMarkdown writes the run's tables.
func (r *Report) WriteMarkdown(w io.Writer) {
	r.WriteHeader(w)
	for _, s := range r.Sizes {
		s.WriteMarkdown(w)
	}
	r.WriteNotes(w)
}

// WriteHeader writes the run's heading: machine, date, commit, command.
func (r *Report) WriteHeader(w io.Writer) {
	fmt.Fprintf(w, "### Run of %s\n\n", r.Date)
	fmt.Fprintf(w, "- machine: %s\n- commit: `%s`\n- command: `%s`\n", r.Machine, r.Commit, r.Command)
	if r.Events > 0 {
		fmt.Fprintf(w, "- events per run: %d (run 1 at max, run 2 at half the max)\n", r.Events)
	}
	fmt.Fprintln(w)
}

// WriteNotes writes the notes that end the run's tables.
func (r *Report) WriteNotes(w io.Writer) {
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	fmt.Fprintln(w)
}

// WriteMarkdown writes the tables of one registry size.
func (s SizeResult) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "#### P = %s persons\n\n", thousands(s.Persons))
	fmt.Fprintf(w, "| measure | ekjon | baseline (PostgreSQL only) | ekjon / baseline |\n|---|---:|---:|---:|\n")
	e, b := s.Ekjon, s.Baseline
	row := func(name, format string, ev, bv float64, better string) {
		_ = better
		if !b.Ran {
			fmt.Fprintf(w, "| %s | "+format+" | not run | |\n", name, ev)
			return
		}
		ratio := ""
		if bv != 0 && !math.IsNaN(ev) && !math.IsNaN(bv) {
			ratio = fmt.Sprintf("%.2f×", ev/bv)
		}
		fmt.Fprintf(w, "| %s | "+format+" | "+format+" | %s |\n", name, ev, bv, ratio)
	}
	row("registry bulk load (s)", "%.1f", e.LoadSeconds, b.LoadSeconds, "")
	row("sustained events/s (max run)", "%.0f", e.MaxRate, b.MaxRate, "")
	row("latency p50 at max (ms)", "%.0f", e.MaxLatency.P50, b.MaxLatency.P50, "")
	row("latency p99 at max (ms)", "%.0f", e.MaxLatency.P99, b.MaxLatency.P99, "")
	row("offered rate, run 2 (events/s)", "%.0f", e.FixedOffered, b.FixedOffered, "")
	row("achieved rate, run 2 (events/s)", "%.0f", e.FixedRate, b.FixedRate, "")
	row("latency p50 at half max (ms)", "%.1f", e.FixedLatency.P50, b.FixedLatency.P50, "")
	row("latency p95 at half max (ms)", "%.1f", e.FixedLatency.P95, b.FixedLatency.P95, "")
	row("latency p99 at half max (ms)", "%.1f", e.FixedLatency.P99, b.FixedLatency.P99, "")
	et, ep, er, eg := e.CPUPer1000()
	bt, bp, br, bg := b.CPUPer1000()
	row("CPU s per 1,000 events (all)", "%.3f", et, bt, "")
	row("… of which this process", "%.3f", ep, bp, "")
	row("… of which Redis", "%.3f", er, br, "")
	row("… of which PostgreSQL", "%.3f", eg, bg, "")
	row("Redis bytes per indexed person", "%.0f", e.RedisPerPerson, b.RedisPerPerson, "")
	row("PostgreSQL bytes per person", "%.0f", e.PGPerPerson, b.PGPerPerson, "")
	row("precision (all rules)", "%.4f", e.Accuracy.Overall.Precision(), b.Accuracy.Overall.Precision(), "")
	row("recall (all rules)", "%.4f", e.Accuracy.Overall.Recall(), b.Accuracy.Overall.Recall(), "")
	row("F1 (all rules)", "%.4f", e.Accuracy.Overall.F1(), b.Accuracy.Overall.F1(), "")
	row("expected action", "%.4f", ratio(e.Accuracy.ActionsCorrect, e.Accuracy.Events), ratio(b.Accuracy.ActionsCorrect, b.Accuracy.Events), "")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| rule | ekjon TP / FP / FN | ekjon P / R | baseline TP / FP / FN | baseline P / R |\n|---|---:|---:|---:|---:|\n")
	var rules []string
	for k := range e.Accuracy.Rules {
		rules = append(rules, k)
	}
	for k := range b.Accuracy.Rules {
		if !slices.Contains(rules, k) {
			rules = append(rules, k)
		}
	}
	slices.Sort(rules)
	for _, k := range rules {
		ec, bc := counts(e.Accuracy.Rules[k]), counts(b.Accuracy.Rules[k])
		base := fmt.Sprintf("%d / %d / %d | %.3f / %.3f", bc.TP, bc.FP, bc.FN, bc.Precision(), bc.Recall())
		if !b.Ran {
			base = "not run | not run"
		}
		fmt.Fprintf(w, "| %s | %d / %d / %d | %.3f / %.3f | %s |\n", k,
			ec.TP, ec.FP, ec.FN, ec.Precision(), ec.Recall(), base)
	}
	fmt.Fprintln(w)
	if p := e.Pairs; p != nil {
		fmt.Fprintf(w, "Pair-level (ekjon; a re-enrolment is found when either enrolment is flagged against the other):\n\n")
		fmt.Fprintf(w, "| measure | ekjon |\n|---|---:|\n")
		fmt.Fprintf(w, "| re-enrolments due | %d |\n| found (held or alerted) | %d (recall %.4f) |\n| held | %d (recall %.4f) |\n",
			p.Due, p.Found, p.Recall(), p.Held, p.HoldRecall())
		fmt.Fprintf(w, "| FUZZY_PERSON precision | %.4f (%d of %d) |\n| POSSIBLE_PERSON precision | %.4f (%d of %d) |\n",
			p.HoldPrecision(), p.HoldsTrue, p.Holds, p.AlertPrecision(), p.AlertsTrue, p.Alerts)
		fmt.Fprintf(w, "| pairs held both ways (each against the other) | %d (%d of two true persons) |\n\n", p.BothHeld, p.BothHeldWrong)
		fmt.Fprintf(w, "| kind | due | found | held | recall | held |\n|---|---:|---:|---:|---:|---:|\n")
		for _, k := range p.ByKind {
			fmt.Fprintf(w, "| %s | %d | %d | %d | %.4f | %.4f |\n", k.Kind, k.Due, k.Found, k.Held,
				float64(k.Found)/float64(max(k.Due, 1)), float64(k.Held)/float64(max(k.Due, 1)))
		}
		fmt.Fprintln(w)
	}
}

func counts(c *Counts) Counts {
	if c == nil {
		return Counts{}
	}
	return *c
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Panels returns the scale chart: sustained throughput and p99 latency at
// the fixed rate, against registry size.
func (r *Report) Panels() []Panel {
	var x, et, bt, el, bl []float64
	for _, s := range r.Sizes {
		x = append(x, float64(s.Persons))
		brate, bp99 := s.Baseline.MaxRate, s.Baseline.FixedLatency.P99
		if !s.Baseline.Ran {
			brate, bp99 = math.NaN(), math.NaN() // no point, no line through it
		}
		et, bt = append(et, s.Ekjon.MaxRate), append(bt, brate)
		el, bl = append(el, s.Ekjon.FixedLatency.P99), append(bl, bp99)
	}
	return []Panel{
		{Title: "EVENTS/s VS PERSONS", X: x, Lines: []Series{{ekjonColor, et}, {baselineColor, bt}}, YUnit: "/s"},
		{Title: "P99 ms AT HALF MAX VS PERSONS", X: x, Lines: []Series{{ekjonColor, el}, {baselineColor, bl}}, YUnit: "ms"},
	}
}
