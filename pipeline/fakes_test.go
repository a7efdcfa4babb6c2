package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
)

// The fakes stand in for the index, the record, the output topics and the
// input topics, so that the processor and the worker are tested without
// Redis, PostgreSQL or Kafka. Each is safe for concurrent use: a worker
// runs in its own goroutine while the test reads what the fakes saw.

// always makes a flaky fail on every call.
const always = -1

// flaky fails the first n calls with err, or every call when n is always,
// and counts the calls. hook, if set, is given the number of each call
// before it fails or succeeds.
type flaky struct {
	n     int
	err   error
	calls int
	hook  func(call int)
}

func (f *flaky) call() error {
	f.calls++
	if f.hook != nil {
		f.hook(f.calls)
	}
	if f.n == 0 {
		return nil
	}
	if f.n > 0 {
		f.n--
	}
	return f.err
}

// timeout is the error a dependency that did not answer in time returns.
func timeout(what string) error {
	return domain.Errorf(domain.KindTransient, "fake "+what, "timed out")
}

// journal records the calls the fakes receive, in the order they come, so
// that a test can check the order of the stages.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(entry string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, entry)
}

func (j *journal) list() []string { return snapshot(&j.mu, &j.entries) }

// snapshot copies *s, which mu guards.
func snapshot[T any](mu *sync.Mutex, s *[]T) []T {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(*s)
}

func idsOf(outs []*domain.Outcome) []string {
	ids := make([]string, len(outs))
	for i, o := range outs {
		ids[i] = o.Decision.EventID
	}
	return ids
}

// fakeDecider decides every event it is given: ADMIT, or the action
// actions names for its id. A HOLD or BLOCK carries FUZZY_PERSON and
// raises one alert. Its failures come after the deciding, as a Redis
// timeout after the scripts ran would.
type fakeDecider struct {
	mu      sync.Mutex
	journal *journal
	actions map[string]domain.Action

	decide, remember, invalidate, release flaky
	decided, remembered, released         [][]string // the ids of each call
	// generation is what Decide says it decided against.
	generation int64
	// refuse fails for good every Decide call given one of its ids.
	refuse map[string]error
	// redecided has Decide say it undid claims an earlier decision of
	// the batch left (Outcome.Redecided), as the index does.
	redecided bool
}

func (d *fakeDecider) Decide(_ context.Context, outs []*domain.Outcome) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.journal.add("decide")
	d.decided = append(d.decided, idsOf(outs))
	for _, o := range outs {
		if err := d.refuse[o.Decision.EventID]; err != nil {
			return 0, err
		}
	}
	for _, o := range outs {
		id := o.Decision.EventID
		action := d.actions[id]
		if action == "" {
			action = domain.ActionAdmit
		}
		o.Decision.Action, o.Decision.PersonID, o.IndexKey = action, "P-"+id, "k-"+id
		o.Redecided = d.redecided
		if action != domain.ActionAdmit {
			// Appended, not set, so that an attempt that does not start
			// afresh shows twice.
			o.Decision.Rules = append(o.Decision.Rules, domain.RuleFuzzyPerson)
			o.Alerts = append(o.Alerts, domain.Alert{AlertID: domain.AlertID(id, domain.RuleFuzzyPerson),
				EventID: id, Rule: domain.RuleFuzzyPerson, Action: action, PersonID: "P-" + id})
		}
	}
	return d.generation, d.decide.call()
}

func (d *fakeDecider) Release(_ context.Context, outs []*domain.Outcome) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.journal.add("release")
	d.released = append(d.released, idsOf(outs))
	return d.release.call()
}

func (d *fakeDecider) releaseCalls() [][]string { return snapshot(&d.mu, &d.released) }

func (d *fakeDecider) rememberCalls() [][]string { return snapshot(&d.mu, &d.remembered) }

func (d *fakeDecider) Remember(_ context.Context, outs []*domain.Outcome) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.journal.add("remember")
	d.remembered = append(d.remembered, idsOf(outs))
	return d.remember.call()
}

func (d *fakeDecider) Invalidate(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.journal.add("invalidate")
	return d.invalidate.call()
}

func (d *fakeDecider) decideCalls() [][]string { return snapshot(&d.mu, &d.decided) }

// fakeRecorder keeps decisions and alerts in maps, idempotently on the
// event id, as the record does.
type fakeRecorder struct {
	mu        sync.Mutex
	journal   *journal
	decisions map[string]domain.Decision
	alerts    map[string][]domain.Alert
	// racing are decisions another worker records just before this
	// recorder's next Write, after the lookup has missed them.
	racing map[string]domain.Decision

	lookup, lookupAlerts, write flaky
	alertIDs                    [][]string // the ids of each Alerts call
	inserted                    []string   // the ids Write recorded
	// refuse fails for good every Write given one of its ids to record.
	refuse map[string]error
	// generation is the index generation; a Write for another (but 0) is
	// refused as stale, once, after which the index is at it.
	generation int64
	stale      int
}

func newFakeRecorder(j *journal) *fakeRecorder {
	return &fakeRecorder{journal: j, decisions: map[string]domain.Decision{}, alerts: map[string][]domain.Alert{}}
}

func (r *fakeRecorder) Decisions(_ context.Context, ids []string) (map[string]domain.Decision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.journal.add("decisions")
	if err := r.lookup.call(); err != nil {
		return nil, err
	}
	out := make(map[string]domain.Decision)
	for _, id := range ids {
		if d, ok := r.decisions[id]; ok {
			out[id] = d
		}
	}
	return out, nil
}

func (r *fakeRecorder) Alerts(_ context.Context, ids []string) (map[string][]domain.Alert, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.journal.add("alerts")
	r.alertIDs = append(r.alertIDs, slices.Clone(ids))
	if err := r.lookupAlerts.call(); err != nil {
		return nil, err
	}
	out := make(map[string][]domain.Alert)
	for _, id := range ids {
		if a, ok := r.alerts[id]; ok {
			out[id] = slices.Clone(a)
		}
	}
	return out, nil
}

// Write records the outcomes not marked Redelivered, and returns the
// decisions it finds already recorded for them.
func (r *fakeRecorder) Write(_ context.Context, outs []domain.Outcome, gen int64) (map[string]domain.Decision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.journal.add("write")
	if err := r.write.call(); err != nil {
		return nil, err
	}
	if gen != 0 && gen != r.generation {
		r.stale++
		return nil, domain.Wrap(domain.KindTransient, fmt.Sprintf("fake write: index generation %d, batch decided at %d", r.generation, gen),
			domain.ErrIndexRebuilt)
	}
	for i := range outs {
		if err := r.refuse[outs[i].Decision.EventID]; err != nil && !outs[i].Redelivered && outs[i].Decision.Action != domain.ActionRejected {
			return nil, err
		}
	}
	for id, d := range r.racing {
		r.decisions[id] = d
	}
	r.racing = nil
	recorded := make(map[string]domain.Decision)
	for i := range outs {
		o := &outs[i]
		if o.Redelivered {
			continue
		}
		id := o.Decision.EventID
		if d, ok := r.decisions[id]; ok {
			recorded[id] = d
			continue
		}
		d := o.Decision
		d.Rules = slices.Clone(d.Rules)
		r.decisions[id] = d
		if len(o.Alerts) > 0 {
			r.alerts[id] = slices.Clone(o.Alerts)
		}
		r.inserted = append(r.inserted, id)
	}
	return recorded, nil
}

func (r *fakeRecorder) insertedIDs() []string { return snapshot(&r.mu, &r.inserted) }

// fakePublisher keeps every batch it is given.
type fakePublisher struct {
	mu      sync.Mutex
	journal *journal
	publish flaky
	// block, if set, holds every Publish until it is closed or the
	// context ends; entered is signalled (without waiting) as one starts.
	block, entered chan struct{}
	batches        [][]domain.Outcome
	// refuseDead fails for good every Publish given a dead letter of one
	// of its ids, as a topic refuses a message too large for it.
	refuseDead map[string]bool
}

func (p *fakePublisher) Publish(ctx context.Context, outs []domain.Outcome) error {
	p.journal.add("publish")
	if p.block != nil {
		select {
		case p.entered <- struct{}{}:
		default:
		}
		select {
		case <-p.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.publish.call(); err != nil {
		return err
	}
	for _, o := range outs {
		if o.Dead && p.refuseDead[o.Decision.EventID] {
			return domain.Errorf(domain.KindInvalid, "fake publish", "message too large")
		}
	}
	p.batches = append(p.batches, slices.Clone(outs))
	return nil
}

func (p *fakePublisher) published() [][]domain.Outcome { return snapshot(&p.mu, &p.batches) }

func (p *fakePublisher) publishCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.publish.calls
}

// fakeSource hands out its batches one by one, then waits for the context
// to end.
type fakeSource struct {
	mu        sync.Mutex
	journal   *journal
	batches   [][]Message
	commit    flaky
	committed [][]Message
}

func (s *fakeSource) Fetch(ctx context.Context) ([]Message, error) {
	s.mu.Lock()
	if len(s.batches) > 0 {
		b := s.batches[0]
		s.batches = s.batches[1:]
		s.mu.Unlock()
		s.journal.add("fetch")
		return b, nil
	}
	s.mu.Unlock()
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *fakeSource) Commit(_ context.Context, msgs []Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.journal.add("commit")
	if err := s.commit.call(); err != nil {
		return err
	}
	s.committed = append(s.committed, msgs)
	return nil
}

func (s *fakeSource) commits() [][]Message { return snapshot(&s.mu, &s.committed) }

// lockedBuffer collects log lines written from a worker's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rig is a Processor over fresh fakes that share one journal. Backoff is
// a microsecond or two, so that retries cost nothing.
type rig struct {
	journal *journal
	dec     *fakeDecider
	rec     *fakeRecorder
	pub     *fakePublisher
	m       *Metrics
	reg     *prometheus.Registry
	logs    *lockedBuffer
	proc    *Processor
	// observed is written under observeMu: the parts of one batch are
	// observed at once (Worker.Parallel).
	observeMu sync.Mutex
	observed  [][]domain.Outcome
}

// decidedAt is the rig's clock: every decision it makes is stamped with it.
var decidedAt = time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)

func newRig(tb testing.TB) *rig {
	tb.Helper()
	j := &journal{}
	reg := prometheus.NewRegistry()
	r := &rig{
		journal: j,
		dec:     &fakeDecider{journal: j, actions: map[string]domain.Action{}},
		rec:     newFakeRecorder(j),
		pub:     &fakePublisher{journal: j},
		m:       NewMetrics(reg),
		reg:     reg,
		logs:    &lockedBuffer{},
	}
	cfg := DefaultConfig()
	cfg.RetryMin, cfg.RetryMax = time.Microsecond, 2*time.Microsecond
	cfg.Digest = func(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }
	log := slog.New(slog.NewTextHandler(r.logs, nil))
	r.proc = NewProcessor(cfg, r.dec, r.rec, r.pub, log, r.m)
	r.proc.now = func() time.Time { return decidedAt }
	r.proc.Observe = func(outs []domain.Outcome) {
		j.add("observe")
		r.observeMu.Lock()
		r.observed = append(r.observed, slices.Clone(outs))
		r.observeMu.Unlock()
	}
	return r
}

// metric sums the series of the counter or gauge called name, or counts
// the samples of the histogram, over the series whose labels include the
// given name, value pairs; 0 when there is no such series.
func (r *rig) metric(tb testing.TB, name string, labels ...string) float64 {
	tb.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// stored puts a decision on record, with its alerts, as an earlier run
// would have left it.
func (r *rig) stored(d domain.Decision, alerts ...domain.Alert) {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	r.rec.decisions[d.EventID] = d
	if len(alerts) > 0 {
		r.rec.alerts[d.EventID] = alerts
	}
}

// mustProcess runs msgs through the processor and returns the outcomes it
// published, which must be the one batch it published.
func (r *rig) mustProcess(tb testing.TB, msgs []Message) []domain.Outcome {
	tb.Helper()
	if err := r.proc.Process(context.Background(), msgs); err != nil {
		tb.Fatalf("process: %v", err)
	}
	got := r.pub.published()
	if len(got) != 1 {
		tb.Fatalf("published %d batches, want 1", len(got))
	}
	return got[0]
}

const topic = "ekjon.events.v1"

// payment is a valid distribution event.
func payment(id string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"distribution","occurred_at":"2026-11-05T09:12:00Z",
		"source":"g2p-gateway","programme":"old_age","cycle":"2026-11","nid":"1234567890","amount":600,
		"channel":"mfs","wallet":"01712345678","distributor_id":"agent-5521"}`, id)
}

// messages makes one message of each value, at consecutive offsets of one
// partition, stamped by the broker an hour before decidedAt.
func messages(values ...string) []Message {
	msgs := make([]Message, len(values))
	for i, v := range values {
		msgs[i] = Message{Topic: topic, Partition: 0, Offset: int64(i), HighWaterMark: int64(len(values)),
			Value: []byte(v), Time: decidedAt.Add(-time.Hour)}
	}
	return msgs
}
