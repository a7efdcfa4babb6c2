package api

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
)

// TestBatchReadAgainAfterAKillAfterDecide: a worker decides a batch
// holding a payment sent before the enrolment of its person and dies
// before the record; the next owner of the partition reads the batch
// again. The payment stays UNKNOWN_PAYEE, the index keeps no paid claim
// for it (a later payment of the cycle is paid, not a DOUBLE_PAYMENT) and
// agrees with the record.
func TestBatchReadAgainAfterAKillAfterDecide(t *testing.T) {
	e := newEnv(t)
	const nid = "1200000031"
	var msgs []pipeline.Message
	for _, ev := range []map[string]any{payment("p1", "old_age", nid, ""), enrolledAt("e1", "old_age", nid, 1)} {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		e.offset++
		msgs = append(msgs, pipeline.Message{Topic: e.topics.Enrolments, Offset: e.offset, Value: b, Time: time.Now()})
	}
	ctx, cancel := context.WithCancel(e.ctx)
	killed := pipeline.NewProcessor(pipeline.DefaultConfig(), crashDecider{e.index, &crash{stage: "decide", cancel: cancel}},
		e.store, &capture{}, quietLog(), pipeline.NewMetrics(prometheus.NewRegistry()))
	if err := killed.Process(ctx, msgs); err == nil {
		t.Fatal("the killed worker finished its batch")
	}
	if err := e.proc.Process(e.ctx, msgs); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Decisions(e.ctx, []string{"p1", "e1"})
	if err != nil {
		t.Fatal(err)
	}
	verdict := func(d domain.Decision) string { return fmt.Sprint(d.Action, " ", d.Rules) }
	if v := verdict(got["p1"]); v != "BLOCK [UNKNOWN_PAYEE]" {
		t.Errorf("p1, sent before the enrolment: %s, want BLOCK [UNKNOWN_PAYEE]", v)
	}
	if v := verdict(got["e1"]); v != "ADMIT []" {
		t.Errorf("e1: %s, want ADMIT []", v)
	}
	e.agreeing("the batch read again", []string{nid})
	if v := verdict(e.feed(payment("p2", "old_age", nid, ""))["p2"]); v != "ADMIT []" {
		t.Errorf("p2, the cycle's first payment paid: %s, want ADMIT []", v)
	}
}
