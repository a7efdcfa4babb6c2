package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// checkKafka checks that the brokers answer, that every input and output
// topic exists (creating the missing ones when cfg.CreateTopics is set),
// and that each output topic takes the messages ekjon writes.
func checkKafka(ctx context.Context, cfg Config, _ CheckMode) []CheckResult {
	transport := &kafkago.Transport{DialTimeout: 10 * time.Second}
	defer transport.CloseIdleConnections()
	client := func(addr string) *kafkago.Client {
		return &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 10 * time.Second, Transport: transport}
	}

	// Every bootstrap broker is asked: a wrong address in the list is
	// hidden for as long as another answers.
	var (
		meta     *kafkago.MetadataResponse
		answered string
		silent   []string
	)
	for _, b := range cfg.Kafka.Brokers {
		m, err := client(b).Metadata(ctx, &kafkago.MetadataRequest{})
		if err != nil {
			silent = append(silent, b+" ("+errText(err)+")")
			continue
		}
		if meta == nil {
			meta, answered = m, b
		}
	}
	const name, brokersRemedy = "kafka brokers", "check --brokers (EKJON_BROKERS) and that the brokers run and are reachable from here"
	if meta == nil {
		return []CheckResult{failed(name, "no broker answers: "+strings.Join(silent, ", "), brokersRemedy)}
	}
	out := []CheckResult{passed(name, fmt.Sprintf("%s answered; the cluster has %d broker(s)", strings.Join(cfg.Kafka.Brokers, ","), len(meta.Brokers)))}
	if len(silent) > 0 {
		out[0] = warned(name, "some bootstrap brokers do not answer: "+strings.Join(silent, ", "), brokersRemedy)
	}

	have, broken := map[string]bool{}, map[string]error{}
	for _, t := range meta.Topics {
		have[t.Name] = true
		if t.Error != nil {
			broken[t.Name] = t.Error
		}
	}
	bootstrap := client(answered)
	var outputs []string
	for _, topic := range cfg.Kafka.Topics.Outputs() {
		if have[topic] && broken[topic] == nil {
			outputs = append(outputs, topic)
		}
	}
	limits := outputLimits(ctx, bootstrap, meta, outputs)
	for _, topic := range append(cfg.Kafka.Topics.Inputs(), cfg.Kafka.Topics.Outputs()...) {
		tname := "kafka topic " + topic
		output := slices.Contains(cfg.Kafka.Topics.Outputs(), topic)
		switch {
		case !have[topic] && cfg.Kafka.CreateTopics:
			out = append(out, createTopic(ctx, bootstrap, cfg, topic, output, len(meta.Brokers)))
		case !have[topic]:
			out = append(out, failed(tname, "topic "+topic+" does not exist",
				"create it or run with --create-topics (with --topic-partitions and --topic-replication)"))
		case broken[topic] != nil:
			out = append(out, failed(tname, "topic "+topic+" is not usable: "+errText(broken[topic]),
				"check the topic's partitions and their leaders (kafka-topics.sh --describe)"))
		case !output:
			out = append(out, passed(tname, "exists"))
		default:
			out = append(out, checkLimit(tname, topic, limits[topic], cfg.Kafka.MaxMessageBytes))
		}
	}
	return out
}

// topicLimit is an output topic's message limit and where it was read.
type topicLimit struct {
	bytes  int
	source string // max.message.bytes, or the broker's message.max.bytes
	err    error
}

// outputLimits reads the message limit of each topic: its
// max.message.bytes (DescribeConfigs), or the broker's message.max.bytes
// when the topic's is not to be had.
func outputLimits(ctx context.Context, c *kafkago.Client, meta *kafkago.MetadataResponse, topics []string) map[string]topicLimit {
	out := map[string]topicLimit{}
	if len(topics) == 0 {
		return out
	}
	req := &kafkago.DescribeConfigsRequest{}
	for _, t := range topics {
		req.Resources = append(req.Resources, kafkago.DescribeConfigRequestResource{
			ResourceType: kafkago.ResourceTypeTopic, ResourceName: t, ConfigNames: []string{"max.message.bytes"}})
	}
	var missing []string
	resp, err := c.DescribeConfigs(ctx, req)
	for _, t := range topics {
		if err == nil {
			if n, ok := configInt(resp, t, "max.message.bytes"); ok {
				out[t] = topicLimit{bytes: n, source: "max.message.bytes"}
				continue
			}
		}
		missing = append(missing, t)
	}
	if len(missing) == 0 {
		return out
	}
	broker, berr := brokerLimit(ctx, c, meta)
	for _, t := range missing {
		if berr != nil {
			out[t] = topicLimit{err: errors.Join(err, berr)}
		} else {
			out[t] = topicLimit{bytes: broker, source: "the broker's message.max.bytes"}
		}
	}
	return out
}

// brokerLimit reads message.max.bytes from one broker of the cluster.
func brokerLimit(ctx context.Context, c *kafkago.Client, meta *kafkago.MetadataResponse) (int, error) {
	if len(meta.Brokers) == 0 {
		return 0, errors.New("the cluster lists no broker")
	}
	b := meta.Brokers[0]
	id := strconv.Itoa(b.ID)
	resp, err := c.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{
		Addr: kafkago.TCP(net.JoinHostPort(b.Host, strconv.Itoa(b.Port))),
		Resources: []kafkago.DescribeConfigRequestResource{{
			ResourceType: kafkago.ResourceTypeBroker, ResourceName: id, ConfigNames: []string{"message.max.bytes"}}},
	})
	if err != nil {
		return 0, err
	}
	if n, ok := configInt(resp, id, "message.max.bytes"); ok {
		return n, nil
	}
	return 0, fmt.Errorf("broker %s does not say its message.max.bytes", id)
}

// configInt finds a resource's integer setting in a DescribeConfigs
// answer.
func configInt(resp *kafkago.DescribeConfigsResponse, resource, key string) (int, bool) {
	for _, r := range resp.Resources {
		if r.ResourceName != resource || r.Error != nil {
			continue
		}
		for _, e := range r.ConfigEntries {
			if e.ConfigName == key {
				n, err := strconv.Atoi(e.ConfigValue)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// checkLimit compares an output topic's message limit with what the
// producer sends: batches of up to --kafka-max-message-bytes.
func checkLimit(name, topic string, l topicLimit, send int) CheckResult {
	if l.err != nil {
		return warned(name, "exists; its message limit could not be read ("+errText(l.err)+")",
			fmt.Sprintf("make sure its max.message.bytes is at least %d (--kafka-max-message-bytes)", send))
	}
	if l.bytes < send {
		return failed(name, fmt.Sprintf("topic %s takes messages of at most %d bytes (%s), less than the %d ekjon sends (--kafka-max-message-bytes)",
			topic, l.bytes, l.source, send),
			fmt.Sprintf("raise the topic's max.message.bytes to %d, or set --kafka-max-message-bytes to %d", send, l.bytes))
	}
	return passed(name, fmt.Sprintf("exists; takes messages of %d bytes (%s), ekjon sends at most %d", l.bytes, l.source, send))
}

// createTopic creates a missing topic with the configured partitions and
// replicas; an output topic is given the message limit ekjon sends by.
func createTopic(ctx context.Context, c *kafkago.Client, cfg Config, topic string, output bool, brokers int) CheckResult {
	name := "kafka topic " + topic
	tc := kafkago.TopicConfig{Topic: topic, NumPartitions: cfg.Kafka.TopicPartitions, ReplicationFactor: cfg.Kafka.TopicReplication}
	limit := ""
	if output {
		tc.ConfigEntries = []kafkago.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(cfg.Kafka.MaxMessageBytes)}}
		limit = fmt.Sprintf(", max.message.bytes %d", cfg.Kafka.MaxMessageBytes)
	}
	resp, err := c.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{tc}})
	if err == nil {
		err = resp.Errors[topic]
	}
	switch {
	case err == nil, errors.Is(err, kafkago.TopicAlreadyExists):
		return passed(name, fmt.Sprintf("created with %d partitions of %d replicas%s", cfg.Kafka.TopicPartitions, cfg.Kafka.TopicReplication, limit))
	case errors.Is(err, kafkago.InvalidReplicationFactor):
		return failed(name, fmt.Sprintf("could not create topic %s with %d replicas on %d broker(s): %s", topic, cfg.Kafka.TopicReplication, brokers, errText(err)),
			"set --topic-replication to at most the number of brokers")
	default:
		return failed(name, "could not create topic "+topic+": "+errText(err),
			"create it by hand, or check that ekjon's Kafka user may create topics")
	}
}
