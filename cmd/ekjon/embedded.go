package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ekjon/ekjon/pipeline/kafka"
)

// startBroker starts an in-process Kafka-protocol broker (franz-go's kfake)
// on 127.0.0.1:port, or on a free port if port is 0 or taken, with ekjon's
// topics created. Any Kafka client can connect to the address it returns.
// Its message limit is 32 MiB, far above a stock Kafka's.
func startBroker(port, partitions int, topics kafka.Topics) (*kfake.Cluster, string, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if port != 0 && !portFree(addr) {
		addr = "127.0.0.1:0"
	}
	return openBroker(brokerConfig{
		addr:            addr,
		partitions:      partitions,
		topics:          append(topics.Inputs(), topics.Outputs()...),
		maxMessageBytes: 32 << 20,
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
  - set DATABASE_URL to a database ekjon may use, e.g.
      DATABASE_URL=postgres://user:pass@host:5432/db ekjon demo
  - or install and start a local server (Debian/Ubuntu):
      sudo apt-get install -y postgresql && sudo pg_ctlcluster 15 main start
      sudo -u postgres psql -c "CREATE ROLE $USER SUPERUSER LOGIN"
    and run ekjon demo again; it uses the server on 127.0.0.1:5432.`

// demoDatabase returns the URL of the database the demo records into:
// DATABASE_URL as given, else a fresh ekjon_demo database on the local
// server at 127.0.0.1:5432, else an error saying how to get one.
func demoDatabase(ctx context.Context, getenv func(string) string) (string, error) {
	if u := getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	users := []string{"postgres"}
	if u := getenv("USER"); u != "" && u != "postgres" {
		users = append(users, u)
	}
	var errs []error
	for _, user := range users {
		admin := fmt.Sprintf("postgres://%s@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3", url.PathEscape(user))
		if p := getenv("PGPASSWORD"); p != "" {
			admin = fmt.Sprintf("postgres://%s:%s@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3", url.PathEscape(user), url.PathEscape(p))
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
				return "", fmt.Errorf("preparing the demo database: %w", err)
			}
		}
		u, _ := url.Parse(admin)
		u.Path = "/ekjon_demo"
		return u.String(), nil
	}
	fmt.Fprintln(os.Stderr, "ekjon demo: could not reach PostgreSQL on 127.0.0.1:5432:", errors.Join(errs...))
	return "", errors.New(noPostgres)
}

func netListen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
