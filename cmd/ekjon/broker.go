package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/pipeline/kafka"
)

// brokerConfig is how an embedded Kafka-protocol broker is started.
type brokerConfig struct {
	addr            string   // host:port to listen on; port 0 picks a free one
	partitions      int      // of each topic it creates
	topics          []string // ekjon's inputs and outputs
	maxMessageBytes int
	dataDir         string // empty: in memory
	syncWrites      bool
}

func (bc brokerConfig) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(bc.addr); err != nil {
		errs = append(errs, fmt.Errorf("listen: %w", err))
	}
	if bc.partitions < 1 {
		errs = append(errs, errors.New("partitions: at least 1"))
	}
	if bc.maxMessageBytes < 1024 {
		errs = append(errs, errors.New("max-message-bytes: at least 1024"))
	}
	if bc.syncWrites && bc.dataDir == "" {
		errs = append(errs, errors.New("sync-writes: needs --data-dir"))
	}
	return errors.Join(errs...)
}

// openBroker starts an in-process Kafka-protocol broker (franz-go's kfake)
// on bc.addr with ekjon's topics, and returns the address clients reach
// it at. The broker advertises the address it listens on. A data
// directory that already holds the broker's state keeps its topics as they
// are; ensureTopics adds those it lacks.
func openBroker(bc brokerConfig) (*kfake.Cluster, string, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, bc.addr) }),
		kfake.SeedTopics(int32(bc.partitions), bc.topics...),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(bc.maxMessageBytes)}),
	}
	if bc.dataDir != "" {
		opts = append(opts, kfake.DataDir(bc.dataDir))
	}
	if bc.syncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, "", fmt.Errorf("embedded kafka broker: %w", err)
	}
	return c, c.ListenAddrs()[0], nil
}

// ensureTopics asks the broker at addr for its topics and creates those of
// want it lacks. An answer is also the proof that the broker serves.
func ensureTopics(ctx context.Context, addr string, want []string, partitions int) error {
	client := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 10 * time.Second}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("broker at %s: %w", addr, err)
	}
	have := make(map[string]bool, len(meta.Topics))
	for _, t := range meta.Topics {
		have[t.Name] = true
	}
	var missing []kafkago.TopicConfig
	for _, t := range want {
		if !have[t] {
			missing = append(missing, kafkago.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: 1})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	resp, err := client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: missing})
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var errs []error
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("create topic %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// cmdBroker runs the embedded broker alone, for development and for tests
// that run ekjon as separate processes. It prints its address once it
// serves, and stops on SIGINT or SIGTERM (ctx), saving its state to the
// data directory if it has one.
func cmdBroker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := app.DefaultConfig()
	bc := brokerConfig{addr: "127.0.0.1:9092", partitions: 6, maxMessageBytes: kafka.DefaultMaxMessageBytes}
	fs := flag.NewFlagSet("ekjon broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&bc.addr, "listen", bc.addr, "host:port to listen on and to advertise to clients (port 0: a free one)")
	fs.IntVar(&bc.partitions, "partitions", bc.partitions, "partitions of each topic the broker creates")
	fs.IntVar(&bc.maxMessageBytes, "max-message-bytes", bc.maxMessageBytes, "largest record batch a producer may send (a stock Kafka broker's message.max.bytes)")
	fs.StringVar(&bc.dataDir, "data-dir", "", "directory of the logs and committed offsets, kept across restarts (default: in memory)")
	fs.BoolVar(&bc.syncWrites, "sync-writes", false, "fsync every produced batch before acknowledging it (with --data-dir)")
	if err := app.BindTopicFlags(fs, &cfg, getenv); err != nil {
		return err
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ekjon broker [flags]\n\nA Kafka-protocol broker with ekjon's topics, for development and tests.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	bc.topics = append(cfg.Kafka.Topics.Inputs(), cfg.Kafka.Topics.Outputs()...)
	if err := bc.validate(); err != nil {
		return err
	}
	cluster, addr, err := openBroker(bc)
	if err != nil {
		return err
	}
	defer cluster.Close()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = ensureTopics(tctx, addr, bc.topics, bc.partitions)
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ekjon broker: listening on %s\n", addr)
	<-ctx.Done()
	cluster.Close()
	fmt.Fprintln(stderr, "ekjon broker: stopped")
	return nil
}
