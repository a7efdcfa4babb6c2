package benchmarks

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// ScanResult is the scan benchmark at one registry size: the scan API and
// card_qr distributions from Kafka, at one offered rate, on the same
// card holders.
type ScanResult struct {
	// Persons is the registry's size, Cards the cards the load issued,
	// Distributors the scanners.
	Persons, Cards, Distributors int
	Paths                        []ScanPath
}

// ScanPath is one path's measure.
type ScanPath struct {
	Name              string
	Offered, Achieved float64 // scans a second
	Latency           Quantiles
	// Outcomes counts the decisions by action and rules ("ADMIT",
	// "BLOCK DOUBLE_PAYMENT", ...); Expected what the mix asked for;
	// Unexpected the scans decided otherwise than their kind expects.
	Outcomes, Expected map[string]int
	Unexpected         int
	// Failed counts the scans answered with an HTTP error or not at all
	// (a transport error or a timeout), left out of the latencies.
	Failed int
	// Load is /proc/loadavg's first three fields at the start and the end.
	LoadBefore, LoadAfter string
}

// LoadAverage returns the 1, 5 and 15 minute load averages, as uptime
// prints them.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], ", ")
}

func outcomeList(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// WriteMarkdown writes the side-by-side table.
func (r *ScanResult) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "\n### Scans at P = %d persons (%d cards, %d distributors)\n\n", r.Persons, r.Cards, r.Distributors)
	fmt.Fprintln(w, "| path | offered/s | achieved/s | scans | p50 ms | p95 ms | p99 ms | max ms | decisions | unexpected | failed | load before → after |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
	for _, p := range r.Paths {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %d | %.1f | %.1f | %.1f | %.1f | %s | %d | %d | %s → %s |\n", p.Name, p.Offered, p.Achieved,
			p.Latency.N, p.Latency.P50, p.Latency.P95, p.Latency.P99, p.Latency.Max, outcomeList(p.Outcomes), p.Unexpected,
			p.Failed, p.LoadBefore, p.LoadAfter)
	}
}
