package benchmarks

import (
	"context"
	"iter"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestPaydayEventsAreNew: the payday's events share no event id with the
// registry or the runs, the payment cycle pays registry persons only, and
// the drive enrols persons no one enrolled before. An event id met again
// would be taken for a redelivery and never counted as decided.
func TestPaydayEventsAreNew(t *testing.T) {
	w, err := NewWorkload(1, 400, 300)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, seq := range []iter.Seq[synth.Record]{w.PreloadEnrolments(), w.PreloadStatuses()} {
		for r := range seq {
			seen[r.EventID] = true
		}
	}
	for k := range 2 {
		for _, r := range w.Run(k) {
			seen[r.EventID] = true
		}
	}
	paid := 0
	for r := range w.PaymentCycle() {
		if seen[r.EventID] {
			t.Fatalf("payment %s was an event of the registry or a run", r.EventID)
		}
		if id := r.Truth.PersonID; id != "" && id[0] == 'H' && cluster(id) >= w.Persons {
			t.Fatalf("payment %s pays %s, not in the registry of %d", r.EventID, id, w.Persons)
		}
		seen[r.EventID] = true
		paid++
	}
	if paid < w.Persons*9/10 {
		t.Fatalf("the payment cycle paid %d events for %d persons", paid, w.Persons)
	}
	enrolments, statuses, err := w.EnrolmentDrive(400)
	if err != nil {
		t.Fatal(err)
	}
	from := w.Config().Persons
	for name, seq := range map[string]iter.Seq[synth.Record]{"enrolment": enrolments, "status": statuses} {
		n := 0
		for r := range seq {
			if seen[r.EventID] {
				t.Fatalf("drive %s %s has the id of an earlier event", name, r.EventID)
			}
			if c := cluster(r.Truth.PersonID); c < from {
				t.Fatalf("drive %s %s is of person %d, enrolled before the drive (from %d)", name, r.EventID, c, from)
			}
			seen[r.EventID] = true
			n++
		}
		if n == 0 {
			t.Fatalf("the drive has no %s events", name)
		}
	}
}

// TestRecordSizesSumsPartitions: a partitioned table is counted under its
// own name, its partitions' rows and bytes summed.
func TestRecordSizesSumsPartitions(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.MustSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	before, err := RecordSizes(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO decision_keys (event_id, recorded_at) VALUES ('a', now()), ('b', now() - interval '1 month')`,
		`SELECT ekjon_ensure_partitions(0, now() - interval '1 month')`,
		`INSERT INTO decisions (event_id, action, decided_at, config_version, recorded_at)
		 SELECT event_id, 'ADMIT', now(), 'v', recorded_at FROM decision_keys`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	after, err := RecordSizes(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	d := SizeDelta(before, after)
	if d["decisions"].Rows != 2 || d["decisions"].Bytes <= 0 || d["decision_keys"].Rows != 2 {
		t.Fatalf("growth %+v, want 2 decisions in two partitions under decisions, and 2 keys", d)
	}
	for name := range after {
		if len(name) > len("decisions_") && name[:len("decisions_")] == "decisions_" {
			t.Fatalf("partition %s counted on its own", name)
		}
	}
}

// TestProcessCPU reads this process's CPU time, and refuses a process
// that does not exist.
func TestProcessCPU(t *testing.T) {
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	if d, err := ProcessCPU(os.Getpid()); err != nil || d <= 0 {
		t.Fatalf("ProcessCPU of this process after a busy loop (%d): %v, %v", x, d, err)
	}
	if _, err := ProcessCPU(1 << 30); err == nil {
		t.Fatal("ProcessCPU of no process: no error")
	}
}
