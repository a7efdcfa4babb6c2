package redistest_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// TestServerRestart: a restart keeps the port; without persistence the
// keys are gone, with the append-only log they stay, with snapshots those
// saved stay and later ones are gone; a killed server answers nothing
// until restarted.
func TestServerRestart(t *testing.T) {
	for _, c := range []struct {
		name  string
		opts  redistest.ServerOptions
		keeps bool
	}{
		{"no persistence", redistest.ServerOptions{Persistence: redistest.NoPersistence}, false},
		{"append only", redistest.ServerOptions{Persistence: redistest.AppendOnly}, true},
		{"snapshot", redistest.ServerOptions{Persistence: redistest.Snapshot}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := redistest.StartServer(t, c.opts)
			opt, err := redis.ParseURL(s.URL())
			if err != nil {
				t.Fatal(err)
			}
			rdb := redis.NewClient(opt)
			defer rdb.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Set(ctx, "later", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			addr := s.Addr()
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			if s.Addr() != addr {
				t.Fatalf("restart moved the server from %s to %s", addr, s.Addr())
			}
			v, err := rdb.Get(ctx, "k").Result()
			switch {
			case c.keeps && v != "v":
				t.Fatalf("after restart: %q, %v; want the key kept", v, err)
			case !c.keeps && !errors.Is(err, redis.Nil):
				t.Fatalf("after restart: %q, %v; want the key gone", v, err)
			}
			later := c.opts.Persistence == redistest.AppendOnly
			if n, err := rdb.Exists(ctx, "later").Result(); err != nil || (n == 1) != later {
				t.Fatalf("after restart, a key written after the snapshot: %d, %v; want kept %v", n, err, later)
			}

			s.Kill()
			if conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second); err == nil {
				conn.Close()
				t.Fatal("a killed server accepts connections")
			}
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Ping(ctx).Err(); err != nil {
				t.Fatalf("after a restart from killed: %v", err)
			}
		})
	}
}
