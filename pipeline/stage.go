package pipeline

import (
	"context"
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
// name. When a step fails, the failure is counted by kind under the first
// step's name and, if tryAgain allows, the unit runs again from its first
// step after a backoff from RetryMin doubling up to RetryMax, with jitter;
// steps must therefore be safe to run again. stage returns nil once every
// step has succeeded, ctx's error as soon as ctx ends, and the step's error
// when tryAgain refuses it.
func (p *Processor) stage(ctx context.Context, steps ...step) error {
	wait := p.cfg.RetryMin
	for attempt := 0; ; attempt++ {
		err := p.attempt(ctx, steps)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name, kind := steps[0].name, domain.KindOf(err).String()
		p.m.failed.WithLabelValues(name, kind).Inc()
		if !p.tryAgain(err) {
			return err
		}
		p.m.retries.WithLabelValues(name).Inc()
		if attempt == 0 || attempt%10 == 0 {
			p.log.Warn("stage failed; retrying", "stage", name, "attempt", attempt+1, "kind", kind, "err", err)
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

// attempt runs steps once, in order, timing each that succeeds.
func (p *Processor) attempt(ctx context.Context, steps []step) error {
	for _, s := range steps {
		t := time.Now()
		if err := s.run(ctx); err != nil {
			return err
		}
		p.m.stage.WithLabelValues(s.name).Observe(time.Since(t).Seconds())
	}
	return nil
}

// retryPermanent keeps retrying the failures ShouldRetry calls permanent.
// A batch cannot yet be set aside without losing its events, and returning
// the error would stop the worker, so such a failure pauses the consumer
// until its cause is fixed, as a dependency's outage does.
const retryPermanent = true

// tryAgain is the one place that decides whether a failed stage runs
// again: when ShouldRetry says the failure is worth it, and for now
// otherwise too (see retryPermanent).
func (p *Processor) tryAgain(err error) bool {
	return p.cfg.ShouldRetry(err) || retryPermanent
}

// Transient is the default ShouldRetry: a dependency's hiccup (a timeout,
// a dropped connection, a serialisation failure) is worth another attempt.
func Transient(err error) bool { return domain.KindOf(err) == domain.KindTransient }
