package main

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/pipeline/kafka"
)

// TestBrokerCommand runs `ekjon broker` as a process of its own, as the
// tests that kill and restart it will.
func TestBrokerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ekjon binary")
	}
	bin := ekjonBinary(t)

	t.Run("a restart keeps the logs and the committed offsets", func(t *testing.T) {
		dir := t.TempDir()
		b := startBrokerProcess(t, bin, "--listen", "127.0.0.1:0", "--data-dir", dir, "--partitions", "2")
		produceTo(t, b.addr, "first")
		if got := consumeGroup(t, b.addr, "g", 1); got[0] != "first" {
			t.Fatalf("group g read %q", got)
		}
		b.stop(t, syscall.SIGTERM)

		b = startBrokerProcess(t, bin, "--listen", b.addr, "--data-dir", dir)
		produceTo(t, b.addr, "second")
		if got := consumeGroup(t, b.addr, "g", 1); got[0] != "second" {
			t.Fatalf("after the restart group g read %q, want the message after its committed offset", got)
		}
		got := consumeGroup(t, b.addr, "fresh", 2)
		slices.Sort(got)
		if !slices.Equal(got, []string{"first", "second"}) {
			t.Fatalf("a new group read %q, want both messages", got)
		}
		b.stop(t, syscall.SIGTERM)
	})

	t.Run("a restart creates the topics its data lacks", func(t *testing.T) {
		dir := t.TempDir()
		b := startBrokerProcess(t, bin, "--listen", "127.0.0.1:0", "--data-dir", dir)
		b.stop(t, syscall.SIGTERM)
		b = startBrokerProcess(t, bin, "--listen", b.addr, "--data-dir", dir, "--topic-alerts", "ekjon.alerts.v2", "--partitions", "3")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		meta, err := (&kafkago.Client{Addr: kafkago.TCP(b.addr)}).Metadata(ctx, &kafkago.MetadataRequest{})
		if err != nil {
			t.Fatal(err)
		}
		partitions := map[string]int{}
		for _, topic := range meta.Topics {
			partitions[topic.Name] = len(topic.Partitions)
		}
		if partitions["ekjon.alerts.v2"] != 3 || partitions["ekjon.alerts"] != 6 {
			t.Fatalf("topics after the restart: %v", partitions)
		}
	})

	// A killed process loses nothing the kernel holds, so this is what a
	// test can see of --sync-writes; a power cut it cannot stage.
	t.Run("an acknowledged message survives SIGKILL", func(t *testing.T) {
		dir := t.TempDir()
		b := startBrokerProcess(t, bin, "--listen", "127.0.0.1:0", "--data-dir", dir, "--sync-writes")
		produceTo(t, b.addr, "acknowledged")
		b.stop(t, syscall.SIGKILL)
		b = startBrokerProcess(t, bin, "--listen", b.addr, "--data-dir", dir, "--sync-writes")
		if got := consumeGroup(t, b.addr, "g", 1); got[0] != "acknowledged" {
			t.Fatalf("after SIGKILL read %q", got)
		}
	})

	// A stock Kafka refuses a batch over 1048588 bytes; the broker must
	// too, or a producer's oversized batches go unnoticed until production.
	for _, c := range []struct {
		name    string
		args    []string
		refused bool
	}{
		{"the stock limit refuses 2 MiB", nil, true},
		{"a raised limit takes 2 MiB", []string{"--max-message-bytes", "4194304"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := startBrokerProcess(t, bin, append([]string{"--listen", "127.0.0.1:0"}, c.args...)...)
			w := kafka.NewWriter(&kafkago.Writer{Addr: kafkago.TCP(b.addr), RequiredAcks: kafkago.RequireAll,
				BatchTimeout: time.Millisecond, BatchBytes: 8 << 20, MaxAttempts: 1})
			defer w.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := w.WriteMessages(ctx, kafkago.Message{Topic: "ekjon.enrolments", Value: bytes.Repeat([]byte("x"), 2<<20)})
			if refused := tooLarge(err); refused != c.refused || (!refused && err != nil) {
				t.Fatalf("2 MiB message: %v", err)
			}
		})
	}
}

// tooLarge reports whether the broker refused a write as too large.
func tooLarge(err error) bool {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		return slices.ContainsFunc(werrs, tooLarge)
	}
	return errors.Is(err, kafkago.MessageSizeTooLarge)
}

func produceTo(t *testing.T, addr, value string) {
	t.Helper()
	w := kafka.NewWriter(&kafkago.Writer{Addr: kafkago.TCP(addr), Balancer: &kafkago.Hash{}, RequiredAcks: kafkago.RequireAll,
		BatchTimeout: time.Millisecond})
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.WriteMessages(ctx, kafkago.Message{Topic: "ekjon.enrolments", Key: []byte(value), Value: []byte(value)}); err != nil {
		t.Fatalf("produce %q: %v", value, err)
	}
}

// consumeGroup reads n messages of ekjon.enrolments as a member of group,
// committing each, and returns their values.
func consumeGroup(t *testing.T, addr, group string, n int) []string {
	t.Helper()
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, GroupID: group, Topic: "ekjon.enrolments",
		StartOffset: kafkago.FirstOffset, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var got []string
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("group %s after %q: %v", group, got, err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Value))
	}
	return got
}
