package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// TestReplay replays dead letters into the running pipeline and shows
// what the runbook says of them: an event under its own id keeps its
// REJECTED decision, one ekjon could only name by where it was read is
// decided again, and --reissue decides an event afresh under a new id.
func TestReplay(t *testing.T) {
	h := newHarness(t, 1)
	h.start(nil)
	in := h.cfg.Kafka.Topics.Enrolments
	h.produce(in, `{"event_id":"j1","type":`, enrolmentEvent("bad-nid", "12345", "widow", "", "Amena Begum", ""))
	noID := "kafka:" + in + ":0:0"
	if d := h.decisions(noID, "bad-nid"); d["bad-nid"].Rules[0] != domain.RuleInvalidID || d[noID].Rules[0] != domain.RuleInvalidEvent {
		t.Fatalf("decisions before the replay: %v", d)
	}
	h.readTopic(h.cfg.Kafka.Topics.DeadLetter, 2)
	env := map[string]string{"EKJON_BROKERS": h.cfg.Kafka.Brokers[0]}
	replay := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"replay"}, args...), func(k string) string { return env[k] }, &out, &out); err != nil {
			t.Fatalf("ekjon replay %v: %v\n%s", args, err, &out)
		}
		return out.String()
	}

	out := replay("--dry-run", "--rule", domain.RuleInvalidID)
	for _, want := range []string{"would replay ekjon.deadletter/0/1 (event bad-nid, INVALID_ID) to ekjon.enrolments", "would replay 1 of 2 dead letters"} {
		if !strings.Contains(out, want) {
			t.Errorf("a dry run does not say %q:\n%s", want, out)
		}
	}
	if got := h.readTopic(in, 3); len(got) != 2 {
		t.Fatalf("after a dry run the input topic holds %d messages, want the 2 produced", len(got))
	}

	out = replay()
	if !strings.Contains(out, "replayed 2 of 2 dead letters; skipped 0") {
		t.Errorf("ekjon replay says:\n%s", out)
	}
	msgs := h.readTopic(in, 4)
	if len(msgs) != 4 {
		t.Fatalf("after the replay the input topic holds %d messages, want 4", len(msgs))
	}
	for _, m := range msgs[2:] {
		from := ""
		for _, hd := range m.Headers {
			if hd.Key == "ekjon-replayed-from" {
				from = string(hd.Value)
			}
		}
		if !strings.HasPrefix(from, "ekjon.deadletter/0/") {
			t.Errorf("replayed message at offset %d says it was replayed from %q", m.Offset, from)
		}
		if bytes.Contains(m.Value, []byte("bad-nid")) && string(m.Key) != "12345" {
			t.Errorf("the replayed enrolment is keyed %q, not by its NID", m.Key)
		}
	}
	// Read where it lies now, the event without an id has new coordinates
	// and a decision of its own; bad-nid's decision is the one on record.
	again := fmt.Sprintf("kafka:%s:0:%d", in, msgs[2].Offset)
	if !bytes.Contains(msgs[2].Value, []byte(`"j1"`)) {
		again = fmt.Sprintf("kafka:%s:0:%d", in, msgs[3].Offset)
	}
	before := h.decisions("bad-nid")["bad-nid"]
	d := h.decisions(again)
	if d[again].Action != domain.ActionRejected {
		t.Errorf("the replayed event without an id: %s", verdictOf(d[again]))
	}
	if h.readTopic(h.cfg.Kafka.Topics.DeadLetter, 4); !h.decisions("bad-nid")["bad-nid"].DecidedAt.Equal(before.DecidedAt) {
		t.Error("bad-nid was decided again under its own id")
	}

	out = replay("--rule", domain.RuleInvalidID+","+domain.RuleInvalidEvent, "--reissue")
	if !strings.Contains(out, "not a JSON object with an event_id to reissue") {
		t.Errorf("--reissue does not skip the event without an id:\n%s", out)
	}
	reissued := "bad-nid~r0.1"
	if d := h.decisions(reissued)[reissued]; d.Action != domain.ActionRejected || d.Rules[0] != domain.RuleInvalidID {
		t.Errorf("the reissued event: %s", verdictOf(d))
	}
}
