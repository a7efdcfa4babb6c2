package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/pipeline"
)

// testCards is the CardService of the tests of this package: the record
// and an index that reads card tokens, with scans decided by a processor
// of their own that records to the outbox, as the service's is wired in
// cmd/ekjon.
type testCards struct {
	e      *env
	index  *redisindex.Index
	keys   *cards.Keyring
	proc   *pipeline.Processor
	group  *pipeline.Group
	policy domain.Policy
}

// withCards has e's review serve cards and scans through a testCards.
// Call it before mounting the review.
func (e *env) withCards() *testCards { return e.withCardsGrouped(pipeline.DefaultGroupConfig()) }

// withCardsGrouped is withCards with scans grouped as gcfg says.
func (e *env) withCardsGrouped(gcfg pipeline.GroupConfig) *testCards {
	e.t.Helper()
	policy := domain.DefaultPolicy()
	keys := cards.DerivedKeyring("test-card-secret")
	ix := redisindex.New(e.rdb, e.pseudo, redisindex.Config{Prefix: e.prefix, Policy: policy, Cards: keys})
	pcfg := pipeline.DefaultConfig()
	pcfg.Digest = scanDigest
	proc := pipeline.NewProcessor(pcfg, ix, e.store.Outboxed(), outboxWake{}, quietLog(),
		pipeline.NewMetrics(prometheus.NewRegistry()))
	tc := &testCards{e: e, index: ix, keys: keys, proc: proc, group: pipeline.NewGroup(proc, gcfg), policy: policy}
	e.rv.SetCards(tc)
	return tc
}

// scanDigest fingerprints a scan without the time it was made, as the
// service does, so that a retried scan is the same scan and another scan
// under its id is not.
func scanDigest(content []byte) string {
	var ev domain.Event
	if json.Unmarshal(content, &ev) == nil {
		ev.OccurredAt, ev.Occurred = "", time.Time{}
		if b, err := json.Marshal(&ev); err == nil {
			content = b
		}
	}
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// newServed serves e's review again, mounted anew so that it serves what
// was set on it since (cards, reports), and has e's calls go there.
func newServed(t testing.TB, e *env) *httptest.Server {
	r := chi.NewRouter()
	e.rv.Mount(r)
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	return e.srv
}

// outboxWake publishes nothing: the scans' decisions are in the outbox.
type outboxWake struct{}

func (outboxWake) Publish(context.Context, []domain.Outcome) error { return nil }

func (c *testCards) Policy() domain.Policy { return c.policy }

func (c *testCards) CardOf(ctx context.Context, personID string) (domain.Card, error) {
	return c.e.store.CardOf(ctx, personID)
}

func (c *testCards) Token(card domain.Card) string { return c.keys.Sign(card.CardNo, card.Version) }

func (c *testCards) ReplaceCard(ctx context.Context, personID, actor, reason string) (domain.Card, error) {
	card, err := c.e.store.ReplaceCard(ctx, personID, actor, reason)
	if err != nil {
		return card, err
	}
	return card, c.flush(ctx)
}

func (c *testCards) RevokeCard(ctx context.Context, personID, actor, reason string) (domain.Card, error) {
	card, err := c.e.store.RevokeCard(ctx, personID, actor, reason)
	if err != nil {
		return card, err
	}
	return card, c.flush(ctx)
}

// flush maps every card change the record holds into the index.
func (c *testCards) flush(ctx context.Context) error {
	cs, err := c.e.store.PendingCards(ctx, 1000)
	if err == nil {
		err = c.index.MapCards(ctx, cs)
	}
	if err == nil {
		err = c.e.store.MarkCardsIndexed(ctx, cs)
	}
	return err
}

func (c *testCards) CardSheet(ctx context.Context, union string, programmes []string, limit int) ([]SheetCard, error) {
	list, err := c.e.store.CardSheet(ctx, union, programmes, limit)
	out := make([]SheetCard, len(list))
	for i, s := range list {
		out[i] = SheetCard{PersonID: s.PersonID, CardNo: s.CardNo, Version: s.Version, NameBN: s.NameBN, NameEN: s.NameEN,
			Union: s.Union, Upazila: s.Upazila, QR: c.Token(s.Card)}
	}
	return out, err
}

func (c *testCards) ResolveCard(ctx context.Context, qr string) (string, bool, error) {
	st, key, err := c.index.ResolveCard(ctx, qr)
	if err != nil || st == redisindex.CardUnknown {
		return "", false, err
	}
	return "P" + key, st == redisindex.CardLive, nil
}

func (c *testCards) CardHolder(ctx context.Context, personID, programme, cycle string) (domain.CardHolder, error) {
	return c.e.store.CardHolder(ctx, personID, programme, cycle)
}

func (c *testCards) DistributorScope(ctx context.Context, username string) (domain.DistributorScope, error) {
	return c.e.store.DistributorScope(ctx, username)
}

func (c *testCards) RecordRefusal(ctx context.Context, d domain.Decision, a domain.Alert) error {
	return c.e.store.RecordRefusal(ctx, d, a)
}

// CountInvalidCard counts as the service's does, at the default limit.
func (c *testCards) CountInvalidCard(ctx context.Context, e *domain.Event) error {
	if domain.Validate(e, c.policy) != nil {
		return nil
	}
	a := &pipeline.Anomalies{Counter: c.index, Config: pipeline.AnomalyConfig{Policy: c.policy, InvalidCardsPerHour: 3}}
	o := &domain.Outcome{Event: e, Decision: domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source,
		Programme: e.Programme, Action: domain.ActionRejected, Rules: []string{domain.RuleInvalidCard}, DecidedAt: time.Now()}}
	if err := a.InvalidCards(ctx, []*domain.Outcome{o}); err != nil || len(o.Alerts) == 0 {
		return err
	}
	return c.e.store.RecordRefusal(ctx, o.Decision, o.Alerts[0])
}

func (c *testCards) Scan(ctx context.Context, ev *domain.Event) (domain.Outcome, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return domain.Outcome{}, err
	}
	// The offset names the scan's content, as the service's does, so that
	// a scan rejected for reusing an id is rejected again, under the same
	// coordinates, when it is retried.
	h := fnv.New64a()
	h.Write([]byte(scanDigest(b)))
	return c.group.Do(ctx, pipeline.Message{Topic: "api.scans", Offset: int64(h.Sum64() >> 1), Key: []byte(ev.EventID), Value: b, Time: time.Now()})
}
