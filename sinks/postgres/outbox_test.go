package postgres_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// flakyPublisher fails its first fails calls, then records what it
// publishes.
type flakyPublisher struct {
	mu    sync.Mutex
	fails int
	got   []domain.Decision
}

func (p *flakyPublisher) Publish(_ context.Context, outs []domain.Outcome) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return domain.Wrap(domain.KindTransient, "publish", errors.New("broker down"))
	}
	for _, o := range outs {
		p.got = append(p.got, o.Decision)
	}
	return nil
}

// recordingIndex records index operations, failing while broken is set.
type recordingIndex struct {
	broken bool
	ops    []string
}

func (x *recordingIndex) ReleaseHold(_ context.Context, key, prog, ev string) error {
	if x.broken {
		return domain.Wrap(domain.KindTransient, "redis", errors.New("redis down"))
	}
	x.ops = append(x.ops, "release "+key+" "+prog+" "+ev)
	return nil
}

func (x *recordingIndex) ClaimEnrolment(_ context.Context, key, prog, ev, wallet string) error {
	x.ops = append(x.ops, "claim "+key+" "+prog+" "+ev+" "+wallet)
	return nil
}

// TestRelay: a committed outbox row is published at least once, after its
// index change, and is retried until the publisher takes it.
func TestRelay(t *testing.T) {
	cases := []struct {
		name        string
		pubFails    int
		indexBroken bool
		// wantErr is whether the first flush fails.
		wantErr bool
	}{
		{"publishes and marks sent", 0, false, false},
		{"publisher down, then back", 2, false, true},
		{"index down: nothing published", 0, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := postgres.Open(ctx, pgtest.MustSchema(t), 4)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Pool().Exec(ctx, `INSERT INTO outbox (event_id, decision, index_op) VALUES
				('e1', '{"event_id":"e1","action":"ADMIT","rules":["DECEASED_OR_EXITED"],"decided_at":"2026-11-05T10:00:00Z","config_version":"v"}',
				 '{"op":"release_hold","index_key":"k1","programme":"old_age","event_id":"e1"}')`); err != nil {
				t.Fatal(err)
			}
			pub := &flakyPublisher{fails: tc.pubFails}
			ix := &recordingIndex{broken: tc.indexBroken}
			r := postgres.NewRelay(s, pub, ix, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

			_, err = r.Flush(ctx)
			if (err != nil) != tc.wantErr {
				t.Fatalf("first flush: %v, want error %v", err, tc.wantErr)
			}
			if tc.indexBroken && len(pub.got) != 0 {
				t.Fatalf("published before the index changed: %+v", pub.got)
			}
			ix.broken = false
			for i := 0; i < 3 && len(pub.got) == 0; i++ {
				_, _ = r.Flush(ctx)
			}
			if len(pub.got) != 1 || pub.got[0].EventID != "e1" || pub.got[0].Action != domain.ActionAdmit {
				t.Fatalf("published %+v, want e1 ADMIT once", pub.got)
			}
			if len(ix.ops) == 0 || ix.ops[len(ix.ops)-1] != "release k1 old_age e1" {
				t.Fatalf("index ops %v", ix.ops)
			}
			var pending, attempts int
			if err := s.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE sent_at IS NULL), max(attempts) FROM outbox`).Scan(&pending, &attempts); err != nil {
				t.Fatal(err)
			}
			if pending != 0 {
				t.Fatalf("%d rows still pending", pending)
			}
			if wantAttempts := 1 + tc.pubFails + map[bool]int{true: 1}[tc.indexBroken]; attempts != wantAttempts {
				t.Fatalf("attempts %d, want %d", attempts, wantAttempts)
			}
			if n, err := r.Flush(ctx); n != 0 || err != nil {
				t.Fatalf("flush after sending: %d, %v", n, err)
			}
		})
	}
}
