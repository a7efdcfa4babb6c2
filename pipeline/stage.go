package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// A step is one piece of work on a batch. Its name labels its time in the
// stage histogram.
type step struct {
	name string
	run  func(context.Context) error
}

// stage runs steps in order as one unit of retry; every stage of Process
// runs through it, so that timing, counting, logging and backing off are
// done alike. Each step that succeeds has its time observed under its own
// name. When a step fails, the failure and its retry are counted, by
// kind, under the failing step's name and, if ShouldRetry allows (or always, when must is set),
// the unit runs again from its first step after a backoff from RetryMin
// doubling up to RetryMax, with jitter; steps must therefore be safe to run
// again. stage returns nil once every step has succeeded, ctx's error as
// soon as ctx ends, and a *stageFailure when a failure is not retried.
func (p *Processor) stage(ctx context.Context, must bool, steps ...step) error {
	wait := p.cfg.RetryMin
	for attempt := 0; ; attempt++ {
		name, err := p.attempt(ctx, steps)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		kind := domain.KindOf(err).String()
		p.m.failed.WithLabelValues(name, kind).Inc()
		var again *decideAgain
		if !must && !p.cfg.ShouldRetry(err) && !errors.As(err, &again) {
			return &stageFailure{stage: name, err: err}
		}
		p.m.retries.WithLabelValues(name).Inc()
		if attempt == 0 || attempt%10 == 0 {
			p.log.Warn("stage failed; retrying", "stage", name, "attempt", attempt+1, "kind", kind, "err", domain.Redact(err.Error()))
		}
		sleep := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		wait = min(wait*2, p.cfg.RetryMax)
	}
}

// attempt runs steps once, in order, timing each that succeeds; on a
// failure it returns the failing step's name.
func (p *Processor) attempt(ctx context.Context, steps []step) (string, error) {
	for _, s := range steps {
		t := time.Now()
		if err := s.run(ctx); err != nil {
			return s.name, err
		}
		p.m.stage.WithLabelValues(s.name).Observe(time.Since(t).Seconds())
	}
	return "", nil
}

// decideAgain is a failure worth deciding the batch again for, whatever
// its kind: the record refused a decision the index allowed, and the index
// is being rebuilt from the record.
type decideAgain struct{ err error }

func (d *decideAgain) Error() string { return d.err.Error() }
func (d *decideAgain) Unwrap() error { return d.err }

// stageFailure is a failure ShouldRetry refused: the batch, not a
// dependency, is at fault.
type stageFailure struct {
	stage string
	err   error
}

func (f *stageFailure) Error() string { return f.stage + ": " + f.err.Error() }
func (f *stageFailure) Unwrap() error { return f.err }

// Transient is the default ShouldRetry: a dependency's hiccup (a timeout,
// a dropped connection, a serialisation failure, an index being rebuilt)
// is worth another attempt; invalid input and unexpected errors are not.
func Transient(err error) bool { return domain.KindOf(err) == domain.KindTransient }
