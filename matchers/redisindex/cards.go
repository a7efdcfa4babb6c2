package redisindex

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
)

// familyCard is the key family of aid cards: field <card number hash> →
// the packed index key of the card's person, the card's state (one byte,
// cardActive or cardEnded) and its version in decimal. A card is found by
// its number, then its person's claims in the person's own bucket, each
// one key: the two lookups work on a Redis Cluster as on one server.
const familyCard = "k"

// The state byte of a card entry.
const (
	cardActive = 'a'
	cardEnded  = 'x'
)

// cardHash is the keyed hash under which card number no is mapped: a dump
// of the index does not list the numbers of live cards.
func (ix *Index) cardHash(no string) string { return ix.pseudo.Hash("card", no)[:keyDigits] }

// cardEntry is a card as its bucket holds it.
func cardEntry(indexKey, status string, version int) string {
	st := byte(cardEnded)
	if status == domain.CardActive {
		st = cardActive
	}
	return packedKey(indexKey) + string(st) + strconv.Itoa(version)
}

// MapCards writes cards to the index, as the record holds them. It is
// idempotent, and safe to run concurrently with itself and with a
// rebuild: a card the index knows ended stays ended (card.lua), whichever
// read of the record comes last. A card whose person has no index key is
// left out.
func (ix *Index) MapCards(ctx context.Context, cs []domain.Card) error {
	err := ix.withScripts(ctx, func() error {
		pipe := ix.rdb.Pipeline()
		for _, c := range cs {
			ix.mapCard(ctx, pipe, c.CardNo, c.IndexKey, c.Status, c.Version)
		}
		if pipe.Len() == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	return classify("redis: map cards", err)
}

// mapCard queues the mapping of card no, of the person of indexKey.
func (ix *Index) mapCard(ctx context.Context, pipe redis.Pipeliner, no, indexKey, status string, version int) {
	if packedKey(indexKey) == "" {
		return
	}
	key, field := ix.bucket(familyCard, ix.cardHash(no))
	cardScript.EvalSha(ctx, pipe, []string{key}, field, cardEntry(indexKey, status, version))
}

// loadCard loads a card fact in a rebuild.
func (ix *Index) loadCard(ctx context.Context, pipe redis.Pipeliner, f domain.IndexFact) {
	if v, err := strconv.Atoi(f.Cycle); err == nil {
		ix.mapCard(ctx, pipe, f.Ref, f.Key, f.State, v)
	}
}

// CardState is what the index knows of a card token.
type CardState int

// The answers of ResolveCard.
const (
	// CardUnknown: not signed by a key of ours, or a number never issued.
	CardUnknown CardState = iota
	// CardEnded: replaced or revoked.
	CardEnded
	// CardLive: the person's live card.
	CardLive
)

// ResolveCard says what the card token qr is, and whose: the person's
// index key, when the card was issued.
func (ix *Index) ResolveCard(ctx context.Context, qr string) (CardState, string, error) {
	st, err := ix.resolveCardTokens(ctx, []string{qr})
	if err != nil {
		return CardUnknown, "", err
	}
	return st[0].state, st[0].key, nil
}

type cardLookup struct {
	state CardState
	key   string
}

// resolveCardTokens verifies the tokens and looks their cards up, in one
// round trip.
func (ix *Index) resolveCardTokens(ctx context.Context, qrs []string) ([]cardLookup, error) {
	out := make([]cardLookup, len(qrs))
	claims := make([]cards.Claims, len(qrs))
	cmds := make([]*redis.StringCmd, len(qrs))
	var pipe redis.Pipeliner
	for i, qr := range qrs {
		if ix.cfg.Cards == nil {
			continue
		}
		c, err := ix.cfg.Cards.Verify(qr)
		if err != nil {
			continue
		}
		if pipe == nil {
			pipe = ix.rdb.Pipeline()
		}
		claims[i] = c
		key, field := ix.bucket(familyCard, ix.cardHash(c.CardNo))
		cmds[i] = pipe.HGet(ctx, key, field)
	}
	if pipe == nil {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, classify("redis: resolve cards", err)
	}
	for i, c := range cmds {
		if c == nil {
			continue
		}
		v, err := c.Result()
		if err != nil || len(v) < packedLen+2 {
			continue
		}
		out[i].key = unpackKey(v[:packedLen])
		version, err := strconv.Atoi(v[packedLen+1:])
		if v[packedLen] == cardActive && err == nil && version == claims[i].Version {
			out[i].state = CardLive
		} else {
			out[i].state = CardEnded
		}
	}
	return out, nil
}

// resolveCards decides the distributions that pay against a card QR which
// is not a live card of ours: REJECTED INVALID_CARD for a QR not signed by
// a key of ours or naming a card never issued, BLOCK CARD_REVOKED (with an
// alert) for a replaced or revoked card. A live card names its person,
// unless the event names one by NID or beneficiary ref, which then decide.
// It returns the outcomes left to decide.
func (ix *Index) resolveCards(ctx context.Context, outs []*domain.Outcome) ([]*domain.Outcome, error) {
	var qrs []string
	var at []int
	for i, o := range outs {
		if o.Event.Type == domain.TypeDistribution && o.Event.CardQR != "" {
			qrs = append(qrs, o.Event.CardQR)
			at = append(at, i)
		}
	}
	if len(qrs) == 0 {
		return outs, nil
	}
	found, err := ix.resolveCardTokens(ctx, qrs)
	if err != nil {
		return nil, err
	}
	done := make(map[int]bool, len(at))
	for j, i := range at {
		o, f := outs[i], found[j]
		switch f.state {
		case CardUnknown:
			d := &o.Decision
			d.Action = domain.ActionRejected
			d.Rules = append(d.Rules, domain.RuleInvalidCard)
			d.Reason = "the card QR is not a card ekjon issued: not signed by a key it holds, altered, or naming no card on record"
			o.Dead = true
			done[i] = true
		case CardEnded:
			d := &o.Decision
			d.Action = domain.ActionBlock
			d.Rules = append(d.Rules, domain.RuleCardRevoked)
			d.Reason = "the card was replaced or revoked; only the person's current card pays"
			d.PersonID = "P" + f.key
			o.WalletKey = ix.WalletKey(o.Event.Wallet)
			o.Alerts = append(o.Alerts, ix.alert(o, domain.RuleCardRevoked, d.DecidedAt))
			done[i] = true
		case CardLive:
			if o.Event.IdentityNID() == "" && o.Event.NIDSmart == "" && o.Event.BeneficiaryRef == "" {
				o.IndexKey, o.Decision.PersonID = f.key, "P"+f.key
			}
		}
	}
	if len(done) == 0 {
		return outs, nil
	}
	rest := make([]*domain.Outcome, 0, len(outs)-len(done))
	for i, o := range outs {
		if !done[i] {
			rest = append(rest, o)
		}
	}
	return rest, nil
}
