package backfill

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
)

// lateRecorder is the record as the backfill's processor sees it: Write
// hands a batch's decisions to a goroutine that writes them while the
// processor decides the next batch, and returns at once, so that
// PostgreSQL's work on one batch overlaps Redis's and ekjon's on the next.
//
// The next batch is decided as it would be had the write been done:
//   - what deciding reads of the index is the same, since the processor
//     writes a batch's claims (decide) and name-token counts (remember)
//     before it returns, whether the record is written or not;
//   - what it reads of the record is the decisions already taken of its
//     own event ids (the processor's lookup), and Decisions waits for the
//     write in flight when it holds one of the ids asked for (the same
//     event, or the same id, on both sides of a batch boundary);
//   - one write is in flight at a time, in the order of the batches.
//
// A backfill does not need the record's answer to go on: only one runs,
// so no other worker records its events first. Should a write fail, or
// find an event recorded by someone else, nothing further is written and
// the failure is kept (failed): the backfill then rebuilds the index from
// the record and decides again from its checkpoint, one batch at a time,
// as a resumed run does. A checkpoint (checkpoint) is saved only once
// every write before it is durable.
type lateRecorder struct {
	pipeline.Recorder
	// ctx is the backfill's: a write goes on after the batch that asked
	// for it is done.
	ctx  context.Context
	save func(ctx context.Context, done int) error

	mu  sync.Mutex
	w   *lateWrite    // the last write started, or nil
	ck  chan struct{} // closed when the last checkpoint asked for is saved
	err error         // the first failure
}

// lateWrite is one batch's write.
type lateWrite struct {
	ids  map[string]bool
	done chan struct{}
	err  error
}

// errLate wraps the failure of a write made late.
type errLate struct{ err error }

func (e *errLate) Error() string { return "recording a batch: " + e.err.Error() }
func (e *errLate) Unwrap() error { return e.err }

func newLateRecorder(ctx context.Context, rec pipeline.Recorder, save func(ctx context.Context, done int) error) *lateRecorder {
	ck := make(chan struct{})
	close(ck)
	return &lateRecorder{Recorder: rec, ctx: ctx, save: save, ck: ck}
}

// failed returns the first failure of a write or checkpoint, or nil.
func (l *lateRecorder) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return &errLate{l.err}
	}
	return nil
}

func (l *lateRecorder) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.mu.Unlock()
}

// Write starts writing outs once the write before has finished, and
// returns without waiting for it. After a failure it writes nothing.
func (l *lateRecorder) Write(ctx context.Context, outs []domain.Outcome, generation int64) (map[string]domain.Decision, error) {
	l.mu.Lock()
	prev := l.w
	l.mu.Unlock()
	if prev != nil {
		select {
		case <-prev.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if l.failed() != nil {
		return nil, nil
	}
	w := &lateWrite{ids: make(map[string]bool, len(outs)), done: make(chan struct{})}
	for i := range outs {
		if !outs[i].Redelivered {
			w.ids[outs[i].Decision.EventID] = true
		}
	}
	l.mu.Lock()
	l.w = w
	l.mu.Unlock()
	go func() {
		defer close(w.done)
		lost, err := l.Recorder.Write(l.ctx, outs, generation)
		if err == nil && len(lost) > 0 {
			err = fmt.Errorf("%d events were recorded by another worker meanwhile", len(lost))
		}
		if err != nil {
			w.err = err
			l.fail(err)
		}
	}()
	return nil, nil
}

// Decisions is the record's, once the write in flight is durable if it
// holds one of ids.
func (l *lateRecorder) Decisions(ctx context.Context, ids []string) (map[string]domain.Decision, error) {
	l.mu.Lock()
	w := l.w
	l.mu.Unlock()
	if w != nil {
		for _, id := range ids {
			if w.ids[id] {
				select {
				case <-w.done:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				break
			}
		}
	}
	return l.Recorder.Decisions(ctx, ids)
}

// checkpoint saves done as the backfill's checkpoint once every write
// started so far is durable, after the checkpoints asked for before.
func (l *lateRecorder) checkpoint(done int) {
	l.mu.Lock()
	w, prev := l.w, l.ck
	ck := make(chan struct{})
	l.ck = ck
	l.mu.Unlock()
	go func() {
		defer close(ck)
		<-prev
		if w != nil {
			<-w.done
		}
		if l.failed() != nil || l.ctx.Err() != nil {
			return
		}
		if err := l.save(l.ctx, done); err != nil {
			l.fail(err)
		}
	}()
}

// flush waits for every write and checkpoint started, and returns the
// first failure.
func (l *lateRecorder) flush() error {
	l.mu.Lock()
	w, ck := l.w, l.ck
	l.mu.Unlock()
	if w != nil {
		<-w.done
	}
	<-ck
	return l.failed()
}

// isLate reports whether err is the failure of a write made late.
func isLate(err error) bool {
	var e *errLate
	return errors.As(err, &e)
}
