package app

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// ScanTopic is the origin the scan API gives the events its scans make, in
// place of a Kafka topic.
const ScanTopic = "api.scans"

// cardService is api.CardService over the record, the index and a
// processor of its own: a scan is decided by the same stages as a
// distribution from Kafka, against the same claims, and recorded with its
// decision in the outbox, which the outbox relay publishes. Scans that
// arrive together are decided together, in a group (pipeline.Group), as a
// batch from Kafka is.
type cardService struct {
	store  *postgres.Store
	index  *redisindex.Index
	keys   *cards.Keyring
	scans  *pipeline.Group
	policy domain.Policy
	log    *slog.Logger
	// anomalies counts the cards a verify finds invalid, as the scans'
	// are; nil when the decider has none.
	anomalies *pipeline.Anomalies
}

// outboxNotifier is the scan processor's Publisher: the decisions are
// already in the outbox (postgres.Store.Outboxed), so publishing is
// waking the relay.
type outboxNotifier struct{ notify func() }

func (n outboxNotifier) Publish(context.Context, []domain.Outcome) error {
	n.notify()
	return nil
}

// withoutAlerts publishes outcomes without their alerts, which the record
// put in the outbox (postgres.Store.AlertsOutboxed), and wakes the relay
// that publishes them.
type withoutAlerts struct {
	pub    pipeline.Publisher
	notify func()
}

func (w withoutAlerts) Publish(ctx context.Context, outs []domain.Outcome) error {
	bare := make([]domain.Outcome, len(outs))
	alerts := false
	for i := range outs {
		bare[i] = outs[i]
		bare[i].Alerts = nil
		alerts = alerts || len(outs[i].Alerts) > 0
	}
	if alerts {
		w.notify()
	}
	return w.pub.Publish(ctx, bare)
}

// newCardService builds the card service. notify wakes the outbox relay.
func (a *App) newCardService(m *pipeline.Metrics, notify func()) *cardService {
	pcfg := pipeline.DefaultConfig()
	pcfg.Policy, pcfg.MaxEventBytes = a.policy, a.cfg.Pipeline.MaxEventBytes
	pcfg.Digest = func(content []byte) string { return a.pseudo.Hash("content", string(scanContent(content))) }
	// The scans are decided as the stream's hand-outs are, distributor
	// anomalies included; their scope the API has checked already.
	dec := a.decider
	var anomalies *pipeline.Anomalies
	if an, ok := dec.(*pipeline.Anomalies); ok {
		scans := *an
		scans.Scopes = nil
		dec, anomalies = &scans, &scans
	}
	proc := pipeline.NewProcessor(pcfg, dec, a.Store.Outboxed(), outboxNotifier{notify}, a.log.With("part", "scans"), m)
	scans := pipeline.NewGroup(proc, pipeline.GroupConfig{MaxSize: a.cfg.Pipeline.ScanGroupSize, InFlight: a.cfg.Pipeline.ScanGroups})
	return &cardService{store: a.Store, index: a.Index, keys: a.cfg.CardKeyring(), scans: scans, policy: a.policy, log: a.log,
		anomalies: anomalies}
}

// scanContent is a scan's event without the time it was made: a retried
// scan is the same scan, whenever it arrives, so that it finds its
// decision rather than being taken for another event under its id.
func scanContent(content []byte) []byte {
	var e domain.Event
	if json.Unmarshal(content, &e) != nil {
		return content
	}
	e.OccurredAt = ""
	b, err := json.Marshal(&e)
	if err != nil {
		return content
	}
	return b
}

func (s *cardService) Policy() domain.Policy { return s.policy }

func (s *cardService) CardOf(ctx context.Context, personID string) (domain.Card, error) {
	return s.store.CardOf(ctx, personID)
}

func (s *cardService) Token(c domain.Card) string { return s.keys.Sign(c.CardNo, c.Version) }

func (s *cardService) ReplaceCard(ctx context.Context, personID, actor, reason string) (domain.Card, error) {
	c, err := s.store.ReplaceCard(ctx, personID, actor, reason)
	if err != nil {
		return c, err
	}
	return c, s.flushCards(ctx)
}

func (s *cardService) RevokeCard(ctx context.Context, personID, actor, reason string) (domain.Card, error) {
	c, err := s.store.RevokeCard(ctx, personID, actor, reason)
	if err != nil {
		return c, err
	}
	return c, s.flushCards(ctx)
}

func (s *cardService) CardSheet(ctx context.Context, union string, programmes []string, limit int) ([]api.SheetCard, error) {
	list, err := s.store.CardSheet(ctx, union, programmes, limit)
	if err != nil {
		return nil, err
	}
	out := make([]api.SheetCard, len(list))
	for i, c := range list {
		out[i] = api.SheetCard{PersonID: c.PersonID, CardNo: c.CardNo, Version: c.Version, NameBN: c.NameBN, NameEN: c.NameEN,
			Union: c.Union, Upazila: c.Upazila, QR: s.Token(c.Card)}
	}
	return out, nil
}

func (s *cardService) ResolveCard(ctx context.Context, qr string) (string, bool, error) {
	st, key, err := s.index.ResolveCard(ctx, qr)
	if err != nil || st == redisindex.CardUnknown {
		return "", false, err
	}
	return "P" + key, st == redisindex.CardLive, nil
}

func (s *cardService) CardHolder(ctx context.Context, personID, programme, cycle string) (domain.CardHolder, error) {
	return s.store.CardHolder(ctx, personID, programme, cycle)
}

func (s *cardService) DistributorScope(ctx context.Context, username string) (domain.DistributorScope, error) {
	return s.store.DistributorScope(ctx, username)
}

func (s *cardService) RecordRefusal(ctx context.Context, d domain.Decision, a domain.Alert) error {
	return s.store.RecordRefusal(ctx, d, a)
}

// Scan decides the distribution e in the scan group. The message's
// offset is a hash of the scan's content, so that a scan reusing another's
// id is rejected under coordinates that its own retries share.
func (s *cardService) Scan(ctx context.Context, e *domain.Event) (domain.Outcome, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return domain.Outcome{}, err
	}
	h := fnv.New64a()
	h.Write(scanContent(b))
	m := pipeline.Message{Topic: ScanTopic, Offset: int64(h.Sum64() >> 1), Key: []byte(e.EventID), Value: b, Time: time.Now()}
	return s.scans.Do(ctx, m)
}

// CountInvalidCard counts a card a verify found invalid toward
// DISTRIBUTOR_INVALID_CARDS, as a scan's is; past the limit the verify is
// recorded, REJECTED, with the distributor's alert for the hour (once),
// both in the outbox. e is the verify's event, its id its own.
func (s *cardService) CountInvalidCard(ctx context.Context, e *domain.Event) error {
	if s.anomalies == nil || domain.Validate(e, s.policy) != nil {
		return nil
	}
	o := &domain.Outcome{Event: e, Decision: domain.Decision{EventID: e.EventID, EventType: e.Type, Source: e.Source,
		Programme: e.Programme, Action: domain.ActionRejected, Rules: []string{domain.RuleInvalidCard},
		Reason:    "verified a card QR that is not a card ekjon issued",
		DecidedAt: time.Now().UTC().Truncate(time.Microsecond), ConfigVersion: s.policy.Version}}
	if err := s.anomalies.InvalidCards(ctx, []*domain.Outcome{o}); err != nil || len(o.Alerts) == 0 {
		return err
	}
	return s.store.RecordRefusal(ctx, o.Decision, o.Alerts[0])
}

// flushCards has the index hold every card change the record holds.
func (s *cardService) flushCards(ctx context.Context) error {
	for {
		cs, err := s.store.PendingCards(ctx, 500)
		if err != nil || len(cs) == 0 {
			return err
		}
		if err := s.index.MapCards(ctx, cs); err != nil {
			return err
		}
		if err := s.store.MarkCardsIndexed(ctx, cs); err != nil {
			return err
		}
		if len(cs) < 500 {
			return nil
		}
	}
}

// runCardIndexer maps the cards issued on admission, and any change the
// API could not map at once, into the index, until ctx ends.
func (s *cardService) runCardIndexer(ctx context.Context) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if err := s.flushCards(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("mapping cards into the index failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
