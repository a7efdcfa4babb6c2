package redisindex

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// TestClassify: the errors Redis and go-redis give are classified by their
// types. What the server says in a restart, a failover or a resharding,
// what the connection says when it breaks, and a Redis ekjon is not
// allowed to use are transient: no event is at fault, so the stream waits.
// A script that fails or a key of the wrong type are internal: the event
// that met them is set aside.
func TestClassify(t *testing.T) {
	ctx := context.Background()
	real, prefix := redistest.MustClient(t)
	// reply is the error go-redis returns for a server that answers every
	// command with line.
	reply := func(line string) func() error {
		return func() error { return fakeReply(t, line) }
	}
	cases := []struct {
		name string
		err  func() error
		want domain.Kind
	}{
		{"loading", reply("-LOADING Redis is loading the dataset in memory"), domain.KindTransient},
		{"cluster down", reply("-CLUSTERDOWN The cluster is down"), domain.KindTransient},
		{"try again", reply("-TRYAGAIN Multiple keys request during rehashing of slot"), domain.KindTransient},
		{"moved", reply("-MOVED 3999 127.0.0.1:6381"), domain.KindTransient},
		{"ask", reply("-ASK 3999 127.0.0.1:6381"), domain.KindTransient},
		{"master down", reply("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), domain.KindTransient},
		{"read only", reply("-READONLY You can't write against a read only replica."), domain.KindTransient},
		{"out of memory", reply("-OOM command not allowed when used memory > 'maxmemory'."), domain.KindTransient},
		{"no replicas", reply("-NOREPLICAS Not enough good replicas to write."), domain.KindTransient},
		{"busy script", reply("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT."), domain.KindTransient},
		{"cannot persist", reply("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk."), domain.KindTransient},
		{"not allowed", reply("-NOPERM this user has no permissions to run the 'evalsha' command"), domain.KindTransient},
		{"no auth", reply("-NOAUTH Authentication required."), domain.KindTransient},
		{"connection closed by the server", func() error { return fakeReply(t, "") }, domain.KindTransient},
		{"connection refused", func() error {
			c := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1, DialTimeout: time.Second})
			defer c.Close()
			return c.Ping(ctx).Err()
		}, domain.KindTransient},
		{"client closed", func() error {
			c := redis.NewClient(&redis.Options{Addr: closedAddr(t)})
			c.Close()
			return c.Ping(ctx).Err()
		}, domain.KindTransient},
		{"pool timeout", func() error { return fmt.Errorf("get conn: %w", redis.ErrPoolTimeout) }, domain.KindTransient},
		{"cancelled", func() error {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			return real.Ping(cctx).Err()
		}, domain.KindTransient},
		{"end of stream", func() error { return io.ErrUnexpectedEOF }, domain.KindTransient},
		{"no script", func() error {
			return real.EvalSha(ctx, "0000000000000000000000000000000000000000", []string{prefix + "k"}).Err()
		}, domain.KindTransient},
		{"script error", func() error {
			return real.Eval(ctx, "return redis.call('HSET', KEYS[1])", []string{prefix + "k"}).Err()
		}, domain.KindInternal},
		{"script raised an error", func() error {
			return real.Eval(ctx, "error('broken')", []string{prefix + "k"}).Err()
		}, domain.KindInternal},
		{"wrong type", func() error {
			if err := real.Set(ctx, prefix+"s", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			return real.HSet(ctx, prefix+"s", "f", "v").Err()
		}, domain.KindInternal},
		{"unknown", func() error { return errors.New("something else") }, domain.KindInternal},
		{"already classified", func() error { return ErrNotReady }, domain.KindTransient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil {
				t.Fatal("no error to classify")
			}
			got := classify("op", err)
			if k := domain.KindOf(got); k != c.want {
				t.Errorf("%v (%T): %v, want %v", err, err, k, c.want)
			}
			if !errors.Is(got, err) {
				t.Errorf("classify dropped the cause %v", err)
			}
		})
	}
	if classify("op", nil) != nil {
		t.Error("classify(nil) is not nil")
	}
}

// fakeReply runs a server that answers every command with the RESP line
// (or, for "", closes the connection at once), sends it a PING through
// go-redis without retries, and returns the error the client gives.
func fakeReply(t *testing.T, line string) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go serveReply(conn, line)
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: l.Addr().String(), Protocol: 2, MaxRetries: -1, DisableIdentity: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// serveReply reads RESP commands from conn and answers each with line.
func serveReply(conn net.Conn, line string) {
	defer conn.Close()
	if line == "" {
		return
	}
	r := bufio.NewReader(conn)
	for {
		head, err := r.ReadString('\n')
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "*")))
		for i := 0; i < 2*n; i++ { // each argument: its $length line, then its bytes
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
		if _, err := io.WriteString(conn, line+"\r\n"); err != nil {
			return
		}
	}
}

// closedAddr returns an address of 127.0.0.1 that nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
