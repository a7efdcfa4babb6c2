package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ekjon/ekjon/sinks/postgres/pglocal"
)

// TestDemoPrivatePostgres runs the demo where no PostgreSQL answers (the
// lookup is pointed at a closed port through PGPORT): it decides its
// events on a private server of its own, and removes it on exit.
func TestDemoPrivatePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo end to end")
	}
	if _, err := pglocal.FindBinaries(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	getenv := func(k string) string {
		if k == "PGPORT" {
			return strconv.Itoa(closed)
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err = run(ctx, []string{"demo", "--events", "300", "--broker-port", "0", "--http", "127.0.0.1:0", "--consumers", "2"}, getenv, &out, io.Discard)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`no PostgreSQL answers on 127\.0\.0\.1:` + strconv.Itoa(closed) + `; this demo runs a private one in (\S+) `).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no line about the private server:\n%s", out.String())
	}
	if !regexp.MustCompile(`summary: 300 events decided`).MatchString(out.String()) {
		t.Fatalf("no summary of 300 events:\n%s", out.String())
	}
	if _, err := os.Stat(m[1]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the private server's directory %s after the demo: %v", m[1], err)
	}
}
