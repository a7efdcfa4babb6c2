package app

import (
	"context"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// mountReview mounts the reviewers' JSON API and web UI on the App's HTTP
// server and starts what they need. It is called by New once the record,
// the index and the publisher are up.
func (a *App) mountReview(ctx context.Context) error {
	log := a.log.With("part", "outbox-relay")
	// The relay applies a reviewer's index change only once the index is
	// ready at the generation the review saw (Index.ReadyGeneration).
	relay := review.NewRelay(a.Store, a.pub, a.Index, a.Index, log, api.NewRelayMetrics(a.Registry))
	a.notifyOutbox = relay.Notify
	rc := api.DefaultConfig()
	rc.SecureCookies, rc.SessionTTL = a.cfg.HTTP.SecureCookies, a.cfg.HTTP.SessionTTL
	rc.Policy = a.policy
	// Validate has parsed them already.
	rc.TrustedProxies, _ = a.cfg.HTTP.Proxies()
	rv, err := api.NewReview(a.Store, a.Store, relay.Notify, a.log.With("part", "review"), a.Registry, rc)
	if err != nil {
		return err
	}
	rv.SetDistributionReports(postgres.Reports{Store: a.Store, Policy: a.policy, Grace: a.cfg.Rules.CycleGrace})
	cs := a.newCardService(a.metrics, relay.Notify)
	a.Cards = cs
	rv.SetCards(cs)
	rv.Mount(a.server.Router)
	a.background = append(a.background, relay.Run, a.watchReviewQueue, cs.runCardIndexer)
	return nil
}
