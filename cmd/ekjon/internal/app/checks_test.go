package app

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

const checkSecret0 = "f3b2c9d8a1e07c65b4a3"

// checkBroker starts an in-process broker with the given topics, each of
// one partition, and returns it with its address.
func checkBroker(t *testing.T, opts []kfake.Opt, topics ...string) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, topics...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// mustCreateTopic creates a topic with a message limit of its own.
func mustCreateTopic(t *testing.T, addr, topic string, maxMessageBytes int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := (&kafkago.Client{Addr: kafkago.TCP(addr)}).CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{
		Topic: topic, NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(maxMessageBytes)}},
	}}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatal(err)
	}
}

// result finds the check named name.
func result(t *testing.T, rs []CheckResult, name string) CheckResult {
	t.Helper()
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no check %q among %+v", name, rs)
	return CheckResult{}
}

// wantResult fails unless the check named name came out as status with a
// message holding every part of want.
func wantResult(t *testing.T, rs []CheckResult, name string, status CheckStatus, want ...string) {
	t.Helper()
	r := result(t, rs, name)
	if r.Status != status {
		t.Errorf("%s: %s %q, want %s", name, r.Status, r.Message(), status)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.Message(), w) {
			t.Errorf("%s: %q does not say %q", name, r.Message(), w)
		}
	}
}

func allTopics() []string {
	tp := kafka.DefaultTopics()
	return append(tp.Inputs(), tp.Outputs()...)
}

func TestKafkaChecks(t *testing.T) {
	ctx := context.Background()
	tp := kafka.DefaultTopics()
	cfgFor := func(addr string) Config {
		c := DefaultConfig()
		c.Kafka.Brokers = []string{addr}
		return c
	}

	t.Run("every topic there, with the stock limit", func(t *testing.T) {
		_, addr := checkBroker(t, nil, allTopics()...)
		rs := checkKafka(ctx, cfgFor(addr), ForCheck)
		for _, r := range rs {
			if r.Status != CheckOK {
				t.Errorf("%s: %s %s", r.Name, r.Status, r.Message())
			}
		}
		wantResult(t, rs, "kafka topic "+tp.Decisions, CheckOK, "1048588 bytes (max.message.bytes)")
	})

	t.Run("a missing output topic", func(t *testing.T) {
		_, addr := checkBroker(t, nil, tp.Enrolments, tp.Distributions, tp.Status, tp.Alerts, tp.DeadLetter)
		rs := checkKafka(ctx, cfgFor(addr), ForCheck)
		wantResult(t, rs, "kafka topic ekjon.decisions", CheckFail,
			"topic ekjon.decisions does not exist: create it or run with --create-topics")
		wantResult(t, rs, "kafka topic ekjon.alerts", CheckOK)
	})

	t.Run("--create-topics creates the missing ones", func(t *testing.T) {
		_, addr := checkBroker(t, nil, tp.Enrolments)
		cfg := cfgFor(addr)
		cfg.Kafka.CreateTopics, cfg.Kafka.TopicPartitions, cfg.Kafka.TopicReplication = true, 3, 1
		rs := checkKafka(ctx, cfg, ForCheck)
		wantResult(t, rs, "kafka topic ekjon.enrolments", CheckOK, "exists")
		wantResult(t, rs, "kafka topic ekjon.decisions", CheckOK, "created with 3 partitions of 1 replicas, max.message.bytes 1048588")
		cfg.Kafka.CreateTopics = false
		for _, r := range checkKafka(ctx, cfg, ForCheck) {
			if r.Status != CheckOK {
				t.Errorf("after creating: %s: %s %s", r.Name, r.Status, r.Message())
			}
		}
		meta, err := (&kafkago.Client{Addr: kafkago.TCP(addr)}).Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{tp.Status}})
		if err != nil || len(meta.Topics) != 1 || len(meta.Topics[0].Partitions) != 3 {
			t.Errorf("created topic: %+v, %v", meta, err)
		}
	})

	t.Run("more replicas than brokers", func(t *testing.T) {
		_, addr := checkBroker(t, nil, tp.Inputs()...)
		cfg := cfgFor(addr)
		cfg.Kafka.CreateTopics = true // three replicas by default, on one broker
		wantResult(t, checkKafka(ctx, cfg, ForCheck), "kafka topic ekjon.decisions", CheckFail,
			"with 3 replicas on 1 broker(s)", "set --topic-replication")
	})

	t.Run("an output topic whose limit is too small", func(t *testing.T) {
		_, addr := checkBroker(t, nil, tp.Enrolments, tp.Distributions, tp.Status, tp.Alerts, tp.DeadLetter)
		mustCreateTopic(t, addr, tp.Decisions, 100000)
		rs := checkKafka(ctx, cfgFor(addr), ForCheck)
		wantResult(t, rs, "kafka topic ekjon.decisions", CheckFail,
			"topic ekjon.decisions takes messages of at most 100000 bytes (max.message.bytes), less than the 1048588 ekjon sends (--kafka-max-message-bytes)",
			"raise the topic's max.message.bytes to 1048588, or set --kafka-max-message-bytes to 100000")
		cfg := cfgFor(addr)
		cfg.Kafka.MaxMessageBytes = 100000
		wantResult(t, checkKafka(ctx, cfg, ForCheck), "kafka topic ekjon.decisions", CheckOK)
	})

	// A broker that will not describe a topic's settings: the broker's
	// own limit stands in for the topic's.
	t.Run("the broker's limit when the topic's is hidden", func(t *testing.T) {
		c, addr := checkBroker(t, []kfake.Opt{kfake.BrokerConfigs(map[string]string{"message.max.bytes": "500000"})}, allTopics()...)
		c.KeepControl()
		c.ControlKey(int16(kmsg.DescribeConfigs), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			req := kreq.(*kmsg.DescribeConfigsRequest)
			if len(req.Resources) == 0 || req.Resources[0].ResourceType != kmsg.ConfigResourceTypeTopic {
				return nil, nil, false
			}
			resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
			for _, r := range req.Resources {
				rr := kmsg.NewDescribeConfigsResponseResource()
				rr.ResourceType, rr.ResourceName, rr.ErrorCode = r.ResourceType, r.ResourceName, kerr.TopicAuthorizationFailed.Code
				resp.Resources = append(resp.Resources, rr)
			}
			return resp, nil, true
		})
		wantResult(t, checkKafka(ctx, cfgFor(addr), ForCheck), "kafka topic ekjon.alerts", CheckFail,
			"at most 500000 bytes (the broker's message.max.bytes)")
	})

	// A dead address first in --brokers: a warning, and the topics are
	// checked through the broker that answered.
	t.Run("one bootstrap broker of two answers", func(t *testing.T) {
		_, addr := checkBroker(t, nil, allTopics()...)
		cfg := cfgFor(addr)
		cfg.Kafka.Brokers = []string{"127.0.0.1:1", addr}
		rs := checkKafka(ctx, cfg, ForCheck)
		wantResult(t, rs, "kafka brokers", CheckWarn, "some bootstrap brokers do not answer: 127.0.0.1:1")
		wantResult(t, rs, "kafka topic "+tp.Decisions, CheckOK, "1048588 bytes (max.message.bytes)")
	})

	t.Run("no broker answers", func(t *testing.T) {
		rs := checkKafka(ctx, cfgFor("127.0.0.1:1"), ForCheck)
		if len(rs) != 1 {
			t.Fatalf("with no broker the topics were checked too: %+v", rs)
		}
		wantResult(t, rs, "kafka brokers", CheckFail, "no broker answers: 127.0.0.1:1", "check --brokers (EKJON_BROKERS)")
	})
}

func TestRedisChecks(t *testing.T) {
	ctx := context.Background()
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })
	set := func(t *testing.T, kv ...string) {
		t.Helper()
		for i := 0; i < len(kv); i += 2 {
			if err := rdb.ConfigSet(ctx, kv[i], kv[i+1]).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	compact := func(t *testing.T) {
		t.Helper()
		for name, v := range redisindex.ListpackSettings() {
			set(t, name, strconv.Itoa(v))
		}
	}
	cfg := DefaultConfig()
	cfg.Redis.URL, cfg.HMACSecret = srv.URL(), checkSecret0

	t.Run("as deploy/redis.conf has it", func(t *testing.T) {
		compact(t)
		set(t, "appendonly", "yes", "maxmemory-policy", "noeviction")
		rs := checkRedis(ctx, cfg, ForCheck)
		wantResult(t, rs, "redis", CheckOK, "a single server")
		wantResult(t, rs, "redis listpack", CheckOK)
		wantResult(t, rs, "redis persistence", CheckOK, "appendonly yes", "append-only file")
	})

	t.Run("low listpack settings", func(t *testing.T) {
		compact(t)
		set(t, "hash-max-listpack-entries", "128")
		wantResult(t, checkRedis(ctx, cfg, ForCheck), "redis listpack", CheckFail,
			"hash-max-listpack-entries is 128, want 1024",
			"set hash-max-listpack-entries 1024 and hash-max-listpack-value 1024 as in deploy/redis.conf")
	})

	t.Run("RDB snapshots alone", func(t *testing.T) {
		compact(t)
		set(t, "appendonly", "no", "save", "3600 1")
		wantResult(t, checkRedis(ctx, cfg, ForCheck), "redis persistence", CheckFail,
			`appendonly no (appendfsync always), save "3600 1"`, "RDB snapshots alone", "set appendonly yes")
	})

	t.Run("no persistence at all", func(t *testing.T) {
		set(t, "appendonly", "no", "save", "")
		wantResult(t, checkRedis(ctx, cfg, ForCheck), "redis persistence", CheckOK, "nothing kept")
	})

	t.Run("eviction", func(t *testing.T) {
		set(t, "maxmemory-policy", "allkeys-lru")
		defer set(t, "maxmemory-policy", "noeviction")
		wantResult(t, checkRedis(ctx, cfg, ForCheck), "redis persistence", CheckFail,
			"maxmemory-policy allkeys-lru", "set maxmemory-policy noeviction")
	})

	t.Run("a single server taken for a cluster", func(t *testing.T) {
		c := cfg
		c.Redis.Cluster = true
		rs := checkRedis(ctx, c, ForCheck)
		if len(rs) != 1 {
			t.Fatalf("in the wrong mode the settings were checked too: %+v", rs)
		}
		wantResult(t, rs, "redis", CheckFail, "is a single server, not a Redis Cluster node, and --redis-cluster is set",
			"unset --redis-cluster")
	})

	t.Run("Redis does not answer", func(t *testing.T) {
		c := cfg
		c.Redis.URL = "redis://127.0.0.1:1/0"
		wantResult(t, checkRedis(ctx, c, ForCheck), "redis", CheckFail, "Redis at 127.0.0.1:1 does not answer", "check --redis-url")
	})
}

func TestCheckPersistence(t *testing.T) {
	for _, c := range []struct {
		aof, fsync, save, policy string
		want                     CheckStatus
	}{
		{"yes", "everysec", "", "noeviction", CheckOK},
		{"yes", "always", "3600 1", "noeviction", CheckOK},
		{"yes", "no", "", "noeviction", CheckWarn},
		{"no", "everysec", "", "noeviction", CheckOK},
		{"no", "everysec", "3600 1 300 100", "noeviction", CheckFail},
		{"yes", "everysec", "", "volatile-lru", CheckFail},
	} {
		r := checkPersistence(map[string]string{"appendonly": c.aof, "appendfsync": c.fsync, "save": c.save, "maxmemory-policy": c.policy})
		if r.Status != c.want {
			t.Errorf("%+v: %s %s", c, r.Status, r.Message())
		}
	}
}

func TestPostgresChecks(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Postgres.URL = pgtest.MustSchema(t)

	rs := checkPostgres(ctx, cfg, ForCheck)
	wantResult(t, rs, "postgresql", CheckOK, "answers, version")
	wantResult(t, rs, "postgresql migrations", CheckFail, "the record lacks", "migrations (0001_record.sql,", "run ekjon migrate")
	wantResult(t, checkPostgres(ctx, cfg, ForRun), "postgresql migrations", CheckOK, "ekjon run applies 0001_record.sql")

	store, err := postgres.Open(ctx, cfg.Postgres.URL, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wantResult(t, checkPostgres(ctx, cfg, ForCheck), "postgresql migrations", CheckOK, "all ", " applied")

	if _, err := store.Pool().Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_later.sql')"); err != nil {
		t.Fatal(err)
	}
	wantResult(t, checkPostgres(ctx, cfg, ForCheck), "postgresql migrations", CheckWarn, "9999_later.sql", "a newer ekjon")

	c := cfg
	c.Postgres.URL = "postgres://postgres:hunter2hunter2@127.0.0.1:1/ekjon?sslmode=disable"
	r := result(t, checkPostgres(ctx, c, ForCheck), "postgresql")
	if r.Status != CheckFail || !strings.Contains(r.Message(), "PostgreSQL at 127.0.0.1:1/ekjon") || strings.Contains(r.Message(), "hunter2") {
		t.Errorf("unreachable database: %s %q", r.Status, r.Message())
	}
}

func TestSecretCheck(t *testing.T) {
	for _, c := range []struct {
		secret string
		want   CheckStatus
		says   string
	}{
		{"", CheckFail, "hmac-secret is not set"},
		{"short-secret", CheckFail, "hmac-secret is 12 bytes, fewer than 16"},
		{DemoSecret, CheckFail, "demo or test value"},
		{"HARNESS-SECRET-0123456789", CheckFail, "demo or test value"},
		{strings.Repeat("x", 32), CheckFail, "repeats one character"},
		{checkSecret0, CheckOK, "20 bytes"},
	} {
		r := checkSecret(c.secret)
		if r.Status != c.want || !strings.Contains(r.Message(), c.says) {
			t.Errorf("secret %q: %s %q, want %s saying %q", c.secret, r.Status, r.Message(), c.want, c.says)
		}
		if c.want == CheckFail && !strings.Contains(r.Remedy, "--hmac-secret (EKJON_HMAC_SECRET)") {
			t.Errorf("secret %q: the remedy %q names no setting", c.secret, r.Remedy)
		}
	}
}

// TestChecksAllPass runs every check against services as the docs ask
// for them: none fails, and CheckFailures says so.
func TestChecksAllPass(t *testing.T) {
	ctx := context.Background()
	_, addr := checkBroker(t, nil, allTopics()...)
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	for name, v := range redisindex.ListpackSettings() {
		if err := rdb.ConfigSet(ctx, name, strconv.Itoa(v)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Kafka.Brokers, cfg.Redis.URL, cfg.Postgres.URL, cfg.HMACSecret = []string{addr}, srv.URL(), pgtest.MustSchema(t), checkSecret0
	rs := Checks(ctx, cfg, ForRun)
	for _, r := range rs {
		if r.Status != CheckOK {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Message())
		}
	}
	if err := CheckFailures(rs); err != nil {
		t.Error(err)
	}
	if len(rs) != 2+7+3+2 {
		t.Errorf("%d checks, want settings, secret, brokers, six topics, three of Redis and two of PostgreSQL", len(rs))
	}
	cfg.HMACSecret = "short"
	if err := CheckFailures(Checks(ctx, cfg, ForRun)); err == nil || !strings.Contains(err.Error(), "hmac secret: hmac-secret is 5 bytes") {
		t.Errorf("a short secret: %v", err)
	}
}
