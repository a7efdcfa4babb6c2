package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// allPublished flattens what the publisher was given, in order.
func (r *rig) allPublished() []domain.Outcome {
	var out []domain.Outcome
	for _, b := range r.pub.published() {
		out = append(out, b...)
	}
	return out
}

// process runs msgs through the processor, which must return nil.
func (r *rig) process(tb testing.TB, msgs []Message) {
	tb.Helper()
	if err := r.proc.Process(context.Background(), msgs); err != nil {
		tb.Fatalf("process: %v", err)
	}
}

func refusal(what string) error { return domain.Errorf(domain.KindInvalid, what, "value out of range") }

// TestPermanentFailureSetsTheEventAside: an event that a stage refuses for
// good does not stop the stream. The batch is split until the event is
// alone; it is rejected with the stage named, its claims are undone and its
// bytes dead-lettered; every other event of the batch is decided as usual,
// and the outcomes come out in message order.
func TestPermanentFailureSetsTheEventAside(t *testing.T) {
	for _, stage := range []string{"decide", "record"} {
		t.Run(stage, func(t *testing.T) {
			r := newRig(t)
			switch stage {
			case "decide":
				r.dec.refuse = map[string]error{"p3": refusal("fake decide")}
			case "record":
				r.rec.refuse = map[string]error{"p3": refusal("fake write")}
			}
			ids := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}
			var values []string
			for _, id := range ids {
				values = append(values, payment(id))
			}
			r.process(t, messages(values...))

			outs := r.allPublished()
			var got []string
			for _, o := range outs {
				got = append(got, o.Decision.EventID)
			}
			if !slices.Equal(got, ids) {
				t.Fatalf("published %v, want every event once, in order", got)
			}
			for _, o := range outs {
				d := o.Decision
				if d.EventID != "p3" {
					if d.Action != domain.ActionAdmit || o.Dead {
						t.Errorf("%s: %s, dead %v; want ADMIT", d.EventID, d.Action, o.Dead)
					}
					continue
				}
				if d.Action != domain.ActionRejected || !slices.Equal(d.Rules, []string{domain.RuleInvalidEvent}) ||
					!strings.Contains(d.Reason, "the "+stage+" stage refused this event") || !o.Dead || string(o.Raw) != payment("p3") {
					t.Errorf("p3: %s %v %q, dead %v; want REJECTED [INVALID_EVENT] naming the %s stage, dead-lettered",
						d.Action, d.Rules, d.Reason, o.Dead, stage)
				}
				if strings.Contains(d.Reason, "value out of range") {
					t.Errorf("p3: the reason quotes the driver's message: %q", d.Reason)
				}
			}
			if rec := r.rec.insertedIDs(); len(rec) != len(ids) || !slices.Contains(rec, "p3") {
				t.Fatalf("recorded %v, want all %d", rec, len(ids))
			}
			if got := r.dec.releaseCalls(); !slices.EqualFunc(got, [][]string{{"p3"}}, slices.Equal) {
				t.Fatalf("claims released for %v, want [[p3]]", got)
			}
			if n := r.metric(t, "ekjon_pipeline_isolated_total", "stage", stage); n != 1 {
				t.Fatalf("%v events counted as set aside by %s", n, stage)
			}
			if n := r.metric(t, "ekjon_pipeline_decisions_total"); n != float64(len(ids)) {
				t.Fatalf("%v decisions counted, want %d", n, len(ids))
			}
			if !strings.Contains(r.logs.String(), "set aside") {
				t.Fatalf("not logged:\n%s", r.logs.String())
			}
		})
	}
}

// TestTransientFailureIsNotSetAside: a dependency that keeps timing out
// pauses the batch; nothing is split or rejected.
func TestTransientFailureIsNotSetAside(t *testing.T) {
	r := newRig(t)
	r.rec.write = flaky{n: 5, err: timeout("write")}
	r.process(t, messages(payment("p0"), payment("p1")))
	if n := r.metric(t, "ekjon_pipeline_isolated_total"); n != 0 {
		t.Fatalf("%v events set aside", n)
	}
	for _, o := range r.allPublished() {
		if o.Decision.Action != domain.ActionAdmit {
			t.Fatalf("%s: %s", o.Decision.EventID, o.Decision.Action)
		}
	}
	if len(r.pub.published()) != 1 {
		t.Fatalf("published in %d batches, want 1", len(r.pub.published()))
	}
}

// TestConflictTwiceSetsAside: a conflict has the index rebuilt and the
// batch decided again once; a second conflict is the event's fault.
func TestConflictTwiceSetsAside(t *testing.T) {
	r := newRig(t)
	r.rec.refuse = map[string]error{"p1": domain.Errorf(domain.KindConflict, "fake write", "duplicate live enrolment")}
	r.process(t, messages(payment("p0"), payment("p1")))
	outs := r.allPublished()
	if len(outs) != 2 || outs[0].Decision.Action != domain.ActionAdmit || outs[1].Decision.Action != domain.ActionRejected {
		t.Fatalf("published %+v", outs)
	}
	if r.dec.invalidate.calls == 0 {
		t.Fatal("the index was never marked for rebuild")
	}
}

// TestPublishRefusedForGood: a dead letter the topic refuses for good does
// not stop the stream; the decision is published without it.
func TestPublishRefusedForGood(t *testing.T) {
	r := newRig(t)
	r.pub.refuseDead = map[string]bool{"kafka:" + topic + ":1:0": true}
	msgs := messages(payment("p0"), `{"broken`, payment("p2"))
	msgs[1].Partition, msgs[1].Offset = 1, 0
	r.process(t, msgs)
	outs := r.allPublished()
	var got []string
	for _, o := range outs {
		got = append(got, o.Decision.EventID)
	}
	if !slices.Equal(got, []string{"p0", "kafka:" + topic + ":1:0", "p2"}) {
		t.Fatalf("published %v", got)
	}
	if o := outs[1]; o.Dead || o.Decision.Action != domain.ActionRejected {
		t.Fatalf("the rejection: %s, dead %v; want REJECTED without its dead letter", o.Decision.Action, o.Dead)
	}
	if n := r.metric(t, "ekjon_pipeline_isolated_total", "stage", "publish"); n != 1 {
		t.Fatalf("%v set aside at publish", n)
	}
}

// TestEventIDReused: another event under an id already decided is not a
// redelivery: it is rejected as EVENT_ID_REUSED under its coordinates,
// with an alert, and the first decision stands untouched. A redelivery of
// either is found on record.
func TestEventIDReused(t *testing.T) {
	r := newRig(t)
	first := messages(payment("p1"))
	r.process(t, first)
	admitted := r.allPublished()[0].Decision

	// The same id, another payment: to a wallet of the sender's choosing.
	other := strings.Replace(payment("p1"), "01712345678", "01899999999", 1)
	msgs := messages(payment("p1"), other)
	r.process(t, msgs)
	outs := r.pub.published()[1]
	if o := outs[0]; !o.Redelivered || o.Decision.Action != domain.ActionAdmit {
		t.Fatalf("the first event again: %s, redelivered %v; want its decision on record", o.Decision.Action, o.Redelivered)
	}
	o := outs[1]
	d := o.Decision
	wantID := "kafka:" + topic + ":0:1"
	if d.EventID != wantID || d.Action != domain.ActionRejected || !slices.Equal(d.Rules, []string{domain.RuleEventIDReused}) || !o.Dead {
		t.Fatalf("the other event: %s %s %v dead %v; want %s REJECTED [EVENT_ID_REUSED], dead-lettered", d.EventID, d.Action, d.Rules, o.Dead, wantID)
	}
	if !strings.Contains(d.Reason, `"p1"`) || len(o.Alerts) != 1 || o.Alerts[0].Rule != domain.RuleEventIDReused || o.Alerts[0].EventID != wantID {
		t.Fatalf("reason %q, alerts %+v", d.Reason, o.Alerts)
	}
	if got := r.dec.decideCalls(); len(got) != 1 {
		t.Fatalf("the index decided %v; the reused id must not reach it", got)
	}
	r.rec.mu.Lock()
	stood := r.rec.decisions["p1"]
	r.rec.mu.Unlock()
	if stood.Action != admitted.Action || !stood.DecidedAt.Equal(admitted.DecidedAt) {
		t.Fatalf("the first decision changed: %+v", stood)
	}

	// Redelivered: both found on record, nothing decided or recorded.
	before := len(r.rec.insertedIDs())
	r.process(t, msgs)
	again := r.pub.published()[2]
	if !again[0].Redelivered || !again[1].Redelivered || again[1].Decision.Action != domain.ActionRejected {
		t.Fatalf("redelivery: %+v", again)
	}
	if len(r.rec.insertedIDs()) != before {
		t.Fatalf("the redelivery recorded %v", r.rec.insertedIDs()[before:])
	}
}

// TestEventIDReusedInOneBatch: two events under one id in one batch: the
// first is decided, the second rejected.
func TestEventIDReusedInOneBatch(t *testing.T) {
	r := newRig(t)
	other := strings.Replace(payment("p1"), `"amount":600`, `"amount":6000`, 1)
	outs := r.mustProcess(t, messages(payment("p1"), other))
	if outs[0].Decision.Action != domain.ActionAdmit || outs[1].Decision.Action != domain.ActionRejected ||
		outs[1].Decision.Rules[0] != domain.RuleEventIDReused {
		t.Fatalf("%s, %s %v", outs[0].Decision.Action, outs[1].Decision.Action, outs[1].Decision.Rules)
	}
}

// TestSameContentOtherSpelling: a source that sends an event again with
// its keys in another order, other white space and the time in another
// zone is redelivering, not reusing the id.
func TestSameContentOtherSpelling(t *testing.T) {
	r := newRig(t)
	r.process(t, messages(payment("p1")))
	respelt := `{"type":"distribution","event_id":"p1", "occurred_at":"2026-11-05T15:12:00+06:00",
		"source":"g2p-gateway","programme":"old_age","cycle":"2026-11","nid":"১২৩৪৫৬৭৮৯০","amount":600.0,
		"channel":"mfs","wallet":"01712345678","distributor_id":"agent-5521"}`
	outs := r.mustProcess2(t, messages(respelt))
	if !outs[0].Redelivered || outs[0].Decision.EventID != "p1" {
		t.Fatalf("respelt copy: %s %s, redelivered %v", outs[0].Decision.EventID, outs[0].Decision.Action, outs[0].Redelivered)
	}
}

// mustProcess2 processes msgs and returns the last batch published.
func (r *rig) mustProcess2(tb testing.TB, msgs []Message) []domain.Outcome {
	tb.Helper()
	r.process(tb, msgs)
	all := r.pub.published()
	return all[len(all)-1]
}

// TestStaleGeneration: a batch decided against an index that has since
// been rebuilt is refused by the record and decided again.
func TestStaleGeneration(t *testing.T) {
	r := newRig(t)
	r.dec.generation, r.rec.generation = 4, 5
	r.dec.decide.hook = func(call int) {
		if call == 2 {
			r.dec.generation = 5 // the rebuilt index
		}
	}
	outs := r.mustProcess(t, messages(payment("p1")))
	if r.rec.stale != 1 || r.dec.decide.calls != 2 {
		t.Fatalf("%d stale writes, %d decides; want 1 and 2", r.rec.stale, r.dec.decide.calls)
	}
	if outs[0].Decision.Action != domain.ActionAdmit || len(r.rec.insertedIDs()) != 1 {
		t.Fatalf("%s, recorded %v", outs[0].Decision.Action, r.rec.insertedIDs())
	}
}

// TestRememberOnlyWhatThisWorkerRecorded: the index's after-effects run
// for the decisions this worker recorded, not for those another worker
// recorded first.
func TestRememberOnlyWhatThisWorkerRecorded(t *testing.T) {
	r := newRig(t)
	r.rec.racing = map[string]domain.Decision{"p2": {EventID: "p2", Action: domain.ActionBlock, Rules: []string{domain.RuleDoublePayment}, DecidedAt: decidedAt}}
	r.mustProcess(t, messages(payment("p1"), payment("p2"), payment("p3")))
	if got := r.dec.rememberCalls(); !slices.EqualFunc(got, [][]string{{"p1", "p3"}}, slices.Equal) {
		t.Fatalf("remembered %v, want [[p1 p3]]", got)
	}
}

// TestRejectionFieldsAreSafe: what a rejected event's decision keeps of its
// unvalidated fields is printable and short, so that the record takes it:
// a NUL in the source or programme, or an unknown type of any length, never
// reaches PostgreSQL.
func TestRejectionFieldsAreSafe(t *testing.T) {
	r := newRig(t)
	bad := strings.NewReplacer(`"source":"g2p-gateway"`, `"source":"g2p\u0000gateway"`,
		`"programme":"old_age"`, `"programme":"old_age\u0007"`, `"type":"distribution"`, `"type":"`+strings.Repeat("t", 5000)+`"`).Replace(payment("p1"))
	outs := r.mustProcess(t, messages(bad))
	d := outs[0].Decision
	if d.Action != domain.ActionRejected {
		t.Fatalf("%s", d.Action)
	}
	if d.Source != "" || d.Programme != "" || d.EventType != "" {
		t.Fatalf("kept source %q, programme %q, type of %d bytes", d.Source, d.Programme, len(d.EventType))
	}
	if len(d.Reason) > domain.MaxReasonBytes || strings.ContainsRune(d.Reason, 0) {
		t.Fatalf("reason of %d bytes: %q", len(d.Reason), d.Reason)
	}
}
