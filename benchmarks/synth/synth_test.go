package synth

import (
	"bytes"
	"encoding/json"
	"iter"
	"regexp"
	"slices"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

func mustNew(tb testing.TB, persons int) *Generator {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Persons = persons
	g, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func collect(seq iter.Seq[Record]) []Record {
	var out []Record
	for r := range seq {
		out = append(out, r)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  func(*Generator) iter.Seq[Record]
	}{
		{"enrolments", (*Generator).Enrolments},
		{"statuses", (*Generator).Statuses},
		{"payments", func(g *Generator) iter.Seq[Record] { return g.Payments("2026-12") }},
		{"mixed", func(g *Generator) iter.Seq[Record] { return g.Mixed(5000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b, ta, tb bytes.Buffer
			if err := WriteJSONL(&a, &ta, tc.seq(mustNew(t, 2000))); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSONL(&b, &tb, tc.seq(mustNew(t, 2000))); err != nil {
				t.Fatal(err)
			}
			if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) || !bytes.Equal(ta.Bytes(), tb.Bytes()) {
				t.Fatalf("two runs with the same seed differ (or are empty: %d bytes)", a.Len())
			}
			if bytes.Count(a.Bytes(), []byte("\n")) != bytes.Count(ta.Bytes(), []byte("\n")) {
				t.Fatal("events and truth have different line counts")
			}
		})
	}
}

func TestEventsValidate(t *testing.T) {
	g := mustNew(t, 3000)
	pol := domain.DefaultPolicy()
	ids := map[string]bool{}
	var valid, malformed int
	for r := range g.Mixed(12000) {
		if ids[r.EventID] {
			t.Fatalf("event id %s repeated", r.EventID)
		}
		ids[r.EventID] = true
		if bytes.ContainsAny(r.Value, "\n\r") {
			t.Fatalf("%s: event spans lines", r.EventID)
		}
		e, err := domain.DecodeEvent(r.Value, 1<<16)
		if err == nil {
			err = domain.Validate(e, pol)
		}
		if r.Truth.Pattern == PatternMalformed {
			malformed++
			if err == nil {
				t.Errorf("%s: malformed event passed: %s", r.EventID, r.Value)
			}
			if wantID := slices.Contains(r.Truth.Rules, domain.RuleInvalidID); wantID != domain.IsIDError(err) {
				t.Errorf("%s: rules %v but IsIDError=%v: %v", r.EventID, r.Truth.Rules, !wantID, err)
			}
			continue
		}
		valid++
		if err != nil {
			t.Fatalf("%s: %v\n%s", r.EventID, err, r.Value)
		}
		if e.EventID != r.EventID || e.Type != r.Type {
			t.Fatalf("%s: record says %s/%s", e.EventID, r.EventID, r.Type)
		}
		if want := domain.NIDCore(e.IdentityNID()); want != "" && string(r.Key) != want {
			t.Fatalf("%s: key %q, want the normalised NID's core", r.EventID, r.Key)
		}
		if out, _ := json.Marshal(e); e.Person != nil && !bytes.Contains(out, []byte(`"person":{"nid":`)) {
			t.Fatalf("%s: not the v1 shape", r.EventID)
		}
	}
	if valid == 0 || malformed == 0 {
		t.Fatalf("valid %d, malformed %d: want both", valid, malformed)
	}
}

func TestRates(t *testing.T) {
	const persons = 20000
	g := mustNew(t, persons)
	cfg := g.Config()
	count := map[Pattern]int{}
	var enrol, pay int
	for r := range g.Enrolments() {
		count[r.Truth.Pattern]++
		enrol++
	}
	for r := range g.Statuses() {
		count["status:"+Pattern(r.Truth.PersonID[:1])]++
	}
	payCount := map[Pattern]int{}
	for r := range g.Payments(cfg.Cycles[0]) {
		payCount[r.Truth.Pattern]++
		pay++
	}
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"dup_nid", float64(count[PatternDupNID]) / persons, cfg.DupNIDRate},
		{"multi_programme", float64(count[PatternMultiProgramme]) / persons, cfg.MultiProgrammeRate * 0.9},
		{"fuzzy_dup", float64(count[PatternFuzzyDup]) / persons, cfg.FuzzyDupRate},
		{"malformed", float64(count[PatternMalformed]) / float64(enrol), cfg.MalformedRate},
		{"double_payment", float64(payCount[PatternDoublePayment]) / float64(pay), cfg.DoublePaymentRate},
		{"unknown_payee", float64(payCount[PatternUnknownPayee]) / persons, cfg.UnknownPayeeRate},
		{"deceased_paid", float64(payCount[PatternDeceasedPaid]) / persons, cfg.DeceasedPaidRate},
		{"shared_phone", float64(count[PatternSharedPhone]) / persons, cfg.BenignSharedPhoneRate + cfg.FraudSharedPhoneRate},
		{"statuses", float64(count["status:H"]) / persons, cfg.DeathRate + cfg.ExitRate + cfg.DeceasedPaidRate + 2*cfg.SuspensionRate + cfg.WalletChangeRate + cfg.WalletTakeoverRate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got < tc.want*0.7 || tc.got > tc.want*1.35 {
				t.Errorf("rate %.4f, want about %.4f", tc.got, tc.want)
			}
		})
	}
}

func TestFuzzyDupsAreVariants(t *testing.T) {
	g := mustNew(t, 5000)
	first := map[string]*domain.Person{}
	n := 0
	for r := range g.Enrolments() {
		if r.Truth.Pattern == PatternMalformed {
			continue
		}
		var e domain.Event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if r.Truth.Pattern != PatternFuzzyDup {
			if first[r.Truth.PersonID] == nil {
				first[r.Truth.PersonID] = e.Person
			}
			continue
		}
		n++
		orig := first[r.Truth.PersonID]
		if orig == nil {
			t.Fatalf("%s: fuzzy duplicate before its original", r.EventID)
		}
		if orig.NameBN == e.Person.NameBN && orig.NameEN == e.Person.NameEN {
			t.Errorf("%s: same names as the original", r.EventID)
		}
		a, _ := domain.NormalizeNID(orig.NID)
		if b, _ := domain.NormalizeNID(e.Person.NID); a == b {
			t.Errorf("%s: same NID as the original", r.EventID)
		}
	}
	if n < 30 {
		t.Fatalf("only %d fuzzy duplicates", n)
	}
}

func TestTruthHoldsNoIdentifiers(t *testing.T) {
	var ev, tr bytes.Buffer
	if err := WriteJSONL(&ev, &tr, mustNew(t, 2000).Mixed(8000)); err != nil {
		t.Fatal(err)
	}
	digits := regexp.MustCompile(`[0-9০-৯]{8,}`)
	n := 0
	for line := range bytes.Lines(tr.Bytes()) {
		var truth Truth
		if err := json.Unmarshal(line, &truth); err != nil {
			t.Fatal(err)
		}
		n++
		id := truth.EventID
		truth.EventID = "" // a serial, not personal data
		b, _ := json.Marshal(truth)
		truth.EventID = id
		if m := digits.Find(b); m != nil {
			t.Fatalf("truth of %s holds a long number", truth.EventID)
		}
		if truth.PersonID == "" || truth.Pattern == "" || truth.Rules == nil || truth.Action == "" {
			t.Fatalf("incomplete truth %+v", truth)
		}
	}
	if n != 8000 {
		t.Fatalf("read %d truths, want 8000", n)
	}
}

func TestMixedPhases(t *testing.T) {
	g := mustNew(t, 1000)
	last := PhaseEnrolment
	seen := map[Phase]bool{}
	for r := range g.Mixed(6000) {
		if r.Phase < last {
			t.Fatalf("%s: phase %v after %v", r.EventID, r.Phase, last)
		}
		last = r.Phase
		seen[r.Phase] = true
	}
	for _, p := range []Phase{PhaseEnrolment, PhaseStatus, PaymentPhase(0), PaymentPhase(1)} {
		if !seen[p] {
			t.Errorf("phase %v missing", p)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"no persons", func(c *Config) { c.Persons = 0 }},
		{"no run id", func(c *Config) { c.RunID = "" }},
		{"bad cycle", func(c *Config) { c.Cycles = []string{"Nov 2026"} }},
		{"rate above one", func(c *Config) { c.DupNIDRate = 1.5 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			if _, err := New(cfg); domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("got %v, want an invalid-config error", err)
			}
		})
	}
}

func BenchmarkMixed(b *testing.B) {
	g := mustNew(b, 10000)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for range g.Mixed(50000) {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
