package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// TestRulesAcrossProcesses runs the end-to-end rules and the race of one
// NID on two partitions with the workers as `ekjon run` processes, as a
// deployment has them: two in one consumer group on topics of four
// partitions. After the racing enrolments are sent a third worker joins
// and the first leaves (SIGTERM), so the partitions are revoked and
// reassigned before the racing payments; every event must still get the
// decision one worker alone would give.
func TestRulesAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ekjon binary and runs it as processes")
	}
	h := newHarness(t, 4)
	// ekjon run refuses a secret printed in its source, as the harness's is.
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	h.cfg.HMACSecret = hex.EncodeToString(secret)
	bin := ekjonBinary(t)
	h.listpackForProcesses()
	first := h.startProcess(bin, "ekjon run #1")
	h.startProcess(bin, "ekjon run #2")
	h.waitGroupMembers(2)
	db, err := pgxpool.New(context.Background(), h.cfg.Postgres.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	h.db = db

	rulesEndToEnd(t, h)
	sameNIDFromTwoPartitions(t, h, func() {
		// While the enrolments are decided, or just after.
		h.startProcess(bin, "ekjon run #3")
		first.signal(t, syscall.SIGTERM) // it must leave cleanly, its batches done
	})
}

// startProcess starts `ekjon run` with the harness's world: its broker,
// group, schema, Redis and key prefix, by flags and (for the secret) the
// environment, as a deployment configures it.
func (h *harness) startProcess(bin, name string) *runProcess {
	h.t.Helper()
	c := h.cfg
	args := []string{
		"--brokers", c.Kafka.Brokers[0], "--group", c.Kafka.Group,
		"--database-url", c.Postgres.URL, "--db-max-conns", "4",
		"--redis-url", c.Redis.URL, "--redis-prefix", c.Redis.Prefix,
		"--http", "127.0.0.1:0", "--consumers", "1",
		"--batch-size", strconv.Itoa(c.Pipeline.BatchSize), "--batch-wait", "10ms", "--drain-timeout", "5s",
		"--distributor-velocity", strconv.Itoa(c.Rules.DistributorVelocity),
	}
	if c.Redis.Cluster {
		args = append(args, "--redis-cluster")
	}
	return startRunProcess(h.t.(*testing.T), name, bin, []string{"EKJON_HMAC_SECRET=" + c.HMACSecret}, args...)
}

// listpackForProcesses gives the tests' shared Redis server the listpack
// settings `ekjon run` checks for at start (deploy/redis.conf has them;
// .ci/redis-cluster gives them to its masters), and puts the old values
// back when the test ends.
func (h *harness) listpackForProcesses() {
	h.t.Helper()
	c, ok := redistest.Client(h.t).(*redis.Client)
	if !ok {
		return
	}
	ctx := context.Background()
	for name, want := range redisindex.ListpackSettings() {
		old, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			h.t.Fatal(err)
		}
		if err := c.ConfigSet(ctx, name, strconv.Itoa(want)).Err(); err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(func() { c.ConfigSet(context.Background(), name, old[name]) })
	}
}
