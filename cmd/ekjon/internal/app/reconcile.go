package app

import (
	"context"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// reconcile raises the reconciliation's alerts every ReconcileEvery until
// ctx ends. Every process may run it: each alert is raised once, by
// whichever gets there first. A failure is logged and tried again at the
// next tick; it never stops the process.
func (a *App) reconcile(ctx context.Context) error {
	every := a.cfg.Rules.ReconcileEvery
	if every <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := a.ReconcileOnce(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("reconciling allocations", "err", domain.Redact(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ReconcileOnce raises the alerts the reconciliation calls for now and
// returns those it raised.
func (a *App) ReconcileOnce(ctx context.Context) ([]domain.Alert, error) {
	raised, err := a.Store.RaiseReconciliationAlerts(ctx, a.policy, a.cfg.Rules.CycleGrace, time.Now())
	if len(raised) > 0 {
		a.log.Info("the reconciliation raised alerts", "alerts", len(raised))
		if a.notifyOutbox != nil {
			a.notifyOutbox() // they wait in the outbox
		}
	}
	return raised, err
}

// CycleGrace is how long after its period a cycle closes (--cycle-grace).
func (a *App) CycleGrace() time.Duration { return a.cfg.Rules.CycleGrace }
