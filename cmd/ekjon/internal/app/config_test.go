package app

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// configFrom binds the settings with env as the environment and parses
// args, as `ekjon run` does.
func configFrom(t *testing.T, env map[string]string, args ...string) Config {
	t.Helper()
	c := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := BindFlags(fs, &c, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	c.NoteExplicit(fs)
	c.HMACSecret = "config-test-secret-0123"
	return c
}

func TestMaxAmountSetting(t *testing.T) {
	c := configFrom(t, map[string]string{"EKJON_MAX_AMOUNT": "50000"})
	p, err := c.Policy()
	if err != nil || p.MaxAmount != 50000 {
		t.Fatalf("policy max amount %v (%v), want 50000 from the environment", p.MaxAmount, err)
	}
	d := configFrom(t, nil)
	if p, _ := d.Policy(); p.MaxAmount != 1e9 {
		t.Errorf("default max amount %v", p.MaxAmount)
	}
	for _, bad := range []string{"0", "-5", "1e12"} {
		if c := configFrom(t, nil, "--max-amount", bad); c.Validate() == nil {
			t.Errorf("--max-amount %s accepted", bad)
		}
	}
}

// TestKafkaSizeSettings: the topics' message limit bounds the producer,
// the consumer fetches the largest message the topics or the event limit
// allow, and a batch is bounded by bytes.
func TestKafkaSizeSettings(t *testing.T) {
	c := configFrom(t, map[string]string{"EKJON_KAFKA_MAX_MESSAGE_BYTES": "2097152", "EKJON_MAX_BATCH_BYTES": "8388608"})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if pc := c.PublisherConfig(); pc.MaxMessageBytes != 2<<20 {
		t.Errorf("publisher limit %d", pc.MaxMessageBytes)
	}
	if sc := c.SourceConfig(); sc.MaxBatchBytes != 8<<20 || sc.MaxMessageBytes != 2<<20 {
		t.Errorf("source: batch %d bytes, largest message %d", sc.MaxBatchBytes, sc.MaxMessageBytes)
	}
	c = configFrom(t, nil, "--max-event-bytes", "4194304")
	if sc := c.SourceConfig(); sc.MaxMessageBytes != 4<<20 {
		t.Errorf("an event limit above the topics': the source takes messages of %d bytes", sc.MaxMessageBytes)
	}
	for _, args := range [][]string{{"--kafka-max-message-bytes", "1000"}, {"--max-batch-bytes", "100"}} {
		if c := configFrom(t, nil, args...); c.Validate() == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestGroupValidate: each group of settings refuses, on its own, the
// values it cannot work with, names the flag in its error, and takes its
// defaults.
func TestGroupValidate(t *testing.T) {
	type group interface{ Validate() error }
	cases := []struct {
		name string
		edit func(c *Config) group
		flag string // in the error; "" when the edit is valid
	}{
		{"kafka defaults", func(c *Config) group { return &c.Kafka }, ""},
		{"no brokers", func(c *Config) group { c.Kafka.Brokers = nil; return &c.Kafka }, "brokers"},
		{"small message limit", func(c *Config) group { c.Kafka.MaxMessageBytes = 1000; return &c.Kafka }, "kafka-max-message-bytes"},
		{"no partitions", func(c *Config) group { c.Kafka.TopicPartitions = 0; return &c.Kafka }, "topic-partitions"},
		{"no replicas", func(c *Config) group { c.Kafka.TopicReplication = 0; return &c.Kafka }, "topic-replication"},

		{"redis defaults", func(c *Config) group { return &c.Redis }, ""},
		{"redis waits", func(c *Config) group { c.Redis.WaitReplicas = 1; return &c.Redis }, ""},
		{"negative replicas", func(c *Config) group { c.Redis.WaitReplicas = -1; return &c.Redis }, "redis-wait-replicas"},
		{"wait on a cluster", func(c *Config) group { c.Redis.WaitReplicas, c.Redis.Cluster = 1, true; return &c.Redis }, "redis-wait-replicas"},
		{"wait no time", func(c *Config) group { c.Redis.WaitReplicas, c.Redis.WaitTimeout = 1, 0; return &c.Redis }, "redis-wait-timeout"},
		{"few buckets", func(c *Config) group { c.Redis.IndexBucketBits = 7; return &c.Redis }, "index-bucket-bits"},
		{"many buckets", func(c *Config) group { c.Redis.IndexBucketBits = 25; return &c.Redis }, "index-bucket-bits"},

		{"postgres defaults", func(c *Config) group { return &c.Postgres }, ""},
		{"no connections", func(c *Config) group { c.Postgres.MaxConns = 0; return &c.Postgres }, "db-max-conns"},

		{"pipeline defaults", func(c *Config) group { return &c.Pipeline }, ""},
		{"no consumers", func(c *Config) group { c.Pipeline.Consumers = 0; return &c.Pipeline }, "consumers"},
		{"empty batch", func(c *Config) group { c.Pipeline.BatchSize = 0; return &c.Pipeline }, "batch-size"},
		{"tiny events", func(c *Config) group { c.Pipeline.MaxEventBytes = 1023; return &c.Pipeline }, "max-event-bytes"},
		{"tiny batches", func(c *Config) group { c.Pipeline.MaxBatchBytes = 64<<10 - 1; return &c.Pipeline }, "max-batch-bytes"},

		{"rules defaults", func(c *Config) group { return &c.Rules }, ""},
		{"bad exclusive", func(c *Config) group { c.Rules.Exclusive = "old_age+"; return &c.Rules }, "exclusive"},
		{"no amount", func(c *Config) group { c.Rules.MaxAmount = 0; return &c.Rules }, "amount"},

		{"fuzzy defaults", func(c *Config) group { return &c.Fuzzy }, ""},
		{"hold below review", func(c *Config) group { c.Fuzzy.HoldThreshold = c.Fuzzy.ReviewThreshold - 1; return &c.Fuzzy }, "hold"},
		{"no shared contact", func(c *Config) group { c.Fuzzy.SharedContact = 0; return &c.Fuzzy }, "shared-contact"},
		{"hold below alert", func(c *Config) group { c.Fuzzy.SharedContactHold = c.Fuzzy.SharedContact - 1; return &c.Fuzzy }, "shared-contact-hold"},
		{"small block cap", func(c *Config) group { c.Fuzzy.BlockCap = 1; return &c.Fuzzy }, "block-cap"},

		{"http defaults", func(c *Config) group { return &c.HTTP }, ""},
		{"proxies", func(c *Config) group { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.7"}; return &c.HTTP }, ""},
		{"bad proxy", func(c *Config) group { c.HTTP.TrustedProxies = []string{"10.0.0.0/33"}; return &c.HTTP }, "trusted-proxies"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			err := tc.edit(&c).Validate()
			switch {
			case tc.flag == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.flag != "" && err == nil:
				t.Fatalf("accepted")
			case tc.flag != "" && !strings.Contains(strings.ToLower(err.Error()), tc.flag):
				t.Fatalf("error %q does not name %s", err, tc.flag)
			}
			// The whole configuration refuses what its group refuses.
			c.HMACSecret = "config-test-secret-0123"
			if whole := c.Validate(); (whole == nil) != (err == nil) {
				t.Errorf("group says %v, the whole configuration %v", err, whole)
			}
		})
	}
}
