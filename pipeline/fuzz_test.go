package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// published keeps what the processor publishes.
type published struct {
	mu   sync.Mutex
	outs []domain.Outcome
}

func (p *published) Publish(_ context.Context, outs []domain.Outcome) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outs = append(p.outs, outs...)
	return nil
}

func (p *published) take() []domain.Outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.outs
	p.outs = nil
	return out
}

// Seeds of FuzzProcessor: a valid event of each type and status, and junk.
var fuzzSeeds = []string{
	`{"event_id":"f-enrol","type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis","programme":"old_age",
	 "beneficiary_ref":"DSS-1","person":{"nid":"১৯৫০২৬১২৩৪৫৬৭৮৯০১","name_bn":"মোঃ রফিকুল ইসলাম","name_en":"Md. Rafiqul Islam",
	 "father_name":"মৃত আব্দুল করিম","dob":"1950-03-01","gender":"male","phone":"+8801712345678","wallet":"01712345678",
	 "address":{"division":"Dhaka","district":"Dhaka","upazila":"Savar","union":"Ashulia","ward":"3"}}}`,
	`{"event_id":"f-enrol-2","type":"enrolment","occurred_at":"2026-11-01T11:00:00Z","source":"dss-mis","programme":"widow",
	 "person":{"nid":"19502612345678901","name_en":"Rafiqul Islam","dob":"1950-03-01","gender":"male"}}`,
	`{"event_id":"f-pay","type":"distribution","occurred_at":"2026-11-05T09:12:00Z","source":"g2p-gateway","programme":"old_age",
	 "cycle":"2026-11","beneficiary_ref":"DSS-1","nid":"19502612345678901","amount":600,"channel":"mfs","wallet":"01712345678",
	 "distributor_id":"agent-5521","location":{"district":"Dhaka","upazila":"Savar"}}`,
	`{"event_id":"f-pay-ref","type":"distribution","occurred_at":"2026-11-05T09:12:00Z","source":"g2p","programme":"old_age",
	 "cycle":"Nov 2026","beneficiary_ref":"DSS-1","amount":600}`,
	`{"event_id":"f-dead","type":"status","occurred_at":"2026-11-07T00:00:00Z","source":"crvs","nid":"19502612345678901","status":"deceased"}`,
	`{"event_id":"f-exit","type":"status","occurred_at":"2026-11-07T00:00:00Z","source":"dss","nid":"19502612345678901","status":"exited","programme":"old_age"}`,
	`{"event_id":"f-susp","type":"status","occurred_at":"2026-11-07T00:00:00Z","source":"dss","nid":"19502612345678901","status":"suspended"}`,
	`{"event_id":"f-back","type":"status","occurred_at":"2026-11-08T00:00:00Z","source":"dss","nid":"19502612345678901","status":"reinstated"}`,
	`{"event_id":"f-wallet","type":"status","occurred_at":"2026-11-08T00:00:00Z","source":"dss","nid":"19502612345678901",
	 "status":"wallet_changed","programme":"old_age","wallet":"01812345678"}`,
	``,
	`{`,
	`null`,
	`[1,2,3]`,
	`{"event_id":"f-junk","type":"enrolment"}`,
	`{"event_id":"\u0000","type":"status"}`,
	"{\"event_id\":\"f-bad-utf8\",\"type\":\"status\",\"nid\":\"\xff\"}",
	`{"event_id":"f-big","type":"distribution","occurred_at":"2026-11-05T09:12:00Z","source":"g2p","programme":"vgf",
	 "cycle":"Eid-2026","nid":"1950261234","amount":1e300}`,
}

// FuzzProcessor feeds arbitrary bytes, and mutated valid events, through
// the real Processor on the real Redis index and PostgreSQL record, three
// messages a batch (the first again last, as a source sending it twice):
// Process must return, and publish exactly one decision for each message,
// in order, the one on record; a rejection goes to the dead-letter topic,
// nothing else does.
func FuzzProcessor(f *testing.F) {
	for i, a := range fuzzSeeds {
		f.Add([]byte(a), []byte(fuzzSeeds[(i+2)%len(fuzzSeeds)]))
	}
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.MustSchema(f), 4)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(store.Close)
	if _, err := store.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	rdb, prefix := redistest.MustClient(f)
	pseudo := domain.NewPseudonymizer([]byte("fuzz-secret-0123456789"))
	ix := redisindex.New(rdb, pseudo, redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(), Fuzzy: fuzzy.DefaultConfig(),
		BucketBits: 8, Judgements: store.Judgement})
	if _, ok, err := ix.Rebuild(ctx, store.BeginRebuild, store.IndexFacts); err != nil || !ok {
		f.Fatal(ok, err)
	}
	pub := &published{}
	cfg := pipeline.DefaultConfig()
	cfg.MaxEventBytes = 4 << 10
	cfg.Digest = func(content []byte) string { return pseudo.Hash("content", string(content)) }
	proc := pipeline.NewProcessor(cfg, ix, store, pub, slog.New(slog.NewTextHandler(io.Discard, nil)),
		pipeline.NewMetrics(prometheus.NewRegistry()))
	var offset atomic.Int64

	f.Fuzz(func(t *testing.T, a, b []byte) {
		msgs := make([]pipeline.Message, 3)
		for i, v := range [][]byte{a, b, a} {
			topic := []string{"ekjon.enrolments", "ekjon.distributions", "ekjon.status"}[i]
			msgs[i] = pipeline.Message{Topic: topic, Partition: i, Offset: offset.Add(1), Value: v, Time: time.Now()}
		}
		// A minute is no timing: a batch of three takes milliseconds,
		// and one that has not returned by then has stalled.
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		pub.take()
		if err := proc.Process(cctx, msgs); err != nil {
			t.Fatalf("Process stalled or stopped the consumer: %v", err)
		}
		outs := pub.take()
		if len(outs) != len(msgs) {
			t.Fatalf("%d decisions published for %d messages", len(outs), len(msgs))
		}
		ids := make([]string, len(outs))
		for i, o := range outs {
			d := o.Decision
			ids[i] = d.EventID
			switch {
			case o.Origin.Topic != msgs[i].Topic || o.Origin.Offset != msgs[i].Offset:
				t.Fatalf("decision %d is of %s/%d, want %s/%d", i, o.Origin.Topic, o.Origin.Offset, msgs[i].Topic, msgs[i].Offset)
			case d.EventID == "":
				t.Fatalf("decision %d has no event id: %+v", i, d)
			case d.Action != domain.ActionAdmit && d.Action != domain.ActionBlock && d.Action != domain.ActionHold &&
				d.Action != domain.ActionRejected:
				t.Fatalf("decision %d: action %q", i, d.Action)
			case (d.Action == domain.ActionRejected) != o.Dead:
				t.Fatalf("decision %d is %s %v and dead letter %v", i, d.Action, d.Rules, o.Dead)
			case d.Action == domain.ActionRejected && (len(d.Rules) == 0 || d.Reason == ""):
				t.Fatalf("decision %d is REJECTED without a rule and a reason: %+v", i, d)
			case o.Dead && string(o.Raw) != string(msgs[i].Value):
				t.Fatalf("dead letter %d does not carry the message's bytes", i)
			}
		}
		recorded, err := store.Decisions(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			r, ok := recorded[ids[i]]
			if !ok {
				t.Fatalf("decision %d (%s) published and not on record", i, ids[i])
			}
			if r.Action != o.Decision.Action || strings.Join(r.Rules, ",") != strings.Join(o.Decision.Rules, ",") {
				t.Fatalf("decision %d (%s) published %s %v, on record %s %v", i, ids[i], o.Decision.Action, o.Decision.Rules, r.Action, r.Rules)
			}
		}
		// The message sent twice gets the same decision both times,
		// unless its id names another event already (then both are
		// rejected under their own coordinates).
		if outs[0].Decision.Action != outs[2].Decision.Action {
			t.Fatalf("one message, two decisions: %s %v and %s %v (%s)", outs[0].Decision.Action, outs[0].Decision.Rules,
				outs[2].Decision.Action, outs[2].Decision.Rules, fmt.Sprintf("%q", a))
		}
	})
}
