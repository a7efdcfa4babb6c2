// Package redistest gives tests a real Redis and a private key prefix on
// the shared server (or on a shared Redis Cluster, when
// EKJON_TEST_REDIS_CLUSTER_URL names one), or a private redis-server
// process that a test may kill and restart.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// URL returns the Redis tests use: EKJON_TEST_REDIS_URL, else the local
// server.
func URL() string {
	if u := os.Getenv("EKJON_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// ClusterURL returns EKJON_TEST_REDIS_CLUSTER_URL: a Redis Cluster, in
// go-redis's cluster URL form (redis://host:port?addr=host:port&...), that
// the tests which take their Redis from MustClient and URL use instead of
// the single server. Empty means the single server. .ci/run runs the
// index's and the end-to-end tests a second time with it set.
func ClusterURL() string { return os.Getenv("EKJON_TEST_REDIS_CLUSTER_URL") }

// Cluster says whether the tests' Redis is a cluster (see ClusterURL).
func Cluster() bool { return ClusterURL() != "" }

// Shared returns the URL of the tests' shared Redis: the cluster's when
// ClusterURL is set, else URL.
func Shared() string {
	if Cluster() {
		return ClusterURL()
	}
	return URL()
}

// MustClient connects to the tests' shared Redis (a cluster client when
// ClusterURL is set) and returns the client and a fresh key prefix whose
// keys are deleted when the test ends.
func MustClient(tb testing.TB) (redis.UniversalClient, string) {
	tb.Helper()
	c := connect(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("redistest: Redis at %s: %v (start it, or set EKJON_TEST_REDIS_URL)", Shared(), err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	prefix := "t" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		_ = eachServer(ctx, c, func(ctx context.Context, s *redis.Client) error {
			iter := s.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				s.Unlink(ctx, iter.Val())
			}
			return iter.Err()
		})
		c.Close()
	})
	return c, prefix
}

// eachServer calls fn for the one server of a client, or for each master
// of a cluster's: SCAN sees only the keys of the server it is sent to.
func eachServer(ctx context.Context, c redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := c.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	default:
		return fmt.Errorf("redistest: unexpected client %T", c)
	}
}

// Keys returns the keys matching pattern on every server of c (every
// master of a cluster), in no order.
func Keys(ctx context.Context, c redis.UniversalClient, pattern string) ([]string, error) {
	var mu sync.Mutex
	var keys []string
	err := eachServer(ctx, c, func(ctx context.Context, s *redis.Client) error {
		iter := s.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	})
	return keys, err
}

// Client connects to the tests' shared Redis (see MustClient) without a
// key prefix of its own, for a test that reads or deletes keys another
// client wrote. It is closed when the test ends.
func Client(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	c := connect(tb)
	tb.Cleanup(func() { c.Close() })
	return c
}

func connect(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	if Cluster() {
		opt, err := redis.ParseClusterURL(ClusterURL())
		if err != nil {
			tb.Fatalf("redistest: EKJON_TEST_REDIS_CLUSTER_URL: %v", err)
		}
		return redis.NewClusterClient(opt)
	}
	opt, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return redis.NewClient(opt)
}
