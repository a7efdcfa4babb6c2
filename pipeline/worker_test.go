package pipeline

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// within is how long a test waits for a condition on a machine that may be
// busy with other tests; it is a deadline, not an expectation.
const within = time.Minute

// eventually waits until cond holds, failing the test after within.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// workerRig is a worker over a rig's processor and a fake source.
type workerRig struct {
	*rig
	src    *fakeSource
	w      *Worker
	cancel context.CancelFunc
	done   chan error
}

// newWorkerRig builds a worker that will read batches, with the given
// drain timeout; run starts it.
func newWorkerRig(tb testing.TB, drain time.Duration, batches ...[]Message) *workerRig {
	tb.Helper()
	r := newRig(tb)
	wr := &workerRig{rig: r, src: &fakeSource{journal: r.journal, batches: batches}, done: make(chan error, 1)}
	wr.w = NewWorker(wr.src, r.proc, slog.New(slog.NewTextHandler(r.logs, nil)), r.m)
	wr.w.DrainTimeout = drain
	tb.Cleanup(func() {
		if wr.cancel != nil {
			wr.cancel()
		}
	})
	return wr
}

// runUntilPublishing runs the worker with publishing held until
// wr.pub.block is closed or its context ends, and waits until the first
// batch is being published.
func (wr *workerRig) runUntilPublishing(tb testing.TB) {
	tb.Helper()
	wr.pub.block, wr.pub.entered = make(chan struct{}), make(chan struct{}, 1)
	wr.run()
	select {
	case <-wr.pub.entered:
	case <-time.After(within):
		tb.Fatal("the batch never reached publishing")
	}
}

// run starts the worker in its own goroutine.
func (wr *workerRig) run() {
	ctx, cancel := context.WithCancel(context.Background())
	wr.cancel = cancel
	go func() { wr.done <- wr.w.Run(ctx) }()
}

// stop cancels the worker's context and waits for Run to return nil.
func (wr *workerRig) stop(tb testing.TB) {
	tb.Helper()
	wr.cancel()
	select {
	case err := <-wr.done:
		if err != nil {
			tb.Fatalf("Run: %v", err)
		}
	case <-time.After(within):
		tb.Fatal("the worker did not stop")
	}
}

// TestWorkerCommitsAfterPublish: each batch is committed once it is
// recorded and published, in the order the batches came.
func TestWorkerCommitsAfterPublish(t *testing.T) {
	first, second := messages(payment("p1"), payment("p2")), messages(payment("p3"))
	second[0].HighWaterMark = 10
	wr := newWorkerRig(t, time.Minute, first, second)
	wr.run()
	eventually(t, "both batches are committed", func() bool { return len(wr.src.commits()) == 2 })
	wr.stop(t)

	if got := wr.src.commits(); !reflect.DeepEqual(got, [][]Message{first, second}) {
		t.Fatalf("committed %v", got)
	}
	want := []string{"fetch", "decisions", "decide", "write", "remember", "publish", "observe", "commit"}
	if got := wr.journal.list(); !slices.Equal(got, append(want, want...)) {
		t.Fatalf("calls %v, want %v twice", got, want)
	}
	if n := wr.metric(t, "ekjon_pipeline_stage_duration_seconds", "stage", "commit"); n != 2 {
		t.Fatalf("%v commits timed, want 2", n)
	}
	// The last message committed is at offset 0 of a partition whose
	// high-water mark is 10.
	if n := wr.metric(t, "ekjon_pipeline_commit_lag_messages", "topic", topic, "partition", "0"); n != 9 {
		t.Fatalf("lag %v, want 9", n)
	}
}

// TestWorkerAbandonsFailingBatch: a batch that cannot be published is
// retried until the worker is asked to stop and the drain timeout passes;
// then it is abandoned, not committed, and Run returns nil.
func TestWorkerAbandonsFailingBatch(t *testing.T) {
	wr := newWorkerRig(t, time.Millisecond, messages(payment("p1")))
	wr.pub.publish = flaky{n: always, err: timeout("publish")}
	wr.run()
	eventually(t, "publishing has failed", func() bool { return wr.pub.publishCalls() > 2 })
	wr.stop(t)

	if got := wr.src.commits(); len(got) != 0 {
		t.Fatalf("committed %v", got)
	}
	if logs := wr.logs.String(); !strings.Contains(logs, "batch abandoned at shutdown") {
		t.Fatalf("the abandoned batch was not logged:\n%s", logs)
	}
}

// TestWorkerDrainsBatchInFlight: a batch in flight when the worker is
// asked to stop is finished and committed, if it finishes within the drain
// timeout; no further batch is fetched.
func TestWorkerDrainsBatchInFlight(t *testing.T) {
	batch := messages(payment("p1"))
	wr := newWorkerRig(t, within, batch, messages(payment("p2")))
	wr.runUntilPublishing(t)
	wr.cancel()
	close(wr.pub.block)
	wr.stop(t)

	if got := wr.src.commits(); !reflect.DeepEqual(got, [][]Message{batch}) {
		t.Fatalf("committed %v, want the batch in flight", got)
	}
	fetches := 0
	for _, e := range wr.journal.list() {
		if e == "fetch" {
			fetches++
		}
	}
	if fetches != 1 {
		t.Fatalf("%d fetches, want only the batch in flight's", fetches)
	}
}

// TestWorkerDrainTimeout: a batch in flight that does not finish within
// the drain timeout after the worker is asked to stop is cut short and not
// committed.
func TestWorkerDrainTimeout(t *testing.T) {
	wr := newWorkerRig(t, time.Millisecond, messages(payment("p1")))
	// Publishing never finishes: only the end of its context frees it.
	wr.runUntilPublishing(t)
	wr.stop(t)

	if got := wr.src.commits(); len(got) != 0 {
		t.Fatalf("committed %v", got)
	}
	if got := wr.pub.published(); len(got) != 0 {
		t.Fatalf("published %d batches", len(got))
	}
	if logs := wr.logs.String(); !strings.Contains(logs, "batch abandoned at shutdown") {
		t.Fatalf("the abandoned batch was not logged:\n%s", logs)
	}
}

// TestWorkerCommitFails: a commit that fails leaves the batch to be
// redelivered (its decisions are durable) and the worker goes on.
func TestWorkerCommitFails(t *testing.T) {
	first, second := messages(payment("p1")), messages(payment("p2"))
	wr := newWorkerRig(t, time.Minute, first, second)
	wr.src.commit = flaky{n: 1, err: timeout("commit")}
	wr.run()
	eventually(t, "the second batch is committed", func() bool { return len(wr.src.commits()) == 1 })
	wr.stop(t)

	if got := wr.src.commits(); !reflect.DeepEqual(got, [][]Message{second}) {
		t.Fatalf("committed %v, want only the second batch", got)
	}
	if n := wr.metric(t, "ekjon_pipeline_commit_failed_total"); n != 1 {
		t.Fatalf("%v failed commits counted", n)
	}
}

// at moves msgs to consecutive offsets from first and gives them the
// high-water mark hwm.
func at(first, hwm int64, msgs []Message) []Message {
	for i := range msgs {
		msgs[i].Offset, msgs[i].HighWaterMark = first+int64(i), hwm
	}
	return msgs
}

// TestWorkerLag: the lag is the partition's high-water mark less the next
// offset to commit, and it moves on every fetch as well as on every
// commit, so that a consumer whose commits fail shows its lag growing. The
// last commit time is the last commit's or, before any, the first fetch's.
func TestWorkerLag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		batches [][]Message
		commits int // commits that succeed before the others fail
		want    float64
	}{
		{"a commit owes from the message after the batch's last", [][]Message{
			at(0, 10, messages(payment("p1")))}, 1, 10 - 1},
		{"commits fail: what is owed grows on every fetch; a partition read from further on once all was committed (given back after a rebalance) owes from there", [][]Message{
			at(0, 10, messages(payment("p1"), payment("p2"))),
			at(50, 60, messages(payment("p3"), payment("p4"))),
			at(52, 70, messages(payment("p5")))}, 1, 70 - 50},
		{"before any commit the first offset fetched is owed; a partition read again from an earlier offset (the group's) owes from there", [][]Message{
			at(10, 20, messages(payment("p1"), payment("p2"))),
			at(5, 20, messages(payment("p3")))}, 0, 20 - 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wr := newWorkerRig(t, time.Minute, tc.batches...)
			wr.src.commit.hook = func(call int) {
				if call == tc.commits+1 {
					wr.src.commit.n, wr.src.commit.err = always, timeout("commit")
				}
			}
			start := float64(time.Now().Unix())
			wr.run()
			eventually(t, "every batch's commit is tried", func() bool {
				return int(wr.metric(t, "ekjon_pipeline_commit_failed_total"))+len(wr.src.commits()) == len(tc.batches)
			})
			wr.stop(t)
			if n := wr.metric(t, "ekjon_pipeline_commit_lag_messages", "topic", topic, "partition", "0"); n != tc.want {
				t.Errorf("lag %v, want %v", n, tc.want)
			}
			if ts := wr.metric(t, "ekjon_pipeline_last_commit_timestamp_seconds", "topic", topic, "partition", "0"); ts < start {
				t.Errorf("last commit time %v, want at least %v", ts, start)
			}
		})
	}
}

// markSource is a fakeSource that also tells its partitions' high-water
// marks, which the test moves.
type markSource struct {
	*fakeSource
	hwm atomic.Int64
}

func (s *markSource) HighWaterMarks(_ context.Context, parts []Partition) (map[Partition]int64, error) {
	out := map[Partition]int64{}
	for _, p := range parts {
		out[p] = s.hwm.Load()
	}
	return out, nil
}

// TestWorkerLagWhileStuck: while a batch is in flight, its partitions'
// lag is read again, so that a consumer stuck on a batch shows its lag
// growing as events keep coming; the commit that follows counts from the
// mark read last.
func TestWorkerLagWhileStuck(t *testing.T) {
	wr := newWorkerRig(t, time.Millisecond, at(0, 5, messages(payment("p1"))))
	src := &markSource{fakeSource: wr.src}
	wr.w = NewWorker(src, wr.proc, slog.New(slog.NewTextHandler(wr.logs, nil)), wr.m)
	wr.w.DrainTimeout, wr.w.LagInterval = time.Millisecond, time.Millisecond
	wr.runUntilPublishing(t)
	if n := wr.metric(t, "ekjon_pipeline_commit_lag_messages", "topic", topic, "partition", "0"); n != 5 {
		t.Errorf("lag %v on fetch, want 5", n)
	}
	src.hwm.Store(500)
	eventually(t, "the lag grows while the batch is stuck", func() bool {
		return wr.metric(t, "ekjon_pipeline_commit_lag_messages", "topic", topic, "partition", "0") == 500
	})
	// Unstuck, the batch is committed: what stays owed is counted from
	// the last mark read.
	close(wr.pub.block)
	eventually(t, "the batch is committed", func() bool { return len(wr.src.commits()) == 1 })
	wr.stop(t)
	if n := wr.metric(t, "ekjon_pipeline_commit_lag_messages", "topic", topic, "partition", "0"); n != 499 {
		t.Fatalf("lag %v after the commit, want 499", n)
	}
}

// onPartition moves msgs to partition p.
func onPartition(p int, msgs []Message) []Message {
	for i := range msgs {
		msgs[i].Partition = p
	}
	return msgs
}

// TestByPartition: a batch is dealt out by partition into at most n parts,
// each partition whole and in one part, each part in the order read.
func TestByPartition(t *testing.T) {
	a := onPartition(0, messages(payment("a1"), payment("a2")))
	b := onPartition(1, messages(payment("b1"), payment("b2")))
	c := onPartition(2, messages(payment("c1")))
	batch := []Message{a[0], b[0], c[0], a[1], b[1]}
	ids := func(parts [][]Message) [][]int64 {
		var out [][]int64
		for _, p := range parts {
			var o []int64
			for _, m := range p {
				o = append(o, int64(m.Partition)*100+m.Offset)
			}
			out = append(out, o)
		}
		return out
	}
	for _, tc := range []struct {
		n    int
		want [][]int64
	}{
		{0, [][]int64{{0, 100, 200, 1, 101}}},
		{1, [][]int64{{0, 100, 200, 1, 101}}},
		{2, [][]int64{{0, 200, 1}, {100, 101}}},
		{3, [][]int64{{0, 1}, {100, 101}, {200}}},
		{8, [][]int64{{0, 1}, {100, 101}, {200}}},
	} {
		if got := ids(byPartition(batch, tc.n)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("n=%d: parts %v, want %v", tc.n, got, tc.want)
		}
	}
}

// TestWorkerParallelParts: a batch of two partitions is decided in two
// parts at once, each part's events in the order read, and committed
// whole, once, after both are published.
func TestWorkerParallelParts(t *testing.T) {
	a := onPartition(0, messages(payment("a1"), payment("a2")))
	b := onPartition(1, messages(payment("b1"), payment("b2")))
	batch := []Message{a[0], b[0], a[1], b[1]}
	wr := newWorkerRig(t, time.Minute, batch)
	wr.w.Parallel = 2
	// Both parts must be publishing at the same time for either to go on.
	wr.pub.block, wr.pub.entered = make(chan struct{}), make(chan struct{}, 2)
	wr.run()
	for range 2 {
		select {
		case <-wr.pub.entered:
		case <-time.After(within):
			t.Fatal("the two parts were not published at the same time")
		}
	}
	if got := wr.src.commits(); len(got) != 0 {
		t.Fatalf("committed %v before publishing ended", got)
	}
	close(wr.pub.block)
	eventually(t, "the batch is committed", func() bool { return len(wr.src.commits()) == 1 })
	wr.stop(t)

	if got := wr.src.commits(); !reflect.DeepEqual(got, [][]Message{batch}) {
		t.Fatalf("committed %v, want the whole batch once", got)
	}
	var parts [][]string
	for _, outs := range wr.pub.published() {
		var ids []string
		for _, o := range outs {
			ids = append(ids, o.Decision.EventID)
		}
		parts = append(parts, ids)
	}
	slices.SortFunc(parts, func(x, y []string) int { return strings.Compare(x[0], y[0]) })
	if want := [][]string{{"a1", "a2"}, {"b1", "b2"}}; !reflect.DeepEqual(parts, want) {
		t.Fatalf("published %v, want %v", parts, want)
	}
}

// TestWorkerParallelPartAbandoned: when one part of a batch cannot be
// published before the worker stops, the batch is not committed, though
// the other part was published: it is redelivered whole and the finished
// part found decided.
func TestWorkerParallelPartAbandoned(t *testing.T) {
	a := onPartition(0, messages(payment("a1")))
	b := onPartition(1, messages(payment("b1")))
	wr := newWorkerRig(t, time.Millisecond, []Message{a[0], b[0]})
	wr.w.Parallel = 2
	// The first part published succeeds; every later attempt fails.
	wr.pub.publish.hook = func(call int) {
		if call > 1 {
			wr.pub.publish.n, wr.pub.publish.err = always, timeout("publish")
		}
	}
	wr.run()
	eventually(t, "publishing has been retried", func() bool { return wr.pub.publishCalls() > 3 })
	wr.stop(t)
	if got := wr.src.commits(); len(got) != 0 {
		t.Fatalf("committed %v", got)
	}
	if got := wr.pub.published(); len(got) != 1 || len(got[0]) != 1 {
		t.Fatalf("published %v, want one part of one event", got)
	}
	if logs := wr.logs.String(); !strings.Contains(logs, "batch abandoned at shutdown") {
		t.Fatalf("the abandoned batch was not logged:\n%s", logs)
	}
}
