package redisindex_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// TestRestartFromOlderSnapshotIsFound: Redis saves a snapshot, takes more
// claims, and restarts from the snapshot. The ready marker, saved with
// it, survives, but the claims since are gone: the index must not be
// trusted, and a rebuild from the record brings them back.
func TestRestartFromOlderSnapshotIsFound(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{Persistence: redistest.Snapshot})
	rdb := srv.Client(t)
	f := newFencedOn(t, rdb, "ekj:")
	ctx, ix, store := f.ctx, f.ix, f.store
	trusted := func(when string) string {
		t.Helper()
		reason, err := ix.Verify(ctx, store.Generation)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		return reason
	}
	if r := trusted("after the rebuild"); r != "" {
		t.Fatalf("a fresh index is not trusted: %s", r)
	}

	var conflicts atomic.Int64
	f.decideAndWrite([]domain.Outcome{f.enrolment("before", 1, "old_age")}, &conflicts)
	if err := rdb.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	f.decideAndWrite([]domain.Outcome{f.enrolment("after", 2, "old_age")}, &conflicts)
	if r := trusted("before the restart"); r != "" {
		t.Fatalf("the index is not trusted before the restart: %s", r)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}

	if ok, err := ix.Ready(ctx); err != nil || !ok {
		t.Fatalf("after the restart ready = %v, %v; the snapshot kept the marker", ok, err)
	}
	claim := func(i int) string {
		t.Helper()
		key, _ := ix.Identify(&domain.Event{Type: domain.TypeEnrolment, Person: fencedPerson(i)})
		fields, err := ix.PersonFields(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return fields["e:old_age"]
	}
	if claim(1) == "" || claim(2) != "" {
		t.Fatalf("after the restart: claim before the snapshot %q, after it %q; want the first only", claim(1), claim(2))
	}
	r := trusted("after the restart")
	if r == "" {
		t.Fatal("an index that lost its claims since the snapshot is trusted")
	}
	if !strings.Contains(r, "restarted") {
		t.Errorf("reason %q does not say Redis restarted", r)
	}

	f.rebuild(ix)
	if claim(2) == "" {
		t.Fatal("the rebuild did not bring back the claim made after the snapshot")
	}
	if r := trusted("after the rebuild"); r != "" {
		t.Fatalf("the rebuilt index is not trusted: %s", r)
	}
	if conflicts.Load() != 0 {
		t.Fatalf("%d conflicts", conflicts.Load())
	}
}

// restartBeforeClaims is a go-redis hook that restarts the server once,
// just before the first pipeline that runs a script: after Decide has read
// the ready marker, before it claims.
type restartBeforeClaims struct {
	srv  *redistest.Server
	done atomic.Bool
	t    *testing.T
}

func (h *restartBeforeClaims) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *restartBeforeClaims) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (h *restartBeforeClaims) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if name := c.Name(); (name == "evalsha" || name == "eval") && h.done.CompareAndSwap(false, true) {
				if err := h.srv.Restart(); err != nil {
					h.t.Errorf("restart: %v", err)
				}
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestRestartInTheMiddleOfABatch: Redis restarts, losing everything, after
// a batch has found the index ready and before its claims run. The claims
// then meet an empty index (the scripts are reloaded as after any
// restart); the batch must not come out decided against it — a payment to
// an enrolled person blocked as UNKNOWN_PAYEE — but wait for the rebuild.
func TestRestartInTheMiddleOfABatch(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{Persistence: redistest.NoPersistence})
	rdb := srv.Client(t)
	f := newFencedOn(t, rdb, "ekj:")
	var conflicts atomic.Int64
	f.decideAndWrite([]domain.Outcome{f.enrolment("e1", 1, "old_age")}, &conflicts)

	rdb.AddHook(&restartBeforeClaims{srv: srv, t: t})
	pay := &domain.Event{EventID: "pay1", Type: domain.TypeDistribution, Source: "test", Programme: "old_age",
		Cycle: "2026-11", NID: fencedPerson(1).NID, Amount: 500, OccurredAt: "2026-11-05T10:00:00Z"}
	if err := domain.Validate(pay, domain.DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	o := &domain.Outcome{Event: pay, Decision: domain.Decision{EventID: pay.EventID, Rules: []string{}}}
	_, err := f.ix.Decide(f.ctx, []*domain.Outcome{o})
	if err == nil {
		t.Fatalf("decided %s %v against an index Redis lost in the middle of the batch", o.Decision.Action, o.Decision.Rules)
	}
	if domain.KindOf(err) != domain.KindTransient {
		t.Fatalf("error %v is %v, want transient (the batch waits for the rebuild)", err, domain.KindOf(err))
	}
}
