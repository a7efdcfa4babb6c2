package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres/pglocal"
)

// startBroker starts an in-process Kafka-protocol broker (franz-go's kfake)
// on 127.0.0.1:port, or on a free port if port is 0 or taken, with ekjon's
// topics created. Any Kafka client can connect to the address it returns.
// Its message limit is a stock Kafka's, as a real deployment has unless
// it says otherwise, so that what ekjon writes is shown to fit it.
func startBroker(port, partitions int, topics kafka.Topics) (*kfake.Cluster, string, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if port != 0 && !portFree(addr) {
		addr = "127.0.0.1:0"
	}
	return openBroker(brokerConfig{
		addr:            addr,
		partitions:      partitions,
		topics:          append(topics.Inputs(), topics.Outputs()...),
		maxMessageBytes: kafka.DefaultMaxMessageBytes,
	})
}

// startRedis starts an embedded Redis (miniredis) on a free local port.
func startRedis() (*miniredis.Miniredis, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("embedded redis: %w", err)
	}
	return m, nil
}

const noPostgres = `no PostgreSQL found.
ekjon keeps its record in PostgreSQL. Either
  - set EKJON_DATABASE_URL to a database ekjon may use, e.g.
      EKJON_DATABASE_URL=postgres://user:pass@host:5432/db ekjon demo
  - or install PostgreSQL's server (Debian/Ubuntu:
      sudo apt-get install -y postgresql; macOS: brew install postgresql)
    and run ekjon demo again; it uses the server on 127.0.0.1:5432 if
    that answers, else it starts a private one for as long as it runs.`

// demoDatabase returns the URL of the database the demo records into, and
// what to call when the demo ends: EKJON_DATABASE_URL as given (the name
// every command reads), else a fresh ekjon_demo database on the local
// server at 127.0.0.1:$PGPORT (5432), else a private server (pglocal)
// that lives as long as the demo, else an error saying how to get one.
func demoDatabase(ctx context.Context, getenv func(string) string, stdout io.Writer) (string, func(), error) {
	if u := getenv("EKJON_DATABASE_URL"); u != "" {
		return u, func() {}, nil
	}
	local := "127.0.0.1:" + cmp.Or(getenv("PGPORT"), "5432")
	users := []string{"postgres"}
	if u := getenv("USER"); u != "" && u != "postgres" {
		users = append(users, u)
	}
	var errs []error
	for _, user := range users {
		admin := fmt.Sprintf("postgres://%s@%s/postgres?sslmode=disable&connect_timeout=3", url.PathEscape(user), local)
		if p := getenv("PGPASSWORD"); p != "" {
			admin = fmt.Sprintf("postgres://%s:%s@%s/postgres?sslmode=disable&connect_timeout=3", url.PathEscape(user), url.PathEscape(p), local)
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, admin)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defer conn.Close(context.WithoutCancel(ctx))
		for _, q := range []string{"DROP DATABASE IF EXISTS ekjon_demo WITH (FORCE)", "CREATE DATABASE ekjon_demo"} {
			if _, err := conn.Exec(ctx, q); err != nil {
				return "", nil, fmt.Errorf("preparing the demo database: %w", err)
			}
		}
		u, _ := url.Parse(admin)
		u.Path = "/ekjon_demo"
		return u.String(), func() {}, nil
	}
	srv, err := pglocal.Start(ctx, pglocal.Config{})
	if err == nil {
		fmt.Fprintf(stdout, "ekjon demo: no PostgreSQL answers on %s; this demo runs a private one in %s (removed on exit)\n", local, srv.Dir())
		return srv.URL(), func() { _ = srv.Stop() }, nil
	}
	if ctx.Err() != nil {
		return "", nil, ctx.Err()
	}
	fmt.Fprintf(os.Stderr, "ekjon demo: could not reach PostgreSQL on %s: %v\n", local, errors.Join(errs...))
	if !errors.Is(err, pglocal.ErrNotInstalled) {
		fmt.Fprintln(os.Stderr, "ekjon demo: could not start a private PostgreSQL:", err)
	}
	return "", nil, errors.New(noPostgres)
}

func netListen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
