package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/pipeline/kafka"
)

// replayOptions say which dead letters `ekjon replay` writes back, and
// where.
type replayOptions struct {
	from, to string
	rules    map[string]bool // empty: every rule
	dryRun   bool
	reissue  bool
}

// deadLetter is a dead letter as read back: where it lies, its headers,
// and its bytes.
type deadLetter struct {
	partition int
	offset    int64
	key       []byte
	value     []byte
	headers   map[string]string
}

// cmdReplay writes the dead letters of a topic back to the input topics
// they were read from (or to --to), after a fix. It reads the dead-letter
// topic up to its end when it starts, and commits nothing: run twice, it
// replays twice.
func cmdReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := app.DefaultConfig()
	fs := flag.NewFlagSet("ekjon replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := app.BindFlags(fs, &cfg, getenv); err != nil {
		return err
	}
	var o replayOptions
	var rules string
	fs.StringVar(&o.from, "from", "", "topic to read dead letters from (default --topic-deadletter)")
	fs.StringVar(&o.to, "to", "", "input topic to write them to (default: the topic each was read from, its ekjon-topic header)")
	fs.StringVar(&rules, "rule", "", "replay only dead letters of these rule codes (ekjon-rule header), comma-separated")
	fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be replayed, and write nothing")
	fs.BoolVar(&o.reissue, "reissue", false, "give each replayed event a new event_id, its own followed by ~r<partition>.<offset> of its dead letter, so that it is decided afresh")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ekjon replay [--from TOPIC] [--to TOPIC] [--rule CODE,...] [--dry-run] [--reissue]\n\nWrites dead letters back to the input topics after a fix. See docs/operations.md.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg.NoteExplicit(fs)
	if o.from == "" {
		o.from = cfg.Kafka.Topics.DeadLetter
	}
	if o.to == o.from {
		return errors.New("replay: --to is the topic it reads from")
	}
	o.rules = map[string]bool{}
	for _, r := range app.SplitList(rules) {
		o.rules[r] = true
	}
	letters, err := readDeadLetters(ctx, cfg, o.from)
	if err != nil {
		return err
	}

	var (
		msgs    []kafkago.Message
		counts  = map[string]int{}
		skipped []string
	)
	for _, d := range letters {
		rule, id := d.headers["ekjon-rule"], string(d.key)
		if len(o.rules) > 0 && !o.rules[rule] {
			continue
		}
		where := fmt.Sprintf("%s/%d/%d", o.from, d.partition, d.offset)
		to := o.to
		if to == "" {
			to = d.headers["ekjon-topic"]
		}
		m, why := replayMessage(d, to, o.reissue, where)
		if why != "" {
			skipped = append(skipped, fmt.Sprintf("%s (event %s, %s): %s", where, id, rule, why))
			continue
		}
		msgs = append(msgs, m)
		counts[rule+" → "+to]++
		if o.dryRun {
			fmt.Fprintf(stdout, "would replay %s (event %s, %s) to %s\n", where, id, rule, to)
		}
	}
	for _, s := range skipped {
		fmt.Fprintln(stdout, "skipped", s)
	}
	if !o.dryRun && len(msgs) > 0 {
		w := kafka.NewWriter(&kafkago.Writer{
			Addr: kafkago.TCP(cfg.Kafka.Brokers...), Balancer: &kafkago.Murmur2Balancer{}, RequiredAcks: kafkago.RequireAll,
			BatchSize: 500, BatchTimeout: 5 * time.Millisecond, BatchBytes: kafka.BatchBytes(cfg.Kafka.MaxMessageBytes),
		})
		err := w.WriteMessages(ctx, msgs...)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	verb := "replayed"
	if o.dryRun {
		verb = "would replay"
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "%s %d: %s\n", verb, counts[k], k)
	}
	fmt.Fprintf(stdout, "%s %d of %d dead letters; skipped %d\n", verb, len(msgs), len(letters), len(skipped))
	return nil
}

// replayMessage is the message that replays d to topic to, or why d
// cannot be replayed. It is keyed by the NID the event carries, as
// sources key their events, else by the dead letter's key (the event's
// id), and says in a header where it was replayed from.
func replayMessage(d deadLetter, to string, reissue bool, where string) (kafkago.Message, string) {
	if to == "" {
		return kafkago.Message{}, "no --to, and no ekjon-topic header"
	}
	if d.headers["ekjon-truncated"] == "true" {
		return kafkago.Message{}, "cut to fit the topic: send the original again from its source (ekjon-original-sha256 " + d.headers["ekjon-original-sha256"] + ")"
	}
	value := d.value
	if reissue {
		var fields map[string]json.RawMessage
		var id string
		if json.Unmarshal(d.value, &fields) != nil || json.Unmarshal(fields["event_id"], &id) != nil || id == "" {
			return kafkago.Message{}, "not a JSON object with an event_id to reissue"
		}
		fresh, _ := json.Marshal(id + "~r" + strconv.Itoa(d.partition) + "." + strconv.FormatInt(d.offset, 10))
		fields["event_id"] = fresh
		value, _ = json.Marshal(fields)
	}
	key := d.key
	var probe struct {
		NID    string `json:"nid"`
		Person struct {
			NID string `json:"nid"`
		} `json:"person"`
	}
	if json.Unmarshal(d.value, &probe) == nil && probe.NID+probe.Person.NID != "" {
		key = []byte(probe.NID + probe.Person.NID)
	}
	return kafkago.Message{Topic: to, Key: key, Value: value,
		Headers: []kafkago.Header{{Key: "ekjon-replayed-from", Value: []byte(where)}}}, ""
}

// readDeadLetters reads every partition of topic from its first offset to
// the end it has when asked.
func readDeadLetters(ctx context.Context, cfg app.Config, topic string) ([]deadLetter, error) {
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...), Timeout: 30 * time.Second}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if len(meta.Topics) != 1 {
		return nil, fmt.Errorf("replay: topic %s: not found", topic)
	}
	if err := meta.Topics[0].Error; err != nil {
		return nil, fmt.Errorf("replay: topic %s: %w", topic, err)
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	offs, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var out []deadLetter
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("replay: %s/%d: %w", topic, po.Partition, po.Error)
		}
		if po.LastOffset <= po.FirstOffset {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: cfg.Kafka.Brokers, Topic: topic, Partition: po.Partition,
			MaxBytes: cfg.Kafka.MaxMessageBytes + 64<<10, MaxWait: 2 * time.Second})
		err := r.SetOffset(po.FirstOffset)
		for err == nil {
			var m kafkago.Message
			if m, err = r.ReadMessage(ctx); err != nil {
				break
			}
			d := deadLetter{partition: m.Partition, offset: m.Offset, key: m.Key, value: m.Value, headers: map[string]string{}}
			for _, h := range m.Headers {
				d.headers[h.Key] = string(h.Value)
			}
			out = append(out, d)
			if m.Offset >= po.LastOffset-1 {
				break
			}
		}
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("replay: reading %s/%d: %w", topic, po.Partition, err)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].partition < out[j].partition || out[i].partition == out[j].partition && out[i].offset < out[j].offset
	})
	return out, nil
}
