// Package redistest gives tests a real Redis and a private key prefix on
// the shared server, or a private redis-server process that a test may
// kill and restart.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
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

// MustClient connects to the test Redis and returns the client and a fresh
// key prefix whose keys are deleted when the test ends.
func MustClient(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("redistest: Redis at %s: %v (start it, or set EKJON_TEST_REDIS_URL)", URL(), err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	prefix := "t" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Unlink(ctx, iter.Val())
		}
		c.Close()
	})
	return c, prefix
}
