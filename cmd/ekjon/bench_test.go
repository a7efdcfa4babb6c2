package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// dropDatabases removes databases a test created on the local server.
func dropDatabases(t *testing.T, names ...string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	if err != nil {
		t.Logf("dropping test databases: %v", err)
		return
	}
	defer conn.Close(ctx)
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("dropping %s: %v", n, err)
		}
	}
}

// TestBenchSmallRun runs the whole comparison at two small sizes, the
// baseline at the first only, and checks that the report says what ran:
// both systems' measures side by side, "not run" where the baseline was
// left out, and a chart.
func TestBenchSmallRun(t *testing.T) {
	dir := t.TempDir()
	report, chart := filepath.Join(dir, "report.md"), filepath.Join(dir, "scale.png")
	runBench(t, "bench", false,
		"--persons", "1000,2000", "--baseline-up-to", "1000", "--events", "2000", "--consumers", "2", "--partitions", "2", "--batch-size", "100",
		"--report", report, "--chart", chart, "--payday=false")
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	sections := strings.Split(md, "#### P = ")
	if len(sections) != 3 || !strings.HasPrefix(sections[1], "1,000 persons") || !strings.HasPrefix(sections[2], "2,000 persons") {
		t.Fatalf("report sections: %q", md)
	}
	rate := regexp.MustCompile(`\| sustained events/s \(max run\) \| (\d+) \| ([^|]+) \|`)
	for i, want := range []string{"number", "not run"} {
		m := rate.FindStringSubmatch(sections[i+1])
		if m == nil {
			t.Fatalf("no throughput row at size %d:\n%s", i, sections[i+1])
		}
		if n, _ := strconv.Atoi(m[1]); n <= 0 {
			t.Errorf("ekjon decided at %s events/s", m[1])
		}
		if _, err := strconv.Atoi(m[2]); (err == nil) != (want == "number") || (want == "not run" && m[2] != "not run") {
			t.Errorf("baseline throughput %q, want a %s", m[2], want)
		}
	}
	f1 := regexp.MustCompile(`\| F1 \(all rules\) \| (0\.\d+) \|`)
	for _, sec := range sections[1:] {
		m := f1.FindStringSubmatch(sec)
		if m == nil {
			t.Fatalf("no F1 row:\n%s", sec)
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 0.8 {
			t.Errorf("ekjon F1 %s on a small registry", m[1])
		}
	}
	// The fuzzy rules counted pair by pair, as eval counts them.
	pairs := regexp.MustCompile(`\| FUZZY_PERSON precision \| (\d\.\d+) \((\d+) of (\d+)\) \|`)
	for _, sec := range sections[1:] {
		m := pairs.FindStringSubmatch(sec)
		if m == nil {
			t.Fatalf("no pair-level FUZZY_PERSON row:\n%s", sec)
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 0.75 || m[3] == "0" {
			t.Errorf("pair-level FUZZY_PERSON precision %s (%s of %s) on a small registry", m[1], m[2], m[3])
		}
	}
	if st, err := os.Stat(chart); err != nil || st.Size() < 1000 {
		t.Errorf("chart: %v", err)
	}
}

// runBench runs ekjon bench end to end with args, on the test Redis
// under a prefix of its own and a database of its own (several runs of
// the suite may share one server, and the bench drops and creates its
// databases), with the broker in a process of its own if brokerProc,
// and returns what it printed.
func runBench(t *testing.T, name string, brokerProc bool, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ekjon end to end")
	}
	if redistest.Cluster() {
		t.Skip("the bench runs on one Redis server; it is tested there")
	}
	_, prefix := redistest.MustClient(t)
	database := fmt.Sprintf("ekjon_%stest_%d_%d", name, os.Getpid(), rand.N(1<<30))
	t.Cleanup(func() { dropDatabases(t, database, database+"_baseline") })
	var out, errs bytes.Buffer
	args = append(args, "--redis-url", redistest.URL(), "--redis-prefix", prefix, "--database", database)
	if brokerProc {
		args = append(args, "--broker-bin", ekjonBinary(t))
	}
	if err := cmdBench(context.Background(), args, os.Getenv, &out, &errs); err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, out.String(), errs.String())
	}
	return out.String()
}
