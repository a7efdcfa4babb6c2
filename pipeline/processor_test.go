package pipeline

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// TestRejections: an event that cannot be decoded or fails validation is
// REJECTED with its reason, recorded, and sent to the dead-letter topic; it
// never reaches the index.
func TestRejections(t *testing.T) {
	cases := []struct {
		name, value string
		id, rule    string
	}{
		{"not JSON", `{"event_id":"broken",`, "kafka:" + topic + ":0:0", domain.RuleInvalidEvent},
		{"empty", "", "kafka:" + topic + ":0:0", domain.RuleInvalidEvent},
		{"not UTF-8", "\xff\xfe{}", "kafka:" + topic + ":0:0", domain.RuleInvalidEvent},
		{"too large", payment("big") + strings.Repeat(" ", DefaultConfig().MaxEventBytes), "big", domain.RuleInvalidEvent},
		{"unusable event id", strings.Replace(payment("x"), `"x"`, `"two words"`, 1), "kafka:" + topic + ":0:0", domain.RuleInvalidEvent},
		{"no occurred_at", strings.Replace(payment("late"), `"occurred_at":"2026-11-05T09:12:00Z",`, "", 1), "late", domain.RuleInvalidEvent},
		{"bad NID", strings.Replace(payment("nid"), `"1234567890"`, `"12345"`, 1), "nid", domain.RuleInvalidID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			outs := r.mustProcess(t, messages(tc.value))
			o := outs[0]
			d := o.Decision
			if d.EventID != tc.id || d.Action != domain.ActionRejected || !slices.Equal(d.Rules, []string{tc.rule}) {
				t.Fatalf("decision %s %s %v, want %s REJECTED [%s]", d.EventID, d.Action, d.Rules, tc.id, tc.rule)
			}
			if d.Reason == "" || !o.Dead || o.Redelivered || string(o.Raw) != tc.value {
				t.Fatalf("reason %q, dead %v, redelivered %v, raw kept %v", d.Reason, o.Dead, o.Redelivered, string(o.Raw) == tc.value)
			}
			if !d.DecidedAt.Equal(decidedAt) || d.ConfigVersion != DefaultConfig().Policy.Version {
				t.Fatalf("decided at %s under %q", d.DecidedAt, d.ConfigVersion)
			}
			if got := r.dec.decideCalls(); len(got) != 0 {
				t.Fatalf("the index was asked to decide %v", got)
			}
			if got := r.rec.insertedIDs(); !slices.Equal(got, []string{tc.id}) {
				t.Fatalf("recorded %v, want [%s]", got, tc.id)
			}
			if n := r.metric(t, "ekjon_pipeline_deadletters_total", "reason", tc.rule); n != 1 {
				t.Fatalf("%v dead letters counted", n)
			}
			if n := r.metric(t, "ekjon_pipeline_decisions_total", "action", "REJECTED", "rule", tc.rule); n != 1 {
				t.Fatalf("%v rejections counted", n)
			}
		})
	}
}

// TestRedelivered: an event whose decision is already on record is not
// decided again; it is published again with the decision and the alerts on
// record, and a rejected one goes to the dead-letter topic again.
func TestRedelivered(t *testing.T) {
	r := newRig(t)
	held := domain.Decision{EventID: "p1", EventType: domain.TypeDistribution, Action: domain.ActionHold,
		Rules: []string{domain.RuleWalletMismatch}, PersonID: "P-earlier", DecidedAt: decidedAt.Add(-time.Minute), ConfigVersion: "old"}
	alert := domain.Alert{AlertID: domain.AlertID("p1", domain.RuleWalletMismatch), EventID: "p1",
		Rule: domain.RuleWalletMismatch, Action: domain.ActionHold, CreatedAt: held.DecidedAt}
	broken := domain.Decision{EventID: "kafka:" + topic + ":0:1", Action: domain.ActionRejected,
		Rules: []string{domain.RuleInvalidEvent}, Reason: "not JSON", DecidedAt: held.DecidedAt}
	// Admitted once, rejected now (say, under a narrower policy): the
	// decision on record stands and nothing goes to the dead letters.
	admitted := domain.Decision{EventID: "p3", Action: domain.ActionAdmit, Rules: []string{}, DecidedAt: held.DecidedAt}
	r.stored(held, alert)
	r.stored(broken)
	r.stored(admitted)

	outs := r.mustProcess(t, messages(payment("p1"), `{"event_id":"broken",`, payment("p2"),
		strings.Replace(payment("p3"), `"programme":"old_age"`, `"programme":"unknown"`, 1)))

	if got := r.dec.decideCalls(); !reflect.DeepEqual(got, [][]string{{"p2"}}) {
		t.Fatalf("decided %v, want only p2", got)
	}
	if got := r.rec.insertedIDs(); !slices.Equal(got, []string{"p2"}) {
		t.Fatalf("recorded %v, want only p2", got)
	}
	if !reflect.DeepEqual(r.rec.alertIDs, [][]string{{"p1", broken.EventID, "p3"}}) {
		t.Fatalf("alerts read for %v", r.rec.alertIDs)
	}
	for _, want := range []struct {
		at     int
		d      domain.Decision
		alerts []domain.Alert
		dead   bool
	}{{0, held, []domain.Alert{alert}, false}, {1, broken, nil, true}, {3, admitted, nil, false}} {
		o := outs[want.at]
		if !reflect.DeepEqual(o.Decision, want.d) || !o.Redelivered {
			t.Errorf("%s: published %+v (redelivered %v), want the decision on record %+v", want.d.EventID, o.Decision, o.Redelivered, want.d)
		}
		if !reflect.DeepEqual(o.Alerts, want.alerts) || o.Dead != want.dead {
			t.Errorf("%s: alerts %v, dead %v; want %v, %v", want.d.EventID, o.Alerts, o.Dead, want.alerts, want.dead)
		}
	}
	if o := outs[2]; o.Redelivered || o.Decision.Action != domain.ActionAdmit {
		t.Errorf("p2: %s, redelivered %v; want a fresh ADMIT", o.Decision.Action, o.Redelivered)
	}
	if n := r.metric(t, "ekjon_pipeline_redelivered_total"); n != 3 {
		t.Errorf("%v redeliveries counted, want 3", n)
	}
	r.wantFresh(t, 1)
}

// wantFresh checks that n decisions were counted and their latencies
// observed: only those made by this batch, not those found on record.
func (r *rig) wantFresh(tb testing.TB, n float64) {
	tb.Helper()
	if got := r.metric(tb, "ekjon_pipeline_decisions_total"); got != n {
		tb.Errorf("%v decisions counted, want %v", got, n)
	}
	if got := r.metric(tb, "ekjon_pipeline_decision_latency_seconds"); got != n {
		tb.Errorf("%v latencies observed, want %v", got, n)
	}
}

// TestSecondCopyInBatch: an event sent twice in one batch is decided once;
// the second copy publishes the first one's decision, without its alerts.
func TestSecondCopyInBatch(t *testing.T) {
	r := newRig(t)
	r.dec.actions["p1"] = domain.ActionHold
	outs := r.mustProcess(t, messages(payment("p1"), payment("p2"), payment("p1")))

	if got := r.dec.decideCalls(); !reflect.DeepEqual(got, [][]string{{"p1", "p2"}}) {
		t.Fatalf("decided %v, want p1 and p2 once", got)
	}
	if got := r.rec.insertedIDs(); !slices.Equal(got, []string{"p1", "p2"}) {
		t.Fatalf("recorded %v", got)
	}
	first, again := outs[0], outs[2]
	if first.Redelivered || len(first.Alerts) != 1 {
		t.Fatalf("first copy: redelivered %v, %d alerts", first.Redelivered, len(first.Alerts))
	}
	if !reflect.DeepEqual(again.Decision, first.Decision) || again.IndexKey != first.IndexKey {
		t.Fatalf("second copy %+v (%s), want the first's %+v (%s)", again.Decision, again.IndexKey, first.Decision, first.IndexKey)
	}
	if !again.Redelivered || again.Alerts != nil {
		t.Fatalf("second copy: redelivered %v, alerts %v", again.Redelivered, again.Alerts)
	}
	if n := r.metric(t, "ekjon_pipeline_decisions_total", "action", "HOLD"); n != 1 {
		t.Fatalf("%v holds counted, want 1", n)
	}
	if n := r.metric(t, "ekjon_pipeline_redelivered_total"); n != 0 {
		t.Fatalf("%v redeliveries counted, want 0", n)
	}
}

// TestRetries: a stage whose dependency fails a few times is retried until
// it succeeds, and the batch comes out as if nothing had failed.
// ShouldRetry is asked about every failure, and the failures and retries
// are counted under the step that failed.
func TestRetries(t *testing.T) {
	var (
		lookup   = func(r *rig) *flaky { return &r.rec.lookup }
		alerts   = func(r *rig) *flaky { return &r.rec.lookupAlerts }
		decide   = func(r *rig) *flaky { return &r.dec.decide }
		write    = func(r *rig) *flaky { return &r.rec.write }
		remember = func(r *rig) *flaky { return &r.dec.remember }
		publish  = func(r *rig) *flaky { return &r.pub.publish }
	)
	cases := []struct {
		name  string
		stage string // the label failures are counted under
		err   error
		fail  func(*rig) *flaky // the call that fails twice
		// again is the call made once more after each failure: the
		// failing one, unless it says otherwise.
		again func(*rig) *flaky
	}{
		{"lookup", "lookup", timeout("lookup"), lookup, nil},
		{"alerts", "lookup", timeout("alerts"), alerts, nil},
		{"decide", "decide", timeout("decide"), decide, nil},
		// The record failing keeps the decisions: deciding the batch
		// again over its own claims would let its events see each
		// other's out of order.
		{"record", "record", timeout("write"), write, nil},
		{"remember", "remember", timeout("remember"), remember, nil},
		{"publish", "publish", timeout("publish"), publish, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.stored(domain.Decision{EventID: "p0", Action: domain.ActionAdmit, Rules: []string{}, DecidedAt: decidedAt})
			r.dec.actions["p1"] = domain.ActionHold
			*tc.fail(r) = flaky{n: 2, err: tc.err}
			again := tc.fail(r)
			if tc.again != nil {
				again = tc.again(r)
			}
			kind := domain.KindOf(tc.err).String()
			var asked []error
			r.proc.cfg.ShouldRetry = func(err error) bool {
				asked = append(asked, err)
				return Transient(err)
			}
			outs := r.mustProcess(t, messages(payment("p0"), payment("p1")))

			if again.calls != 3 {
				t.Fatalf("%d calls, want 3", again.calls)
			}
			if len(asked) != 2 || !errors.Is(asked[0], tc.err) || !errors.Is(asked[1], tc.err) {
				t.Fatalf("ShouldRetry was asked about %v, want the two failures", asked)
			}
			if o := outs[0]; !o.Redelivered || o.Decision.EventID != "p0" {
				t.Fatalf("p0: redelivered %v, %s", o.Redelivered, o.Decision.EventID)
			}
			// Held once, with one rule and one alert, however often it was
			// decided.
			if o := outs[1]; o.Decision.Action != domain.ActionHold || len(o.Decision.Rules) != 1 || len(o.Alerts) != 1 {
				t.Fatalf("p1: %s %v with %d alerts, want HOLD [FUZZY_PERSON] with 1", o.Decision.Action, o.Decision.Rules, len(o.Alerts))
			}
			if got := r.rec.insertedIDs(); !slices.Equal(got, []string{"p1"}) {
				t.Fatalf("recorded %v", got)
			}
			if n := r.metric(t, "ekjon_pipeline_retried_total", "stage", tc.stage); n != 2 {
				t.Fatalf("%v retries of %s counted, want 2", n, tc.stage)
			}
			if n := r.metric(t, "ekjon_pipeline_failed_total", "stage", tc.stage, "kind", kind); n != 2 {
				t.Fatalf("%v %s failures of %s counted, want 2", n, kind, tc.stage)
			}
			if n := r.metric(t, "ekjon_pipeline_retried_total"); n != 2 {
				t.Fatalf("%v retries in all, want 2", n)
			}
			if logs := r.logs.String(); !strings.Contains(logs, `msg="stage failed; retrying" stage=`+tc.stage+" attempt=1 kind="+kind) {
				t.Fatalf("the first failure was not logged:\n%s", logs)
			}
		})
	}
}

// TestStageTimes: each step of a batch is timed once when it succeeds; a
// record that fails has its unit (lookup, decide, record) run again, and
// each step of each run timed.
func TestStageTimes(t *testing.T) {
	cases := []struct {
		name   string
		writes flaky
		want   map[string]float64
	}{
		{"no failure", flaky{}, map[string]float64{"decode": 1, "lookup": 1, "decide": 1, "record": 1, "remember": 1, "publish": 1}},
		{"record failing twice", flaky{n: 2, err: timeout("write")},
			map[string]float64{"decode": 1, "lookup": 3, "decide": 3, "record": 1, "remember": 1, "publish": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.rec.write = tc.writes
			r.mustProcess(t, messages(payment("p1")))
			var all float64
			for stage, want := range tc.want {
				if n := r.metric(t, "ekjon_pipeline_stage_duration_seconds", "stage", stage); n != want {
					t.Errorf("%s timed %v times, want %v", stage, n, want)
				}
				all += want
			}
			if n := r.metric(t, "ekjon_pipeline_stage_duration_seconds"); n != all {
				t.Errorf("%v stage times in all, want %v", n, all)
			}
		})
	}
}

// TestConflictInvalidatesIndex: a record that refuses a decision the index
// allowed marks the index for rebuilding, and the batch is decided again.
func TestConflictInvalidatesIndex(t *testing.T) {
	r := newRig(t)
	r.rec.write = flaky{n: 1, err: domain.Errorf(domain.KindConflict, "fake write", "second admitted payment")}
	outs := r.mustProcess(t, messages(payment("p1")))
	if r.dec.invalidate.calls != 1 {
		t.Fatalf("the index was marked for rebuild %d times, want once", r.dec.invalidate.calls)
	}
	if r.dec.decide.calls != 2 || r.rec.write.calls != 2 {
		t.Fatalf("%d decides and %d writes, want 2 of each", r.dec.decide.calls, r.rec.write.calls)
	}
	if outs[0].Decision.Action != domain.ActionAdmit || outs[0].Redelivered {
		t.Fatalf("p1: %s, redelivered %v", outs[0].Decision.Action, outs[0].Redelivered)
	}
	if n := r.metric(t, "ekjon_pipeline_failed_total", "stage", "record", "kind", "conflict"); n != 1 {
		t.Fatalf("%v conflicts counted", n)
	}
	if logs := r.logs.String(); !strings.Contains(logs, "marking the index for rebuild") {
		t.Fatalf("the conflict was not logged:\n%s", logs)
	}
}

// TestCancelStopsRetries: a stage that keeps failing is retried until the
// context ends, and then Process gives up with the context's error,
// whether the end comes as a call fails or during the backoff. Nothing
// after the failing stage runs.
func TestCancelStopsRetries(t *testing.T) {
	cases := []struct {
		name string
		fail func(r *rig) *flaky
		// reached are the journal entries the batch gets to.
		reached []string
	}{
		{"lookup", func(r *rig) *flaky { return &r.rec.lookup }, []string{"decisions"}},
		{"decide", func(r *rig) *flaky { return &r.dec.decide }, []string{"decisions", "decide"}},
		{"record", func(r *rig) *flaky { return &r.rec.write }, []string{"decisions", "decide", "write"}},
		{"remember", func(r *rig) *flaky { return &r.dec.remember }, []string{"decisions", "decide", "write", "remember"}},
		{"publish", func(r *rig) *flaky { return &r.pub.publish }, []string{"decisions", "decide", "write", "remember", "publish"}},
	}
	for _, tc := range cases {
		for _, during := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/during backoff %v", tc.name, during), func(t *testing.T) {
				r := newRig(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				// Cancelled as the third call fails, or, with an hour's
				// backoff, while the processor waits after the first.
				cancelAt := 3
				if during {
					cancelAt = 1
					r.proc.cfg.RetryMin, r.proc.cfg.RetryMax = time.Hour, time.Hour
				}
				f := tc.fail(r)
				*f = flaky{n: always, err: timeout(tc.name), hook: func(call int) {
					switch {
					case call != cancelAt:
					case during:
						time.AfterFunc(time.Millisecond, cancel)
					default:
						cancel()
					}
				}}
				done := make(chan error, 1)
				go func() { done <- r.proc.Process(ctx, messages(payment("p1"))) }()
				var err error
				select {
				case err = <-done:
				case <-time.After(time.Minute):
					t.Fatal("Process did not stop when its context ended")
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Process: %v, want context.Canceled", err)
				}
				if f.calls != cancelAt {
					t.Fatalf("%d calls, want %d", f.calls, cancelAt)
				}
				if got := distinct(r.journal.list()); !slices.Equal(got, tc.reached) {
					t.Fatalf("the batch went through %v, want %v", got, tc.reached)
				}
				if len(r.observed) != 0 {
					t.Fatal("an abandoned batch was observed")
				}
			})
		}
	}
}

// distinct keeps the first of each entry.
func distinct(entries []string) []string {
	var out []string
	for _, e := range entries {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// TestDecidedByAnotherWorkerFirst: when another worker records a decision
// for the same event between this one's lookup and its write, the
// decision on record is the one published, by every copy of the event in
// the batch, without this worker's alerts, and this worker's decision is
// not counted.
func TestDecidedByAnotherWorkerFirst(t *testing.T) {
	r := newRig(t)
	r.dec.actions["p1"] = domain.ActionHold
	theirs := domain.Decision{EventID: "p1", Action: domain.ActionBlock, Rules: []string{domain.RuleDoublePayment},
		PersonID: "P-other", DecidedAt: decidedAt.Add(-time.Second), ConfigVersion: "test"}
	r.rec.racing = map[string]domain.Decision{"p1": theirs}
	outs := r.mustProcess(t, messages(payment("p1"), payment("p2"), payment("p1")))

	for _, i := range []int{0, 2} {
		if o := outs[i]; !reflect.DeepEqual(o.Decision, theirs) || !o.Redelivered || o.Alerts != nil {
			t.Fatalf("p1 (message %d) published as %+v (redelivered %v, alerts %v), want %+v", i, o.Decision, o.Redelivered, o.Alerts, theirs)
		}
	}
	if o := outs[1]; o.Redelivered || o.Decision.Action != domain.ActionAdmit {
		t.Fatalf("p2: %s, redelivered %v", o.Decision.Action, o.Redelivered)
	}
	if got := r.rec.insertedIDs(); !slices.Equal(got, []string{"p2"}) {
		t.Fatalf("recorded %v, want only p2", got)
	}
	r.wantFresh(t, 1) // p2's
}

// TestOrderAndObserve: whatever happens to each event, the outcomes come
// out in the order of the messages, and Observe sees the whole batch once,
// after it is published; the stages run in their order.
func TestOrderAndObserve(t *testing.T) {
	r := newRig(t)
	r.stored(domain.Decision{EventID: "known", Action: domain.ActionAdmit, Rules: []string{}, DecidedAt: decidedAt})
	var values []string
	for i := range 40 {
		switch i % 5 {
		case 0:
			values = append(values, payment(fmt.Sprintf("p%d", i)))
		case 1:
			values = append(values, `{"event_id":"broken",`)
		case 2:
			values = append(values, payment("known"))
		case 3:
			values = append(values, payment(fmt.Sprintf("p%d", i-3))) // a second copy
		case 4:
			r.dec.actions[fmt.Sprintf("h%d", i)] = domain.ActionHold
			values = append(values, payment(fmt.Sprintf("h%d", i)))
		}
	}
	msgs := messages(values...)
	outs := r.mustProcess(t, msgs)

	if len(r.observed) != 1 || !reflect.DeepEqual(r.observed[0], outs) {
		t.Fatalf("observed %d batches, want the published one", len(r.observed))
	}
	if len(outs) != len(msgs) {
		t.Fatalf("%d outcomes for %d messages", len(outs), len(msgs))
	}
	for i, o := range outs {
		if o.Origin.Offset != msgs[i].Offset || string(o.Raw) != string(msgs[i].Value) {
			t.Fatalf("outcome %d is of offset %d, want %d", i, o.Origin.Offset, msgs[i].Offset)
		}
		if id := domain.PeekEventID(msgs[i].Value); id != "" && o.Decision.EventID != id {
			t.Fatalf("outcome %d decides %s, want %s", i, o.Decision.EventID, id)
		}
	}
	want := []string{"decisions", "alerts", "decide", "write", "remember", "publish", "observe"}
	if got := r.journal.list(); !slices.Equal(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	if n := r.metric(t, "ekjon_pipeline_batch_size_events"); n != 1 {
		t.Fatalf("%v batch sizes observed", n)
	}
	if n := r.metric(t, "ekjon_pipeline_events_consumed_total", "topic", topic); n != float64(len(msgs)) {
		t.Fatalf("%v events consumed, want %d", n, len(msgs))
	}
}

// TestEmptyBatch: nothing to do, nothing called.
func TestEmptyBatch(t *testing.T) {
	r := newRig(t)
	if err := r.proc.Process(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := r.journal.list(); len(got) != 0 {
		t.Fatalf("an empty batch called %v", got)
	}
}

// TestFailedWriteKeepsDecisions: a record that fails for a dropped
// connection is retried with the decisions already made; only a record
// refusing the batch as decided against an index since rebuilt has it
// decided again. Deciding a batch again over its own claims would let an
// event see the claims of the events after it.
func TestFailedWriteKeepsDecisions(t *testing.T) {
	r := newRig(t)
	r.rec.write = flaky{n: 2, err: timeout("write")}
	r.mustProcess(t, messages(payment("p1"), payment("p2")))
	if r.dec.decide.calls != 1 || r.rec.write.calls != 3 {
		t.Fatalf("%d decides and %d writes, want 1 and 3", r.dec.decide.calls, r.rec.write.calls)
	}
}

// TestRedecidedBatchRecordedElsewhere: when Decide undid claims a batch's
// earlier decision had left, and the record then holds one of the batch's
// events from another worker under another decision, the claim undone may
// be one the record holds: the index is marked for rebuild. Decided again
// the same way, the claims made again are the ones the record holds, as in
// a rebalance that hands a partition over while its batch is in flight:
// no rebuild. Without the undoing, or without the other worker, there is
// none either.
func TestRedecidedBatchRecordedElsewhere(t *testing.T) {
	same := domain.Decision{EventID: "p2", Action: domain.ActionAdmit, PersonID: "P-p2", DecidedAt: decidedAt}
	other := same
	other.Action, other.Rules = domain.ActionBlock, []string{domain.RuleDoublePayment}
	otherPerson := same
	otherPerson.PersonID = "P-someone"
	for _, tc := range []struct {
		name      string
		redecided bool
		racing    *domain.Decision
		want      int
	}{
		{"undone and recorded elsewhere otherwise", true, &other, 1},
		{"undone and recorded elsewhere for another person", true, &otherPerson, 1},
		{"undone and recorded elsewhere the same way", true, &same, 0},
		{"undone, recorded here", true, nil, 0},
		{"recorded elsewhere, nothing undone", false, &other, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.dec.redecided = tc.redecided
			if tc.racing != nil {
				r.rec.racing = map[string]domain.Decision{"p2": *tc.racing}
			}
			r.mustProcess(t, messages(payment("p1"), payment("p2")))
			if r.dec.invalidate.calls != tc.want {
				t.Fatalf("the index was marked for rebuild %d times, want %d", r.dec.invalidate.calls, tc.want)
			}
		})
	}
}

// TestLookupAgainBeforeDecidingAgain: a batch waiting for the index (not
// ready) while another worker records one of its events decides only the
// others once the index is back: the recorded event's claims would
// otherwise look like claims the batch left unrecorded.
func TestLookupAgainBeforeDecidingAgain(t *testing.T) {
	r := newRig(t)
	r.dec.decide = flaky{n: 1, err: domain.Errorf(domain.KindTransient, "fake index", "not ready")}
	r.dec.decide.hook = func(call int) {
		if call == 1 {
			r.rec.mu.Lock()
			r.rec.decisions["p1"] = domain.Decision{EventID: "p1", Action: domain.ActionBlock,
				Rules: []string{domain.RuleDoublePayment}, DecidedAt: decidedAt}
			r.rec.mu.Unlock()
		}
	}
	outs := r.mustProcess(t, messages(payment("p1"), payment("p2")))
	if got := r.dec.decideCalls(); !slices.EqualFunc(got, [][]string{{"p1", "p2"}, {"p2"}}, slices.Equal) {
		t.Fatalf("decided %v, want [[p1 p2] [p2]]", got)
	}
	if o := outs[0]; !o.Redelivered || o.Decision.Action != domain.ActionBlock {
		t.Fatalf("p1: %s, redelivered %v; want the recorded BLOCK", o.Decision.Action, o.Redelivered)
	}
}
