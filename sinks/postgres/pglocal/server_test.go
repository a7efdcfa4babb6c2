package pglocal_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/sinks/postgres/pglocal"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestServerLifecycle starts a private server, writes to it, restarts it
// both ways (the rows and the port stay), halts and resumes it, and stops
// it (its directory is gone).
func TestServerLifecycle(t *testing.T) {
	s := pgtest.StartServer(t, pglocal.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url, port := s.URL(), s.Port()
	if want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port); url != want {
		t.Fatalf("URL %q, want %q", url, want)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), fmt.Sprintf(".s.PGSQL.%d", port))); err != nil {
		t.Errorf("unix socket not in the server's directory: %v", err)
	}
	mustExec(t, url, "CREATE TABLE kept (n int PRIMARY KEY)")
	mustExec(t, url, "INSERT INTO kept VALUES (1)")

	for i, mode := range []pglocal.StopMode{pglocal.Fast, pglocal.Immediate} {
		mustExec(t, url, fmt.Sprintf("INSERT INTO kept VALUES (%d)", i+2))
		if err := s.Restart(ctx, mode); err != nil {
			t.Fatalf("restart %d: %v", mode, err)
		}
		if s.Port() != port || s.URL() != url {
			t.Fatalf("restart %d moved the server from %s to %s", mode, url, s.URL())
		}
		if n := count(t, url); n != i+2 {
			t.Fatalf("after restart %d: %d rows, want %d", mode, n, i+2)
		}
	}

	if err := s.Halt(pglocal.Immediate); err != nil {
		t.Fatal(err)
	}
	if err := ping(url); err == nil {
		t.Fatal("a halted server answers")
	}
	if err := s.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, url); n != 3 {
		t.Fatalf("after resume: %d rows, want 3", n)
	}

	dir := s.Dir()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory %s after Stop: %v", dir, err)
	}
	if err := ping(url); err == nil {
		t.Error("a stopped server answers")
	}
	if err := s.Resume(ctx); err == nil {
		t.Error("a removed server resumed")
	}
}

func ping(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// connect opens a connection to url for the rest of the test, and a
// context for what the test does on it.
func connect(t *testing.T, url string) (*pgx.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn, ctx
}

func mustExec(t *testing.T, url, sql string) {
	t.Helper()
	conn, ctx := connect(t, url)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, url string) int {
	t.Helper()
	conn, ctx := connect(t, url)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
