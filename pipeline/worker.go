package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Worker is one consumer: it fetches a batch, has the Processor make it
// durable and published, then commits the batch's offsets. Several workers,
// in one process or many, share the input by joining one consumer group.
//
// It keeps each partition's commit lag current (the partition's
// high-water mark less the next offset to commit) on every fetch, on every
// commit and, if its Source is a HighWaterMarker, while a batch is in
// flight, so that a consumer that stops committing shows its lag growing.
type Worker struct {
	src  Source
	proc *Processor
	log  *slog.Logger
	m    *Metrics
	// DrainTimeout bounds how long an in-flight batch may take to finish
	// once the worker is asked to stop.
	DrainTimeout time.Duration
	// LagInterval is how often a batch's partitions' high-water marks are
	// read again while the batch is in flight; 0 never.
	LagInterval time.Duration
	// Parallel is how many parts of a batch, each the messages of some of
	// its partitions, are processed at once; 1 or less processes a batch
	// whole. A consumer given more partitions than its peers (six of a
	// topic among four consumers leaves two with twice the others' share)
	// would otherwise decide their events one batch after another, and
	// their events would queue behind each other's while the peers idle.
	Parallel int
	// parts is what the worker knows of each partition it has read. Only
	// Run's goroutine touches it.
	parts map[Partition]*partitionState
}

// Partition names a partition of a topic.
type Partition struct {
	Topic     string
	Partition int
}

// HighWaterMarker is a Source that can read the high-water marks of
// partitions (the offset their next message will take). A Worker uses it
// to keep its lag current while a batch is in flight.
type HighWaterMarker interface {
	HighWaterMarks(ctx context.Context, parts []Partition) (map[Partition]int64, error)
}

// partitionState is a worker's view of one partition.
type partitionState struct {
	// next is the next offset to commit: after the last offset this worker
	// committed or, before it committed any, the first it fetched.
	next int64
	// read is the last offset fetched, by which a fetch that does not go
	// on from it (the partition read again after a rebalance) is told.
	read int64
	// hwm is the high-water mark last seen.
	hwm int64
}

// NewWorker returns a worker reading src.
func NewWorker(src Source, proc *Processor, log *slog.Logger, m *Metrics) *Worker {
	return &Worker{src: src, proc: proc, log: log, m: m, DrainTimeout: 10 * time.Second,
		LagInterval: 15 * time.Second, parts: map[Partition]*partitionState{}}
}

// Run consumes until ctx ends, then finishes the batch in flight (for at
// most DrainTimeout) and returns nil. A batch whose processing is cut short
// is not committed and will be redelivered.
func (w *Worker) Run(ctx context.Context) error {
	for {
		t := time.Now()
		msgs, err := w.src.Fetch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		// Waiting for input: time a busy consumer spends fetching, or an
		// idle one waiting for events.
		w.m.stage.WithLabelValues("fetch").Observe(time.Since(t).Seconds())
		if err != nil {
			w.log.Warn("fetch failed", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		w.fetched(msgs)
		fetched := time.Now()
		for i := range msgs {
			if !msgs[i].Time.IsZero() {
				w.m.queued.Observe(fetched.Sub(msgs[i].Time).Seconds())
			}
		}
		if err := w.handle(ctx, msgs); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// handle processes and commits one batch, outliving ctx by at most the
// drain timeout.
func (w *Worker) handle(ctx context.Context, msgs []Message) error {
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(w.DrainTimeout, cancel)
		<-work.Done()
		t.Stop()
	})
	defer stop()

	stopWatch := w.watchLag(work, msgs)
	err := w.process(work, msgs)
	stopWatch()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			w.log.Warn("batch abandoned at shutdown; it will be redelivered", "events", len(msgs))
			return nil
		}
		return err
	}
	t := time.Now()
	if err := w.src.Commit(work, msgs); err != nil {
		// The decisions are durable; a redelivered event finds its decision.
		w.m.commitFailed.Inc()
		w.log.Warn("commit failed; the batch will be redelivered and found decided", "events", len(msgs), "err", err)
		return nil
	}
	w.m.stage.WithLabelValues("commit").Observe(time.Since(t).Seconds())
	w.committed(msgs)
	return nil
}

// process has the processor decide msgs: in up to Parallel parts at once,
// each holding whole partitions in the order read, as consumers of those
// partitions would. The batch is committed only once every part is
// durable and published; a part cut short leaves the whole batch to be
// redelivered, and the parts that finished find their decisions then.
func (w *Worker) process(ctx context.Context, msgs []Message) error {
	parts := byPartition(msgs, w.Parallel)
	if len(parts) == 1 {
		return w.proc.Process(ctx, msgs)
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.proc.Process(ctx, part)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// byPartition splits msgs into at most n parts (at least one), the
// partitions dealt out in the order they first appear; each part keeps
// its messages in the order they were read.
func byPartition(msgs []Message, n int) [][]Message {
	if n <= 1 || len(msgs) < 2 {
		return [][]Message{msgs}
	}
	part := map[Partition]int{}
	var parts [][]Message
	for _, m := range msgs {
		p := Partition{m.Topic, m.Partition}
		i, ok := part[p]
		if !ok {
			i = len(part) % n
			part[p] = i
			if i == len(parts) {
				parts = append(parts, nil)
			}
		}
		parts[i] = append(parts[i], m)
	}
	return parts
}

// fetched brings the partitions of a fetched batch up to date and sets
// their lag: the batch itself counts until it is committed.
func (w *Worker) fetched(msgs []Message) {
	if w.parts == nil {
		w.parts = map[Partition]*partitionState{}
	}
	for _, m := range msgs {
		p := Partition{m.Topic, m.Partition}
		st, ok := w.parts[p]
		switch {
		case !ok:
			// Nothing before the first message fetched is this
			// worker's to commit; the time since it was first read
			// counts as time without a commit.
			st = &partitionState{next: m.Offset, read: m.Offset - 1}
			w.parts[p] = st
			w.m.setLastCommit(p, time.Now())
		case m.Offset <= st.read:
			// Rewound: the partition is read again from the group's
			// committed offset.
			st.next = m.Offset
		case m.Offset > st.read+1 && st.next == st.read+1:
			// A gap after all that was read is committed: the partition
			// was read elsewhere meanwhile, or its offsets skip; nothing
			// in the gap is this worker's to commit. (A gap while a
			// commit is owed keeps the owed offset: the lag may then be
			// overstated, never hidden.)
			st.next = m.Offset
		}
		st.read, st.hwm = m.Offset, max(st.hwm, m.HighWaterMark)
	}
	w.setLags(msgs)
}

// committed records a batch's commit: the next offset to commit of each
// of its partitions follows its last message.
func (w *Worker) committed(msgs []Message) {
	now := time.Now()
	for _, m := range msgs {
		p := Partition{m.Topic, m.Partition}
		if st := w.parts[p]; st != nil && m.Offset+1 > st.next {
			st.next = m.Offset + 1
		}
		w.m.setLastCommit(p, now)
	}
	w.setLags(msgs)
}

// setLags sets the lag of the partitions of msgs whose high-water mark is
// known.
func (w *Worker) setLags(msgs []Message) {
	for _, m := range msgs {
		p := Partition{m.Topic, m.Partition}
		if st := w.parts[p]; st != nil && st.hwm > 0 {
			w.m.setLag(p, max(0, st.hwm-st.next))
		}
	}
}

// watchLag reads the high-water marks of the partitions of msgs every
// LagInterval until the returned function is called, and sets their lag,
// so that a batch stuck in flight shows as a lag that grows while new
// events arrive; stop keeps the marks it read for the commit's lag. It
// does nothing if the source cannot read high-water marks.
func (w *Worker) watchLag(ctx context.Context, msgs []Message) (stop func()) {
	hw, ok := w.src.(HighWaterMarker)
	if !ok || w.LagInterval <= 0 {
		return func() {}
	}
	next := map[Partition]int64{}
	for _, m := range msgs {
		p := Partition{m.Topic, m.Partition}
		next[p] = w.parts[p].next
	}
	parts := make([]Partition, 0, len(next))
	for p := range next {
		parts = append(parts, p)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	latest := map[Partition]int64{} // the goroutine's until done
	go func() {
		defer close(done)
		t := time.NewTicker(w.LagInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			marks, err := hw.HighWaterMarks(ctx, parts)
			if err != nil {
				w.log.Debug("reading high-water marks", "err", err)
				continue
			}
			for p, h := range marks {
				if n, ok := next[p]; ok && h > 0 {
					w.m.setLag(p, max(0, h-n))
					latest[p] = h
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		for p, h := range latest {
			w.parts[p].hwm = max(w.parts[p].hwm, h)
		}
	}
}
