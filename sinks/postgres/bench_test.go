package postgres

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// benchSizes are the batch sizes the write benchmarks run: a small batch,
// a typical one and the pipeline's largest (kafka.DefaultSourceConfig's
// BatchSize).
var benchSizes = []int{100, 1000, 2000}

// benchBatch is one batch of outcomes as the pipeline hands it to Write:
// synth's events decoded and validated as the processor does, decided as
// synth's ground truth says (admitted enrolments and payments, blocks and
// holds with their rules and alerts, rejected malformed events). Each round
// of a benchmark writes a copy under fresh event ids and a fresh cycle, so
// that every round inserts and none trips the admitted-payment index.
type benchBatch []domain.Outcome

func newBenchBatch(tb testing.TB, n int) benchBatch {
	tb.Helper()
	cfg := synth.DefaultConfig()
	cfg.Persons = n
	cfg.RunID = "bench"
	// More malformed events than the usual 0.3 %, so that even a batch of
	// 100 records a rejection.
	cfg.MalformedRate = 0.02
	g, err := synth.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	// Roughly the traffic of a month: a few new enrolments and status
	// changes among the payments of the cycle.
	var enr, st, pay []synth.Record
	take := func(seq iter.Seq[synth.Record], k int, into *[]synth.Record) {
		for r := range seq {
			if len(*into) >= k {
				return
			}
			*into = append(*into, r)
		}
	}
	take(g.Enrolments(), n*40/100, &enr)
	take(g.Statuses(), n*3/100, &st)
	take(g.Payments(cfg.Cycles[0]), n-len(enr)-len(st), &pay)
	recs := make([]synth.Record, 0, n)
	for i := 0; len(recs) < n; i++ {
		for _, from := range []*[]synth.Record{&pay, &enr, &st} {
			if i < len(*from) && len(recs) < n {
				recs = append(recs, (*from)[i])
			}
		}
	}

	pseudo := domain.NewPseudonymizer([]byte("bench"))
	policy := domain.DefaultPolicy()
	decided := time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)
	out := make(benchBatch, len(recs))
	for i, r := range recs {
		o := &out[i]
		o.Origin = domain.Origin{Topic: "ekjon.events.v1", Partition: i % 12, Offset: int64(i), Time: decided}
		o.Decision = domain.Decision{DecidedAt: decided, ConfigVersion: "bench", Rules: []string{}}
		e, err := domain.DecodeEvent(r.Value, 64<<10)
		if err == nil {
			err = domain.Validate(e, policy)
		}
		if err != nil {
			o.Dead = true
			o.Decision.EventID = domain.PeekEventID(r.Value)
			if o.Decision.EventID == "" {
				o.Decision.EventID = fmt.Sprintf("kafka:%s:%d:%d", o.Origin.Topic, o.Origin.Partition, o.Origin.Offset)
			}
			o.Decision.Action, o.Decision.Rules, o.Decision.Reason = domain.ActionRejected, []string{domain.RuleInvalidEvent}, err.Error()
			continue
		}
		o.Event = e
		d := &o.Decision
		d.EventID, d.EventType, d.Source, d.Programme = e.EventID, e.Type, e.Source, e.Programme
		d.Action, d.Rules = r.Truth.Action, append([]string{}, r.Truth.Rules...)
		if nid := e.IdentityNID(); nid != "" && !hasRule(d.Rules, domain.RuleUnknownPayee) {
			o.IndexKey = pseudo.Hash("nid", nid)[:16]
			d.PersonID = "P" + o.IndexKey
		} else if e.Type == domain.TypeEnrolment {
			// No NID: a person of its own, as the index names one.
			o.IndexKey = pseudo.Hash("ref", e.Source+"\x00"+e.Programme+"\x00"+e.BeneficiaryRef+"\x00"+e.EventID)[:16]
			d.PersonID = "P" + o.IndexKey
		}
		if w := e.Wallet; w != "" || (e.Person != nil && e.Person.Wallet != "") {
			if w == "" {
				w = e.Person.Wallet
			}
			o.WalletKey = pseudo.Hash("wallet", w)[:12]
		}
		for _, rule := range d.Rules {
			if rule == domain.RuleFuzzyPerson || rule == domain.RulePossiblePerson {
				d.Score, d.MatchedPerson = 0.91, "P"+pseudo.Hash("nid", r.Truth.PersonID)[:16]
				d.Explanation = []domain.Contribution{{Field: "name", Level: "fuzzy", Weight: 4.1},
					{Field: "dob", Level: "exact", Weight: 3.2}, {Field: "father_name", Level: "fuzzy", Weight: 2.0}}
			}
			if d.Action == domain.ActionHold || rule == domain.RuleMultiProgramme || rule == domain.RuleSharedContact {
				district := ""
				if e.Person != nil && e.Person.Address != nil {
					district = e.Person.Address.District
				} else if e.Location != nil {
					district = e.Location.District
				}
				o.Alerts = append(o.Alerts, domain.Alert{AlertID: domain.AlertID(e.EventID, rule), EventID: e.EventID,
					Rule: rule, Action: d.Action, Programme: e.Programme, PersonID: d.PersonID,
					MatchedPerson: d.MatchedPerson, Score: d.Score, Explanation: d.Explanation,
					District: district, CreatedAt: decided})
			}
		}
	}
	return out
}

func hasRule(rules []string, rule string) bool {
	for _, r := range rules {
		if r == rule {
			return true
		}
	}
	return false
}

// round returns a copy of the batch for round i, under event ids, persons
// and a payment cycle no other round uses: a person enrolled again in a
// programme in a later round would be a second live claim, which the
// record refuses.
func (bb benchBatch) round(i int) []domain.Outcome {
	sfx := "~" + strconv.Itoa(i)
	out := make([]domain.Outcome, len(bb))
	for j, o := range bb {
		o.Decision.EventID += sfx
		if o.Decision.PersonID != "" {
			o.Decision.PersonID += sfx
			o.IndexKey += sfx
		}
		if o.Decision.MatchedPerson != "" {
			o.Decision.MatchedPerson += sfx
		}
		o.Decision.Rules = append([]string{}, o.Decision.Rules...)
		if o.Event != nil {
			e := *o.Event
			e.EventID += sfx
			if e.Type == domain.TypeDistribution {
				e.Cycle += sfx
			}
			o.Event = &e
		}
		alerts := make([]domain.Alert, len(o.Alerts))
		for k, a := range o.Alerts {
			a.EventID += sfx
			a.AlertID = domain.AlertID(a.EventID, a.Rule)
			a.PersonID, a.MatchedPerson = o.Decision.PersonID, o.Decision.MatchedPerson
			alerts[k] = a
		}
		o.Alerts = alerts
		out[j] = o
	}
	return out
}

// String says what the batch holds, so that a reader of the numbers knows
// what was written.
func (bb benchBatch) String() string {
	var types, actions = map[domain.EventType]int{}, map[domain.Action]int{}
	alerts := 0
	for _, o := range bb {
		if o.Event != nil {
			types[o.Event.Type]++
		}
		actions[o.Decision.Action]++
		alerts += len(o.Alerts)
	}
	return fmt.Sprintf("%d events: %d enrolments, %d payments, %d status changes; %d admitted, %d held, %d blocked, %d rejected; %d alerts",
		len(bb), types[domain.TypeEnrolment], types[domain.TypeDistribution], types[domain.TypeStatus],
		actions[domain.ActionAdmit], actions[domain.ActionHold], actions[domain.ActionBlock], actions[domain.ActionRejected], alerts)
}

// benchPool returns a pool on a migrated private schema.
func benchPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.MustSchema(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	if _, err := Migrate(ctx, pool); err != nil {
		tb.Fatal(err)
	}
	return pool
}

// BenchmarkWrite measures Store.Write: one transaction per batch, every
// table the outcomes touch, on a record that grows as the benchmark runs.
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 50x -count 10 ./sinks/postgres
func BenchmarkWrite(b *testing.B) {
	for _, n := range benchSizes {
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			s := NewStore(benchPool(b))
			bb := newBenchBatch(b, n)
			b.Log(bb)
			round := 0
			for b.Loop() {
				b.StopTimer()
				outs := bb.round(round)
				round++
				b.StartTimer()
				if _, err := s.Write(ctx, outs, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// decisionsStage is the staging table COPY fills: the columns of
// insertDecisions' unnest, so that both paths apply the same conversions.
// Rows live until the transaction ends.
const decisionsStage = `CREATE TEMP TABLE IF NOT EXISTS decisions_stage (
	id text, typ text, src text, prog text, act text, rules text, reason text, score float8, expl text,
	person text, matched text, occurred timestamptz, decided timestamptz, cfg text, topic text,
	part int, off int8, ktime timestamptz, digest text) ON COMMIT DELETE ROWS`

var decisionsStageColumns = []string{"id", "typ", "src", "prog", "act", "rules", "reason", "score", "expl",
	"person", "matched", "occurred", "decided", "cfg", "topic", "part", "off", "ktime", "digest"}

// The conflict target stays explicit: a bare ON CONFLICT DO NOTHING would
// also swallow the violation of any other unique index. decision_keys is
// the arbiter, as in insertDecisions.
const insertDecisionsFromStage = `WITH k AS (
	INSERT INTO decision_keys (event_id) SELECT DISTINCT id FROM decisions_stage
	ON CONFLICT (event_id) DO NOTHING
	RETURNING event_id, recorded_at
)
INSERT INTO decisions (event_id, event_type, source, programme, action, rules, reason,
	score, explanation, person_id, matched_person_id, occurred_at, decided_at, config_version,
	kafka_topic, kafka_partition, kafka_offset, kafka_time, digest, recorded_at)
SELECT DISTINCT ON (id) id, typ, src, prog, act, COALESCE(string_to_array(NULLIF(rules, ''), ','), '{}'), reason,
	score, NULLIF(expl, '')::jsonb, NULLIF(person, ''), NULLIF(matched, ''), occurred, decided, cfg,
	topic, part, off, ktime, digest, k.recorded_at
FROM decisions_stage s JOIN k ON k.event_id = s.id
ORDER BY id
RETURNING event_id`

// copyDecisions writes d's rows through the staging table and returns the
// ids inserted, as insertDecisions does.
func copyDecisions(ctx context.Context, tx pgx.Tx, d *decisionCols) (pgx.Rows, error) {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"decisions_stage"}, decisionsStageColumns, copySrc(d)); err != nil {
		return nil, err
	}
	return tx.Query(ctx, insertDecisionsFromStage)
}

// copySrc feeds COPY the same column values insertDecisions binds as
// arrays.
func copySrc(d *decisionCols) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(d.id), func(i int) ([]any, error) {
		return []any{d.id[i], d.typ[i], d.src[i], d.prog[i], d.act[i], d.rules[i], d.reason[i], d.score[i],
			d.expl[i], d.person[i], d.matched[i], d.occurred[i], d.decided[i], d.cfg[i], d.topic[i],
			d.part[i], d.off[i], d.ktime[i], d.digest[i]}, nil
	})
}

// BenchmarkCopy compares the two ways of making a batch's decisions
// durable, on one connection, in one transaction per batch, reading back
// the inserted ids as Write does: "unnest" is Write's statement, "copy"
// COPYs the same rows into a temporary staging table, then inserts from it
// with the same conflict handling. The staging table is created once per
// connection, COPY's best case.
//
//	go test -run '^$' -bench BenchmarkCopy -benchtime 50x -count 10 ./sinks/postgres
func BenchmarkCopy(b *testing.B) {
	paths := []struct {
		name  string
		write func(context.Context, pgx.Tx, *decisionCols) (pgx.Rows, error)
	}{
		{"unnest", func(ctx context.Context, tx pgx.Tx, d *decisionCols) (pgx.Rows, error) {
			return tx.Query(ctx, insertDecisions, d.args()...)
		}},
		{"copy", copyDecisions},
	}
	for _, n := range benchSizes {
		for _, path := range paths {
			b.Run("events="+strconv.Itoa(n)+"/"+path.name, func(b *testing.B) {
				ctx := context.Background()
				conn, err := benchPool(b).Acquire(ctx)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Release()
				if _, err := conn.Exec(ctx, decisionsStage); err != nil {
					b.Fatal(err)
				}
				bb := newBenchBatch(b, n)
				round := 0
				for b.Loop() {
					b.StopTimer()
					var rows batchRows
					for _, o := range bb.round(round) {
						rows.addDecision(&o)
					}
					round++
					b.StartTimer()
					inserted := 0
					err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
						r, err := path.write(ctx, tx, &rows.dec)
						if err != nil {
							return err
						}
						defer r.Close()
						for r.Next() {
							inserted++
						}
						return r.Err()
					})
					if err != nil {
						b.Fatal(err)
					}
					if inserted != n {
						b.Fatalf("inserted %d decisions of %d", inserted, n)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
