package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Worker is one consumer: it fetches a batch, has the Processor make it
// durable and published, then commits the batch's offsets. Several workers,
// in one process or many, share the input by joining one consumer group.
type Worker struct {
	src  Source
	proc *Processor
	log  *slog.Logger
	m    *Metrics
	// DrainTimeout bounds how long an in-flight batch may take to finish
	// once the worker is asked to stop.
	DrainTimeout time.Duration
}

// NewWorker returns a worker reading src.
func NewWorker(src Source, proc *Processor, log *slog.Logger, m *Metrics) *Worker {
	return &Worker{src: src, proc: proc, log: log, m: m, DrainTimeout: 10 * time.Second}
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

	if err := w.proc.Process(work, msgs); err != nil {
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
	last := make(map[[2]any]Message)
	for _, m := range msgs {
		last[[2]any{m.Topic, m.Partition}] = m
	}
	for _, m := range last {
		if m.HighWaterMark > 0 {
			w.m.setLag(m.Topic, m.Partition, max(0, m.HighWaterMark-m.Offset-1))
		}
	}
	return nil
}
