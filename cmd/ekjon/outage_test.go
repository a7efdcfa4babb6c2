package main

import (
	"context"
	"testing"
	"time"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
)

// TestRedisOutagePausesAndResumes stops the index's Redis mid-stream: the
// worker retries and decides nothing meanwhile, then decides every event
// once Redis is back. Nothing is dropped or decided twice.
func TestRedisOutagePausesAndResumes(t *testing.T) {
	h := newHarness(t, 1)
	mr, err := startRedis()
	if err != nil {
		t.Fatal(err)
	}
	defer mr.Close()
	a := h.start(func(c *app.Config) { c.Redis.URL, c.Redis.Cluster = "redis://"+mr.Addr(), false })
	h.produce(h.cfg.Kafka.Topics.Enrolments, distinctEnrolment("before", "1111111111", "widow", 1))
	if v := verdictOf(h.decisions("before")["before"]); v != "ADMIT []" {
		t.Fatalf("before the outage: %s", v)
	}

	mr.Close()
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		distinctEnrolment("during-1", "2222222222", "widow", 2),
		distinctEnrolment("during-2", "2222222222", "widow", 2))
	time.Sleep(6 * time.Second) // longer than go-redis retries a command on its own
	st := storeOn(h.db)
	got, err := st.Decisions(context.Background(), []string{"during-1", "during-2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("decided %d events while the index was down", len(got))
	}
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	d := h.decisions("during-1", "during-2")
	pair := verdictOf(d["during-1"]) + " / " + verdictOf(d["during-2"])
	if pair != "ADMIT [] / BLOCK [DUP_NID]" {
		t.Fatalf("after the outage: %s", pair)
	}
	var retries float64
	mfs, err := a.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "ekjon_pipeline_retried_total" {
			for _, m := range mf.GetMetric() {
				retries += m.GetCounter().GetValue()
			}
		}
	}
	if retries == 0 {
		t.Error("no retries counted during the outage")
	}
}
