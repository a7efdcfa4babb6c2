package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// checkEnv is the environment of an ekjon process against a broker with
// the given topics, a private Redis set as deploy/redis.conf asks, and a
// fresh schema.
func checkEnv(t *testing.T, topics ...string) map[string]string {
	t.Helper()
	cluster, addr, err := openBroker(brokerConfig{addr: "127.0.0.1:0", partitions: 2, topics: topics, maxMessageBytes: kafka.DefaultMaxMessageBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	for name, v := range redisindex.ListpackSettings() {
		if err := rdb.ConfigSet(context.Background(), name, strconv.Itoa(v)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"EKJON_BROKERS": addr, "EKJON_REDIS_URL": srv.URL(), "EKJON_DATABASE_URL": pgtest.MustSchema(t),
		"EKJON_HMAC_SECRET": "9c1d7e2b4a6f8e0d3c5b", "EKJON_HTTP": "127.0.0.1:0", "EKJON_LOG_LEVEL": "warn",
	}
}

func TestCheckCommand(t *testing.T) {
	tp := kafka.DefaultTopics()
	env := checkEnv(t, tp.Enrolments, tp.Distributions, tp.Status, tp.Alerts, tp.DeadLetter)
	check := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"check"}, args...), func(k string) string { return env[k] }, &out, &errOut)
		return out.String(), err
	}

	out, err := check()
	if !errors.Is(err, errChecksFailed) {
		t.Fatalf("ekjon check with a missing topic and an unmigrated record: %v\n%s", err, out)
	}
	for _, want := range []string{
		`FAIL +kafka topic ekjon.decisions +topic ekjon.decisions does not exist: create it or run with --create-topics`,
		`FAIL +postgresql migrations +the record lacks (\d+) of the (\d+) migrations .*: run ekjon migrate`,
		`ok +kafka topic ekjon.alerts +exists`,
		`ok +redis persistence`,
	} {
		if !regexp.MustCompile(`(?m)^` + want).MatchString(out) {
			t.Errorf("ekjon check prints no line %q:\n%s", want, out)
		}
	}

	if out, err := run0(env, "migrate"); err != nil {
		t.Fatalf("ekjon migrate: %v\n%s", err, out)
	}
	out, err = check("--create-topics", "--topic-replication", "1")
	if err != nil || strings.Contains(out, "FAIL") {
		t.Fatalf("ekjon check --create-topics on a migrated record: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^ok +kafka topic ekjon.decisions +created with 12 partitions of 1 replicas`).MatchString(out) {
		t.Errorf("the created topic is not reported:\n%s", out)
	}
	if out, err = check(); err != nil {
		t.Errorf("ekjon check after the fixes: %v\n%s", err, out)
	}
}

// run0 runs an ekjon command to its end and returns what it printed.
func run0(env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &out)
	return out.String(), err
}

// TestRunRefusesAMissingTopic: ekjon run with an output topic missing
// refuses to start and says why, instead of retrying its writes for
// ever.
func TestRunRefusesAMissingTopic(t *testing.T) {
	tp := kafka.DefaultTopics()
	env := checkEnv(t, tp.Enrolments, tp.Distributions, tp.Status, tp.Decisions, tp.Alerts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"run"}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("ekjon run with no dead-letter topic: %v (context: %v)\n%s", err, ctx.Err(), &out)
	}
	if want := "kafka topic ekjon.deadletter: topic ekjon.deadletter does not exist: create it or run with --create-topics"; !strings.Contains(err.Error(), want) {
		t.Errorf("ekjon run says %q, not %q", err, want)
	}
	if strings.Contains(err.Error(), "postgresql") {
		t.Errorf("ekjon run counts the migrations it applies itself as a failure: %v", err)
	}
}

// The demo's secret is public; ekjon run refuses it.
func TestRunRefusesTheDemoSecret(t *testing.T) {
	env := checkEnv(t, append(kafka.DefaultTopics().Inputs(), kafka.DefaultTopics().Outputs()...)...)
	env["EKJON_HMAC_SECRET"] = app.DemoSecret
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"run"}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "hmac secret: hmac-secret is a demo or test value") {
		t.Fatalf("ekjon run with the demo's secret: %v\n%s", err, &out)
	}
}
