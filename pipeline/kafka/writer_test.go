package kafka

import (
	"context"
	"fmt"
	"testing"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestWriterForgetsABrokerGone: a broker stops and another starts on its
// address with fewer partitions, as the brokers of the demo and of the
// tests do. A writer made after that writes to the new broker's
// partitions, not to those the old one's metadata named.
func TestWriterForgetsABrokerGone(t *testing.T) {
	topic := DefaultTopics().Enrolments
	start := func(addr string, partitions int32) *kfake.Cluster {
		opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic)}
		if addr != "" {
			var port int
			if _, err := fmt.Sscanf(addr, "127.0.0.1:%d", &port); err != nil {
				t.Fatal(err)
			}
			opts = append(opts, kfake.Ports(port))
		}
		c, err := kfake.NewCluster(opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	write := func(addr string) error {
		w := NewWriter(&kafkago.Writer{Addr: kafkago.TCP(addr), Balancer: &kafkago.RoundRobin{}, RequiredAcks: kafkago.RequireAll})
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		var msgs []kafkago.Message
		for i := range 8 {
			msgs = append(msgs, kafkago.Message{Topic: topic, Value: []byte(fmt.Sprint(i))})
		}
		return w.WriteMessages(ctx, msgs...)
	}
	old := start("", 4)
	addr := old.ListenAddrs()[0]
	if err := write(addr); err != nil {
		old.Close()
		t.Fatalf("to the first broker: %v", err)
	}
	old.Close()
	next := start(addr, 1)
	defer next.Close()
	if err := write(addr); err != nil {
		t.Fatalf("to a broker of one partition on the same address: %v", err)
	}
}
