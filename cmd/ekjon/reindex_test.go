package main

import (
	"context"
	"testing"
	"time"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// TestLostIndexIsRebuiltFromTheRecord wipes the Redis index under a running
// worker, as a Redis restart without persistence would. The worker rebuilds
// it from PostgreSQL, and later events are decided as if nothing happened:
// the enrolment, the payment, the death, the held duplicate and the
// beneficiary ref are all still known.
func TestLostIndexIsRebuiltFromTheRecord(t *testing.T) {
	h := newHarness(t, 2)
	h.start(nil)
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		personEnrolment("a1", "2612345678901", "old_age", "", "Md. Rafiqul Islam", "Late Abdul Karim", "1950-03-01", "male", "01712345678", "Savar"),
		distinctEnrolment("b1", "3333333333", "widow", 3))
	h.decisions("a1", "b1")
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		personEnrolment("a2", "19502612345670000", "old_age", "মোঃ রফিকুল ইসলাম", "", "মৃত আব্দুল করিম", "1950-03-01", "male", "01911111111", "Savar"))
	h.produce(h.cfg.Kafka.Topics.Distributions, paymentEvent("pay1", "2612345678901", "old_age", "2026-11", "01712345678", "2026-11-05T09:00:00Z"))
	h.produce(h.cfg.Kafka.Topics.Status, statusEvent("death", "3333333333", "deceased", "", "", "2026-11-02T00:00:00Z"))
	before := h.decisions("a2", "pay1", "death")
	if v := verdictOf(before["a2"]); v != "HOLD [FUZZY_PERSON]" {
		t.Fatalf("a2 before the loss: %s", v)
	}

	// The index is lost.
	rdb := redistest.Client(t)
	ctx := context.Background()
	keys, err := redistest.Keys(ctx, rdb, h.cfg.Redis.Prefix+"*")
	if err != nil || len(keys) == 0 {
		t.Fatalf("index keys: %d, %v", len(keys), err)
	}
	for _, k := range keys { // one by one: a cluster refuses a DEL across slots
		if err := rdb.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// Later events find everything the record knows.
	h.produce(h.cfg.Kafka.Topics.Enrolments,
		personEnrolment("a3", "2612345678901", "old_age", "", "Rafiqul Islam", "", "1950-03-01", "male", "01712345678", "Savar"),
		personEnrolment("a4", "5555512345", "gr", "", "Md Rofiqul Islam", "Abdul Karim", "1950-03-01", "male", "01712345678", "Savar"))
	h.produce(h.cfg.Kafka.Topics.Distributions,
		paymentEvent("pay2", "2612345678901", "old_age", "2026-11", "01712345678", "2026-11-06T09:00:00Z"),
		paymentEvent("pay3", "19502612345670000", "old_age", "2026-11", "01911111111", "2026-11-06T09:00:00Z"),
		paymentEvent("pay4", "3333333333", "widow", "2026-11", "", "2026-11-06T09:00:00Z"))
	after := map[string]string{}
	for id, d := range h.decisions("a3", "a4", "pay2", "pay3", "pay4") {
		after[id] = verdictOf(d)
	}
	want := map[string]string{
		"a3":   "BLOCK [DUP_NID]",            // the claim on old_age came back
		"a4":   "HOLD [FUZZY_PERSON]",        // the candidate records came back
		"pay2": "BLOCK [DOUBLE_PAYMENT]",     // the November payment came back
		"pay3": "BLOCK [UNKNOWN_PAYEE]",      // the hold came back
		"pay4": "BLOCK [DECEASED_OR_EXITED]", // the death came back
	}
	for id, w := range want {
		if after[id] != w {
			t.Errorf("%s after the rebuild: %s, want %s", id, after[id], w)
		}
	}
}

// TestRedisRestartFromSnapshotIsRebuilt restarts the index's Redis from a
// snapshot older than its last claims, as a crash of a Redis persisting by
// snapshots alone (or a failover to a replica that lagged) would. The
// ready marker survives in the snapshot; the index guard finds that Redis
// restarted since it was marked and rebuilds the index from the record,
// which brings back the claim made after the snapshot.
func TestRedisRestartFromSnapshotIsRebuilt(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{Persistence: redistest.Snapshot})
	h := newHarness(t, 1)
	a := h.start(func(c *app.Config) { c.Redis.URL, c.Redis.Cluster = srv.URL(), false })
	ctx := context.Background()
	h.produce(h.cfg.Kafka.Topics.Enrolments, distinctEnrolment("before", "1111111111", "widow", 1))
	h.decisions("before")
	if err := a.Redis.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, distinctEnrolment("after", "2222222222", "widow", 2))
	if v := verdictOf(h.decisions("after")["after"]); v != "ADMIT []" {
		t.Fatalf("after the snapshot: %s", v)
	}
	st := storeOn(h.db)
	gen, err := st.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := a.Index.Identify(&domain.Event{Type: domain.TypeEnrolment, Person: &domain.Person{NID: "2222222222"}})
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(time.Minute)
	for {
		fields, err := a.Index.PersonFields(ctx, key)
		if err == nil && fields["e:widow"] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the claim made after the snapshot never came back (%v, %v)", fields, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if g, err := st.Generation(ctx); err != nil || g <= gen {
		t.Fatalf("generation %d (%v) after the restart, %d before: the index was not rebuilt", g, err, gen)
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, distinctEnrolment("again", "2222222222", "widow", 2))
	if v := verdictOf(h.decisions("again")["again"]); v != "BLOCK [DUP_NID]" {
		t.Fatalf("the same NID enrolled again after the rebuild: %s", v)
	}
}
