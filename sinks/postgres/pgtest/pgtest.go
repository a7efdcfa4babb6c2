// Package pgtest gives tests a private schema in a real PostgreSQL, so that
// test packages running in parallel never see each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/sinks/postgres/pglocal"
)

// DefaultURL is the database tests use unless EKJON_TEST_DATABASE_URL says
// otherwise: the local server's "test" database with trust auth.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL returns the test database URL.
func BaseURL() string {
	if u := os.Getenv("EKJON_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// MustSchema creates a fresh schema, drops it when the test ends, and
// returns a URL whose connections use it. It fails the test if PostgreSQL
// cannot be reached: the tests exercise the real thing, never a stand-in.
func MustSchema(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base := BaseURL()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("pgtest: PostgreSQL at %s: %v (start it, or set EKJON_TEST_DATABASE_URL)", base, err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Logf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Logf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// StartServer starts a private PostgreSQL server (pglocal) for a test that
// must restart or stop it without disturbing the shared one, and stops and
// removes it when the test ends. Without the server binaries it skips the
// test, except under CI, which installs them.
func StartServer(tb testing.TB, cfg pglocal.Config) *pglocal.Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := pglocal.Start(ctx, cfg)
	if errors.Is(err, pglocal.ErrNotInstalled) && os.Getenv("CI") == "" {
		tb.Skipf("pgtest: %v", err)
	}
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return s
}
