package redisindex_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// TestClaimsWaitForReplicas: an index told to wait for a replica decides
// nothing while the master has none (a transient error: the batch is
// decided again), and decides the batch, finding its own claims, once a
// replica has them.
func TestClaimsWaitForReplicas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	master := redistest.StartServer(t, redistest.ServerOptions{})
	replica := redistest.StartServer(t, redistest.ServerOptions{})
	mc, rc := master.Client(t), replica.Client(t)
	ix := redisindex.New(mc, fencePseudo, redisindex.Config{Prefix: "ekj:", Policy: domain.DefaultPolicy(),
		Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8, WaitReplicas: 1, WaitTimeout: 100 * time.Millisecond})
	if err := ix.LoadScripts(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ix.MarkReady(ctx, 1); err != nil {
		t.Fatal(err)
	}
	o := enrol("e1", "1234567890", "old_age", "")
	_, err := ix.Decide(ctx, []*domain.Outcome{o})
	if domain.KindOf(err) != domain.KindTransient || !strings.Contains(err.Error(), "replicas") {
		t.Fatalf("decided with no replica: %v (kind %v), want a transient shortfall", err, domain.KindOf(err))
	}

	host, port, _ := net.SplitHostPort(master.Addr())
	if err := rc.ReplicaOf(ctx, host, port).Err(); err != nil {
		t.Fatal(err)
	}
	for {
		info, err := rc.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the replica never caught up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	o = enrol("e1", "1234567890", "old_age", "")
	if _, err := ix.Decide(ctx, []*domain.Outcome{o}); err != nil {
		t.Fatal(err)
	}
	if verdict(o) != "ADMIT []" {
		t.Fatalf("decided again with a replica: %s", verdict(o))
	}
	key, _ := ix.Identify(o.Event)
	replicated := redisindex.New(rc, fencePseudo, redisindex.Config{Prefix: "ekj:", BucketBits: 8})
	if f, err := replicated.PersonFields(ctx, key); err != nil || f["e:old_age"] == "" {
		t.Fatalf("the replica lacks the claim: %v, %v", f, err)
	}
}
