package redisindex_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// roundTrips is a go-redis hook that notes each round trip to Redis: one
// command, or one pipeline, by the names of its commands.
type roundTrips struct {
	mu    sync.Mutex
	trips []string
}

func (h *roundTrips) note(cmds []redis.Cmder) {
	names := make([]string, 0, len(cmds))
	for _, c := range cmds {
		if n := c.Name(); len(names) == 0 || !strings.HasSuffix(names[len(names)-1], n) {
			names = append(names, n)
		}
	}
	h.mu.Lock()
	h.trips = append(h.trips, strings.Join(names, ","))
	h.mu.Unlock()
}

func (h *roundTrips) reset() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.trips
	h.trips = nil
	return t
}

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		h.note([]redis.Cmder{c})
		return next(ctx, c)
	}
}
func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.note(cmds)
		return next(ctx, cmds)
	}
}

// maxBatchRoundTrips is what TestBatchRoundTrips's batch takes: its
// look-ups with the ready marker, the links', refs' and events' claims,
// the fuzzy blocks, and the closing check of marker and server.
const maxBatchRoundTrips = 6

// TestBatchRoundTrips: a batch of enrolments and payments, none of them
// tangled, reaches Redis in a bounded number of round trips, one after
// another: each is waited for, so each adds to every event's latency.
// The ready marker is read with the batch's first look-ups, and the check
// that the index is still the one the batch began against (the marker
// again, and the server's run id) takes one round trip, not one each.
func TestBatchRoundTrips(t *testing.T) {
	rdb, prefix := redistest.MustClient(t)
	cfg := redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig()}
	ix := redisindex.MustReady(t, redisindex.New(rdb, domain.NewPseudonymizer([]byte("test-secret-0123456789")), cfg))
	var first []*domain.Outcome
	for i := range 20 {
		first = append(first, named(enrol(fmt.Sprintf("e%d", i), fmt.Sprintf("%d", 1000000000+i), "old_age", fmt.Sprintf("0171%07d", i)), i))
	}
	decide(t, ix, first...)

	h := &roundTrips{}
	rdb.AddHook(h)
	var outs []*domain.Outcome
	for i := range 20 {
		outs = append(outs, pay(fmt.Sprintf("p%d", i), fmt.Sprintf("%d", 1000000000+i), "old_age", "2026-11", fmt.Sprintf("0171%07d", i), t0))
		outs = append(outs, named(enrol(fmt.Sprintf("n%d", i), fmt.Sprintf("%d", 2000000000+i), "old_age", fmt.Sprintf("0181%07d", i)), 100+i))
	}
	if _, err := ix.Decide(context.Background(), outs); err != nil {
		t.Fatal(err)
	}
	trips := h.reset()
	for i, tr := range trips {
		t.Logf("round trip %d: %s", i+1, tr)
	}
	if n := len(trips); n > maxBatchRoundTrips {
		t.Errorf("a batch took %d round trips to Redis, want at most %d", n, maxBatchRoundTrips)
	}
	for _, o := range outs {
		if o.Decision.Action != domain.ActionAdmit {
			t.Fatalf("%s: %s, want ADMIT", o.Event.EventID, verdict(o))
		}
	}
}

// names are persons' names far enough apart that no two are taken for one.
var names = []string{"Rafiqul", "Nasrin", "Abdul", "Fatema", "Kamal", "Shirin", "Jamal", "Rokeya", "Habib", "Salma"}

// named gives an enrolment's person a name of their own, from n.
func named(o *domain.Outcome, n int) *domain.Outcome {
	o.Event.Person.NameEN = names[n%10] + " " + names[(n/10)%10] + "uddin " + names[(n/100)%10] + "pur"
	return o
}
