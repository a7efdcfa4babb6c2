package app

import (
	"flag"
	"io"
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
