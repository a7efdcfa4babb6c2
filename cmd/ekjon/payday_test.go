package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchPayday runs the payday alone on a small registry, with the
// broker in a process of its own, and checks its table: each phase
// decided every event it produced, at a rate, and the record grew by one
// decision and one key per event, and by one payment per payment.
func TestBenchPayday(t *testing.T) {
	md := runBench(t, "payday", true,
		"--persons", "1000", "--payday-only", "--drive", "300", "--events", "200", "--consumers", "2", "--partitions", "2",
		"--batch-size", "100")
	if strings.Contains(md, "#### P = ") {
		t.Errorf("--payday-only wrote the runs' table:\n%s", md)
	}
	_, table, ok := strings.Cut(md, "#### Payday at P = 1,000 persons")
	if !ok {
		t.Fatalf("no payday table:\n%s", md)
	}
	cells := func(name string) []float64 {
		m := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(name) + ` \|(.*)\|$`).FindStringSubmatch(table)
		if m == nil {
			t.Fatalf("no row %q:\n%s", name, table)
		}
		var out []float64
		for _, c := range strings.Split(m[1], "|") {
			c = strings.TrimSpace(c)
			if r, _, ok := strings.Cut(c, " / "); ok {
				c = r
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatalf("row %q: %q", name, c)
			}
			out = append(out, v)
		}
		return out
	}
	events, rate := cells("events"), cells("events/s (sustained)")
	if len(events) != 3 || events[0] < 900 || events[1] < 300 || events[2] < 1 {
		t.Fatalf("events %v, want a payment of most of 1,000 persons, 300 enrolments and their status changes", events)
	}
	for i, r := range rate {
		if r <= 0 {
			t.Errorf("phase %d decided at %v events/s", i, r)
		}
	}
	for _, table := range []string{"decisions", "decision_keys"} {
		for i, n := range cells(table) {
			if n < 0.99 || n > 1.01 {
				t.Errorf("%s: %.3f rows per event in phase %d, want 1", table, n, i)
			}
		}
	}
	if p := cells("payments"); p[0] < 0.99 || p[1] != 0 {
		t.Errorf("payments: %v rows per event, want 1 in the payment cycle and none in the drive", p)
	}
	// The broker's CPU is read apart; at a thousand events it may round
	// to nothing, but it must be there for every phase.
	if b := cells("… broker (apart)"); len(b) != 3 {
		t.Errorf("broker CPU %v, want one per phase", b)
	}
}

func TestPhaseFileNamesEachPhasesProfile(t *testing.T) {
	for _, c := range []struct{ path, phase, want string }{
		{"/tmp/p.pprof", "enrolment drive", "/tmp/p-enrolment-drive.pprof"},
		{"prof", "payment cycle", "prof-payment-cycle"},
		{"", "payment cycle", ""},
	} {
		if got := phaseFile(c.path, c.phase); got != c.want {
			t.Errorf("phaseFile(%q, %q) = %q, want %q", c.path, c.phase, got, c.want)
		}
	}
}
