package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestDemoBrokerWithKcat runs `ekjon demo --events 0 --serve` and talks to
// its embedded broker with kcat, a Kafka client ekjon did not write: an
// event produced by kcat comes back as a decision kcat can consume.
func TestDemoBrokerWithKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat is not installed; .ci/run installs it (apt-get install kcat)")
		}
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	dbURL := pgtest.MustSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		getenv := func(k string) string {
			if k == "EKJON_DATABASE_URL" {
				return dbURL
			}
			return ""
		}
		done <- run(ctx, []string{"demo", "--events", "0", "--serve", "--broker-port", "0", "--http", "127.0.0.1:0"}, getenv, pw, io.Discard)
		pw.Close()
	}()
	brokerc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "kafka" && f[1] == "broker:" {
				brokerc <- f[2]
			}
		}
	}()
	var broker string
	select {
	case broker = <-brokerc:
	case err := <-done:
		t.Fatalf("demo stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("demo never printed its broker")
	}

	event := enrolmentEvent("kcat-1", "1987654321", "widow", "মোছাঃ আমেনা খাতুন", "Mosammat Amena Khatoon", "01812345678")
	event = strings.Join(strings.Fields(event), " ") // one line: kcat sends a message per line
	kctx, kcancel := context.WithTimeout(ctx, 60*time.Second)
	defer kcancel()
	produce := exec.CommandContext(kctx, kcat, "-P", "-b", broker, "-t", "ekjon.enrolments", "-k", "1987654321")
	produce.Stdin = strings.NewReader(event + "\n")
	if out, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	consume := exec.CommandContext(kctx, kcat, "-C", "-b", broker, "-t", "ekjon.decisions", "-o", "beginning", "-c", "1", "-q")
	out, err := consume.Output()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, out)
	}
	got := string(out)
	if !strings.Contains(got, `"event_id":"kcat-1"`) || !strings.Contains(got, `"action":"ADMIT"`) {
		t.Fatalf("kcat read %q, want the ADMIT decision of kcat-1", got)
	}
	if strings.Contains(got, "1987654321") || strings.Contains(got, "1812345678") {
		t.Fatalf("decision carries the NID or phone in clear: %s", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v", err)
	}
}
