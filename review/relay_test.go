package review

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// memOutbox is an Outbox in memory, keeping what the record keeps: which
// rows were sent, and each row's attempts and last error.
type memOutbox struct {
	mu       sync.Mutex
	rows     []OutboxRow
	sent     map[int64]bool
	attempts map[int64]int
	lastErr  map[int64]string
	claims   int
}

func newMemOutbox(rows ...OutboxRow) *memOutbox {
	return &memOutbox{rows: rows, sent: map[int64]bool{}, attempts: map[int64]int{}, lastErr: map[int64]string{}}
}

func (o *memOutbox) ClaimOutbox(ctx context.Context, limit int, send func(context.Context, []OutboxRow) error) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.claims++
	var batch []OutboxRow
	for _, r := range o.rows {
		if !o.sent[r.ID] && len(batch) < limit {
			batch = append(batch, r)
		}
	}
	if len(batch) == 0 {
		return 0, nil
	}
	err := send(ctx, batch)
	for _, r := range batch {
		o.attempts[r.ID]++
		if err != nil {
			o.lastErr[r.ID] = err.Error()
		} else {
			o.sent[r.ID] = true
		}
	}
	if err != nil {
		return 0, err
	}
	return len(batch), nil
}

func (o *memOutbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, r := range o.rows {
		if !o.sent[r.ID] {
			n++
		}
	}
	return n
}

// flakyPublisher fails its first fails calls, then records what it
// publishes.
type flakyPublisher struct {
	mu    sync.Mutex
	fails int
	got   []domain.Decision
}

func (p *flakyPublisher) Publish(_ context.Context, outs []domain.Outcome) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return domain.Wrap(domain.KindTransient, "publish", errors.New("broker down"))
	}
	for _, o := range outs {
		p.got = append(p.got, o.Decision)
	}
	return nil
}

func (p *flakyPublisher) published() []domain.Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// recordingIndex records index operations, failing while broken is set.
type recordingIndex struct {
	mu     sync.Mutex
	broken bool
	ops    []string
}

func (x *recordingIndex) ReleaseHold(_ context.Context, key, prog, ev string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.broken {
		return domain.Wrap(domain.KindTransient, "redis", errors.New("redis down"))
	}
	x.ops = append(x.ops, "release "+key+" "+prog+" "+ev)
	return nil
}

func (x *recordingIndex) ClaimEnrolment(_ context.Context, key, prog, ev, wallet, ref string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ops = append(x.ops, "claim "+key+" "+prog+" "+ev+" "+wallet+" "+ref)
	return nil
}

// readiness is an IndexReadiness whose answer the test sets.
type readiness struct {
	mu    sync.Mutex
	gen   int64
	ready bool
	err   error
	asked int
}

func (x *readiness) ReadyGeneration(context.Context) (int64, bool, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.asked++
	return x.gen, x.ready, x.err
}

func (x *readiness) set(gen int64, ready bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.gen, x.ready = gen, ready
}

// counter is a Counter for tests.
type counter struct {
	mu sync.Mutex
	n  float64
}

func (c *counter) Add(v float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += v
}

func (c *counter) value() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func outboxRow(id int64, eventID string, op *IndexOp) OutboxRow {
	return OutboxRow{ID: id, IndexOp: op, Decision: domain.Decision{EventID: eventID, Action: domain.ActionAdmit,
		Rules: []string{domain.RuleDeceasedOrExited}, DecidedAt: time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC), ConfigVersion: "v"}}
}

// TestRelay: a committed row is published at least once, after its index
// change, and is retried until the publisher takes it.
func TestRelay(t *testing.T) {
	cases := []struct {
		name        string
		pubFails    int
		indexBroken bool
		// wantErr is whether the first flush fails.
		wantErr bool
	}{
		{"publishes and marks sent", 0, false, false},
		{"publisher down, then back", 2, false, true},
		{"index down: nothing published", 0, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ob := newMemOutbox(outboxRow(1, "e1", &IndexOp{Op: IndexReleaseHold, IndexKey: "k1", Programme: "old_age", EventID: "e1"}))
			pub := &flakyPublisher{fails: tc.pubFails}
			ix := &recordingIndex{broken: tc.indexBroken}
			var published, failed counter
			r := NewRelay(ob, pub, ix, nil, quiet(), RelayMetrics{Published: &published, Failed: &failed})

			_, err := r.Flush(ctx)
			if (err != nil) != tc.wantErr {
				t.Fatalf("first flush: %v, want error %v", err, tc.wantErr)
			}
			if tc.indexBroken && len(pub.published()) != 0 {
				t.Fatalf("published before the index changed: %+v", pub.published())
			}
			ix.mu.Lock()
			ix.broken = false
			ix.mu.Unlock()
			for i := 0; i < 3 && len(pub.published()) == 0; i++ {
				_, _ = r.Flush(ctx)
			}
			if got := pub.published(); len(got) != 1 || got[0].EventID != "e1" || got[0].Action != domain.ActionAdmit {
				t.Fatalf("published %+v, want e1 ADMIT once", got)
			}
			if len(ix.ops) == 0 || ix.ops[len(ix.ops)-1] != "release k1 old_age e1" {
				t.Fatalf("index ops %v", ix.ops)
			}
			if n := ob.pending(); n != 0 {
				t.Fatalf("%d rows still pending", n)
			}
			if want := 1 + tc.pubFails + map[bool]int{true: 1}[tc.indexBroken]; ob.attempts[1] != want {
				t.Fatalf("attempts %d, want %d", ob.attempts[1], want)
			}
			if tc.wantErr && ob.lastErr[1] == "" {
				t.Errorf("the failure was not kept with the row")
			}
			if n, err := r.Flush(ctx); n != 0 || err != nil {
				t.Fatalf("flush after sending: %d, %v", n, err)
			}
			if published.value() != 1 {
				t.Errorf("published counter %v, want 1", published.value())
			}
		})
	}
}

// TestRelayBatches: a flush takes batch after batch until the outbox is
// empty, claims an override's programme and lifts a hold, and publishes a
// row without an index change as it is.
func TestRelayBatches(t *testing.T) {
	rows := []OutboxRow{
		outboxRow(1, "e1", &IndexOp{Op: IndexClaim, IndexKey: "k1", Programme: "widow", EventID: "e1", WalletKey: "w1", Ref: "DSS-1"}),
		outboxRow(2, "e2", nil),
		outboxRow(3, "e3", &IndexOp{Op: IndexReleaseHold, IndexKey: "k3", Programme: "old_age", EventID: "e3"}),
		outboxRow(4, "e4", nil),
		outboxRow(5, "e5", nil),
	}
	ob := newMemOutbox(rows...)
	pub := &flakyPublisher{}
	ix := &recordingIndex{}
	var published counter
	r := NewRelay(ob, pub, ix, nil, quiet(), RelayMetrics{Published: &published})
	r.Batch = 2
	n, err := r.Flush(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("flush: %d, %v; want 5", n, err)
	}
	if ob.claims != 3 {
		t.Errorf("%d claims of 2 rows for 5 rows, want 3", ob.claims)
	}
	var ids []string
	for _, d := range pub.published() {
		ids = append(ids, d.EventID)
	}
	if !slices.Equal(ids, []string{"e1", "e2", "e3", "e4", "e5"}) {
		t.Errorf("published %v", ids)
	}
	if want := []string{"claim k1 widow e1 w1 DSS-1", "release k3 old_age e3"}; !slices.Equal(ix.ops, want) {
		t.Errorf("index ops %v, want %v", ix.ops, want)
	}
	if published.value() != 5 {
		t.Errorf("published counter %v", published.value())
	}

	// Without an index, nothing is applied and everything is published.
	ob, pub = newMemOutbox(rows...), &flakyPublisher{}
	if n, err := NewRelay(ob, pub, nil, nil, quiet(), RelayMetrics{}).Flush(context.Background()); err != nil || n != 5 {
		t.Fatalf("flush without an index: %d, %v", n, err)
	}
}

// TestRelayRun: Run publishes what it is told of without waiting for its
// interval, counts a failure and retries it, and stops when its context
// ends.
func TestRelayRun(t *testing.T) {
	ob := newMemOutbox()
	pub := &flakyPublisher{fails: 1}
	var failed counter
	r := NewRelay(ob, pub, &recordingIndex{}, nil, quiet(), RelayMetrics{Failed: &failed})
	r.Interval = time.Hour // only Notify, or the backoff after a failure, wakes it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	ob.mu.Lock()
	ob.rows = append(ob.rows, outboxRow(1, "e1", nil))
	ob.mu.Unlock()
	r.Notify()
	r.Notify() // never blocks
	deadline := time.Now().Add(20 * time.Second)
	for len(pub.published()) == 0 && time.Now().Before(deadline) {
		r.Notify()
		time.Sleep(10 * time.Millisecond)
	}
	if got := pub.published(); len(got) != 1 || got[0].EventID != "e1" {
		t.Fatalf("published %+v, want e1", got)
	}
	if failed.value() != 1 {
		t.Errorf("failed counter %v, want 1", failed.value())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
}

// TestRelayWaitsForTheIndexGeneration: a row's index change is applied only
// once the index is ready at the generation its review saw, or a later
// one; before that nothing of the batch is applied or published, and the
// wait is counted as a wait, not a failure.
func TestRelayWaitsForTheIndexGeneration(t *testing.T) {
	at := func(gen int64, r OutboxRow) OutboxRow {
		r.Generation = gen
		return r
	}
	rows := []OutboxRow{
		at(3, outboxRow(1, "e1", &IndexOp{Op: IndexReleaseHold, IndexKey: "k1", Programme: "old_age", EventID: "e1"})),
		at(4, outboxRow(2, "e2", &IndexOp{Op: IndexClaim, IndexKey: "k2", Programme: "widow", EventID: "e2"})),
		at(9, outboxRow(3, "e3", nil)), // no index change: no generation to wait for
	}
	steps := []struct {
		name       string
		gen        int64
		ready      bool
		wantPublic int
	}{
		{"the index is being rebuilt", 4, false, 0},
		{"ready at an older generation than a row's", 3, true, 0},
		{"ready at the rows' generation", 4, true, 3},
	}
	ob := newMemOutbox(rows...)
	pub := &flakyPublisher{}
	ix := &recordingIndex{}
	ready := &readiness{}
	var published, failed, waited counter
	r := NewRelay(ob, pub, ix, ready, quiet(), RelayMetrics{Published: &published, Failed: &failed, Waited: &waited})
	for i, st := range steps {
		ready.set(st.gen, st.ready)
		n, err := r.Flush(context.Background())
		if got := len(pub.published()); got != st.wantPublic || n != st.wantPublic {
			t.Fatalf("%s: published %d (flush said %d), want %d", st.name, got, n, st.wantPublic)
		}
		if st.wantPublic == 0 {
			if !errors.Is(err, ErrIndexBehind) || domain.KindOf(err) != domain.KindTransient {
				t.Fatalf("%s: flush error %v, want a transient ErrIndexBehind", st.name, err)
			}
			if len(ix.ops) != 0 {
				t.Fatalf("%s: index changed: %v", st.name, ix.ops)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if want := []string{"release k1 old_age e1", "claim k2 widow e2  "}; !slices.Equal(ix.ops, want) {
			t.Fatalf("%s: index ops %v, want %v", st.name, ix.ops, want)
		}
		if i != len(steps)-1 {
			t.Fatalf("published before the last step")
		}
	}

	// Run waits without counting a failure or backing off.
	ob = newMemOutbox(rows[1])
	pub = &flakyPublisher{}
	ready.set(3, true)
	r = NewRelay(ob, pub, &recordingIndex{}, ready, quiet(), RelayMetrics{Failed: &failed, Waited: &waited})
	r.Interval = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for waited.value() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if len(pub.published()) != 0 {
		t.Fatalf("published while the index is behind: %+v", pub.published())
	}
	ready.set(4, true)
	for len(pub.published()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := pub.published(); len(got) != 1 || got[0].EventID != "e2" {
		t.Fatalf("published %+v once the index caught up, want e2", got)
	}
	if failed.value() != 0 {
		t.Errorf("waits counted as failures: %v", failed.value())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}

	// A readiness that cannot be read is a failure like any other.
	ready.err = domain.Wrap(domain.KindTransient, "redis", errors.New("down"))
	if _, err := NewRelay(newMemOutbox(rows[0]), &flakyPublisher{}, &recordingIndex{}, ready, quiet(), RelayMetrics{}).Flush(context.Background()); err == nil || errors.Is(err, ErrIndexBehind) {
		t.Errorf("flush with an unreadable readiness: %v", err)
	}
}
