package app

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The App's own gauges, for the alerts of deploy/prometheus/alerts.yml:
// whether the index can be decided against, and how long the review
// queue has kept its oldest alert waiting.

// registered registers c with reg, or returns the collector registered
// before it under the same name, so that a part started again finds its
// gauge.
func registered[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a name taken by another kind of metric: a programming error, as with MustRegister
	}
	return c
}

func indexReadyGauge(reg prometheus.Registerer) prometheus.Gauge {
	return registered(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ekjon_index_ready",
		Help: "1 when this process finds the matching index complete, 0 when it is lost, marked incomplete or being rebuilt, or Redis does not answer: nothing is decided then. Set every second by the index guard.",
	}))
}

// noteIndexReady sets ekjon_index_ready from the index's ready marker.
// The index guard calls it on every tick; the gauge is registered on the
// first call and found on the next. While the guard rebuilds the index,
// the gauge keeps the 0 it set before.
func (a *App) noteIndexReady(ctx context.Context) {
	ready, err := a.Index.Ready(ctx)
	v := 0.0
	if err == nil && ready {
		v = 1
	}
	indexReadyGauge(a.Registry).Set(v)
}

// queueInterval is how often the review queue's gauges are read from the
// record: the alert on them counts in hours.
const queueInterval = 30 * time.Second

// watchReviewQueue keeps ekjon_review_open_alerts and
// ekjon_review_oldest_open_alert_age_seconds up to date from the record
// until ctx ends. Every process reports the same queue, which all share.
func (a *App) watchReviewQueue(ctx context.Context) error {
	open := registered(a.Registry, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ekjon_review_open_alerts",
		Help: "Alerts waiting for a reviewer (open, assigned or escalated), read from the record every 30 s.",
	}))
	age := registered(a.Registry, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ekjon_review_oldest_open_alert_age_seconds",
		Help: "How long the oldest alert waiting for a reviewer has waited; 0 when none waits. Read from the record every 30 s.",
	}))
	t := time.NewTicker(queueInterval)
	defer t.Stop()
	for {
		n, oldest, err := a.Store.OpenAlerts(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			// The gauges keep their last values; /readyz and the
			// pipeline's own retries show a record that does not answer.
			a.log.Warn("reading the review queue's age", "err", err)
		case err == nil:
			waited := 0.0
			if n > 0 {
				waited = max(0, time.Since(oldest).Seconds())
			}
			open.Set(float64(n))
			age.Set(waited)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
