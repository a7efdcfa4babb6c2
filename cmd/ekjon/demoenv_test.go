package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestDemoReadsEkjonVariables: the demo finds its Redis and PostgreSQL
// under the names every command reads, EKJON_REDIS_URL and
// EKJON_DATABASE_URL, and records there; the bare REDIS_URL and
// DATABASE_URL, pointed at closed ports here, are not read.
func TestDemoReadsEkjonVariables(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo end to end")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	dbURL := pgtest.MustSchema(t)
	env := map[string]string{
		"EKJON_REDIS_URL":    srv.URL(),
		"EKJON_DATABASE_URL": dbURL,
		"REDIS_URL":          "redis://127.0.0.1:" + closed + "/0",
		"DATABASE_URL":       "postgres://postgres@127.0.0.1:" + closed + "/none?sslmode=disable",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err = run(ctx, []string{"demo", "--events", "200", "--broker-port", "0", "--http", "127.0.0.1:0", "--consumers", "2"},
		func(k string) string { return env[k] }, &out, io.Discard)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "redis:         "+srv.URL()+"\n") {
		t.Errorf("the demo did not name EKJON_REDIS_URL's server:\n%s", out.String())
	}
	if !regexp.MustCompile(`summary: 200 events decided`).MatchString(out.String()) {
		t.Fatalf("no summary of 200 events:\n%s", out.String())
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The demo's distributor scans cards after the stream: those are
	// decisions too, of their own source.
	var n, scans int
	if err := conn.QueryRow(ctx, "SELECT count(*) FILTER (WHERE source <> 'scan-api'), count(*) FILTER (WHERE source = 'scan-api') FROM decisions").
		Scan(&n, &scans); err != nil || n != 200 || scans == 0 {
		t.Fatalf("EKJON_DATABASE_URL's database holds %d decisions of the stream and %d of scans (%v), want the demo's 200 and some", n, scans, err)
	}
}
