package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/sinks/postgres/pglocal"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestFaultsAcrossProcesses runs ekjon as it is deployed, as processes:
// `ekjon broker` with a data directory, a private PostgreSQL and a private
// Redis without persistence, and three `ekjon run` processes of two
// consumers each in one group. A feeder sends a few hundred events a
// second keyed by NID (enrolments, some twice in one programme or in two
// that exclude each other, monthly payments, some twice in one cycle,
// deaths and payments to the dead, resent events, a reused event id,
// malformed events) while, one after another, a worker is killed with
// SIGKILL mid-batch and another started, PostgreSQL crashes and restarts,
// Redis restarts empty (the index is rebuilt from the record while the
// stream runs), and the broker is killed and restarted on its data. Every
// start and kill of a process rebalances the group.
//
// Then every message on the input topics has exactly one decision in the
// record, the one its event must get; every decision published agrees
// with the record; no person holds two live enrolments in one programme or
// two admitted payments in one cycle; and the side effects of every
// decision are in the record once.
func TestFaultsAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ekjon as processes through a series of faults for a few minutes")
	}
	// Bounded well within go test's ten minutes for the package, so that
	// a run that loses events fails with the list of what it lost.
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	fw := newFaultWorld(t, ctx)

	topics := kafka.DefaultTopics()
	wl := newWorkload(20261127, topics)
	f := newFeeder(wl, fw.broker.addr, fw.db, 250)
	feedCtx, stopFeeding := context.WithCancel(ctx)
	defer stopFeeding()
	fed := make(chan error, 1)
	go func() { fed <- f.run(feedCtx) }()
	feeding := func() {
		t.Helper()
		select {
		case err := <-fed:
			t.Fatalf("the feeder stopped: %v", err)
		default:
		}
	}

	fw.waitProgress(1500)
	for _, fault := range []struct {
		name string
		do   func() string
	}{
		{name: "SIGKILL of an ekjon run mid-batch, then a new one started", do: fw.killWorker},
		{name: "PostgreSQL crash (immediate shutdown) and restart", do: func() string {
			if err := fw.pg.Restart(ctx, pglocal.Immediate); err != nil {
				t.Fatalf("restart PostgreSQL: %v", err)
			}
			return ""
		}},
		{name: "Redis restart without persistence: the index is lost", do: func() string {
			if err := fw.redis.Restart(); err != nil {
				t.Fatalf("restart Redis: %v", err)
			}
			return ""
		}},
		{name: "SIGKILL of the broker, and a restart on its data directory", do: fw.restartBroker},
	} {
		feeding()
		fw.fault(fault.name, fault.do)
	}
	feeding()
	f.generating.Store(false)
	phases := []string{fmt.Sprintf("faults done at %.1fs", time.Since(fw.started).Seconds())}
	phase := func(what string) {
		phases = append(phases, fmt.Sprintf("%s at %.1fs", what, time.Since(fw.started).Seconds()))
	}
	// From here the stream has 150 seconds to drain, which it needs a tenth
	// of; what is still undecided then is reported below as lost.
	drained := time.Now().Add(150 * time.Second)
	var problems problemList
	select {
	case err := <-fed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Until(drained)):
		stopFeeding()
		<-fed
		var gates []string
		for _, g := range f.waiting {
			if gate := g.gate.kind + " " + g.gate.id; !slices.Contains(gates, gate) {
				gates = append(gates, gate)
			}
		}
		problems.add("%d groups of events waited in vain for the decision of an earlier event: %v", len(f.waiting), gates[:min(len(gates), 10)])
	}
	fw.checkRunning()
	phase("the feeder done")

	// What the source systems sent, as the broker holds it: the messages
	// and the decision id each must have.
	byValue := map[string]*plannedEvent{}
	for _, e := range wl.all {
		byValue[string(e.value)] = e
	}
	var inputs []inputMessage
	onTopic := map[*plannedEvent]bool{}
	for _, topic := range topics.Inputs() {
		for _, m := range readTopicAt(t, fw.broker.addr, topic, 0) {
			e, ok := byValue[string(m.Value)]
			if !ok {
				problems.add("a message on %s/%d at %d that the feeder never sent: %.80q", m.Topic, m.Partition, m.Offset, m.Value)
				continue
			}
			id := e.id
			if e.coordinates {
				id = fmt.Sprintf("kafka:%s:%d:%d", m.Topic, m.Partition, m.Offset)
			}
			inputs = append(inputs, inputMessage{m, e, id})
			onTopic[e] = true
		}
	}
	for _, e := range wl.all {
		if f.acked[e] > 0 && !onTopic[e] {
			problems.add("the broker lost %s %s after acknowledging it", e.kind, e.id)
		}
	}
	want := map[string]bool{}
	for _, in := range inputs {
		want[in.id] = true
	}

	phase("input read back")
	rows := fw.waitDecisions(want, drained)
	phase("every event decided")
	published := fw.waitPublished(rows, drained.Add(30*time.Second))
	phase("every decision published")
	redelivered := fw.metricsOfRunning("ekjon_pipeline_redelivered_total")
	isolated := fw.metricsOfRunning("ekjon_pipeline_isolated_total")
	for _, r := range fw.runs {
		if r.running() {
			if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range fw.runs {
		if !fw.killed[r] {
			r.awaitExit(t, syscall.SIGTERM)
		}
	}
	phase("workers stopped")

	pubCount := fw.checkDecisions(inputs, want, rows, published, &problems)
	fw.checkRecord(&problems)
	fw.checkDeadLetters(rows, &problems)

	// The summary.
	byAction := map[domain.Action]int{}
	byRule := map[string]int{}
	for _, d := range rows {
		byAction[d.Action]++
		for _, r := range d.Rules {
			byRule[r]++
		}
	}
	kinds := map[string]int{}
	for e := range onTopic {
		kinds[e.kind]++
	}
	t.Logf("fault run: %d people, %d events (%d messages on the input topics, %d acknowledged sends, %d write retries; %d gated groups not sent: their gate was decided otherwise)",
		wl.persons, len(onTopic), len(inputs), f.sent.Load(), f.writeRetries, f.dropped)
	t.Logf("events by kind: %s", countsOf(kinds))
	t.Logf("the stream started %.1fs after the test, at %s; times below are from then", fw.started.Sub(start).Seconds(), fw.started.Format("15:04:05.000"))
	for _, r := range fw.faults {
		t.Logf("at %5.1fs: %s%s; the next decision %.1fs after it, 1500 more after %.1fs; %s",
			r.at.Seconds(), r.name, r.note, r.resumed.Seconds(), r.recovered.Seconds(), r.effect)
	}
	t.Logf("decisions: %d, by action %s; rules %s", len(rows), countsOf(byAction), countsOf(byRule))
	t.Logf("decisions recorded in each 5 s since the stream started: %s", fw.timeline(5*time.Second))
	t.Logf("published %d times for %d events (%d published again); redelivered events seen by the surviving processes: %.0f; events set aside: %.0f",
		pubCount, len(published), pubCount-len(published), redelivered, isolated)
	phase("checked")
	t.Logf("%s; took %s", strings.Join(phases, ", "), time.Since(start).Round(time.Second))
	problems.report(t)
	if t.Failed() {
		fw.logWorkers()
	}
}

// inputMessage is a message on an input topic, the event it carries and
// the id its decision must have.
type inputMessage struct {
	m  kafkago.Message
	e  *plannedEvent
	id string
}

// checkDecisions checks the decisions on record and on the decisions
// topic against the messages and what their events must be decided. It
// returns how many decisions were published.
func (fw *faultWorld) checkDecisions(inputs []inputMessage, want map[string]bool, rows map[string]domain.Decision,
	published map[string][]domain.Decision, problems *problemList) int {
	// One decision per event: no message without its decision, no decision
	// without its message.
	for id := range want {
		if _, ok := rows[id]; !ok {
			problems.add("no decision for %s", id)
		}
	}
	for id := range rows {
		if !want[id] {
			problems.add("a decision for %s, which no message names", id)
		}
	}
	// The decision each event must have.
	checked := map[string]*plannedEvent{}
	for _, in := range inputs {
		d, ok := rows[in.id]
		if !ok || checked[in.id] != nil {
			continue
		}
		checked[in.id] = in.e
		if err := in.e.check(d); err != nil {
			msg := fmt.Sprintf("%v, at %.1fs", err, d.DecidedAt.Sub(fw.started).Seconds())
			if a := in.e.after; a != nil {
				msg += fmt.Sprintf(" (sent after %s was recorded as %s, decided at %.1fs, recorded at %.1fs)", a.id, rows[a.id].Action,
					rows[a.id].DecidedAt.Sub(fw.started).Seconds(), fw.recordedAt(a.id).Sub(fw.started).Seconds())
			}
			problems.add("%s", msg)
		}
	}
	// Every decision published, each time as it is on record.
	pubCount := 0
	for id, ds := range published {
		pubCount += len(ds)
		row, ok := rows[id]
		if !ok {
			problems.add("published a decision for %s, which the record lacks", id)
			continue
		}
		for _, d := range ds {
			if d.Action != row.Action || !slices.Equal(d.Rules, row.Rules) || !d.DecidedAt.Equal(row.DecidedAt) || d.PersonID != row.PersonID {
				problems.add("%s published as %s %v at %s, recorded as %s %v at %s", id, d.Action, d.Rules,
					d.DecidedAt.Format(time.RFC3339Nano), row.Action, row.Rules, row.DecidedAt.Format(time.RFC3339Nano))
			}
		}
	}
	for id := range rows {
		if len(published[id]) == 0 {
			problems.add("%s is recorded, never published", id)
		}
	}
	// No person holds two live enrolments in one programme, or two in a
	// group of programmes that exclude each other, or is paid twice in one
	// cycle, whatever the order the faults put the events in.
	live := map[string][]string{}
	paid := map[string][]string{}
	for id, e := range checked {
		d := rows[id]
		switch {
		case e.coordinates:
		case e.topic == kafka.DefaultTopics().Enrolments && (d.Action == domain.ActionAdmit || d.Action == domain.ActionHold):
			live[e.nid+" "+e.programme] = append(live[e.nid+" "+e.programme], id)
			if slices.Contains(exclusiveDSS, e.programme) {
				live[e.nid+" exclusive"] = append(live[e.nid+" exclusive"], id)
			}
		case e.topic == kafka.DefaultTopics().Distributions && d.Action == domain.ActionAdmit:
			paid[e.nid+" "+e.programme+" "+e.cycle] = append(paid[e.nid+" "+e.programme+" "+e.cycle], id)
		}
	}
	for k, ids := range live {
		if len(ids) > 1 {
			problems.add("NID %s: %d live enrolments %v", k, len(ids), ids)
		}
	}
	for k, ids := range paid {
		if len(ids) > 1 {
			problems.add("NID %s: %d admitted payments %v", k, len(ids), ids)
		}
	}
	return pubCount
}

// faultWorld is the processes and servers of a fault run.
type faultWorld struct {
	t        *testing.T
	ctx      context.Context
	bin      string
	dataDir  string
	broker   *brokerProcess
	pg       *pglocal.Server
	redis    *redistest.Server
	db       *pgxpool.Pool
	runs     []*runProcess
	killed   map[*runProcess]bool
	started  time.Time
	faults   []faultRecord
	lastSeen float64 // redeliveries the killed process counted, scraped just before
}

type faultRecord struct {
	name, note string
	effect     string        // what the workers did about it
	at         time.Duration // since the stream started
	resumed    time.Duration // from the fault's end to the next decision
	recovered  time.Duration // from the fault's end to 1500 more decisions
}

const faultGroup = "ekjon-faults"

// newFaultWorld starts the servers, the broker and three workers, and
// waits until every worker's consumers hold partitions.
func newFaultWorld(t *testing.T, ctx context.Context) *faultWorld {
	fw := &faultWorld{t: t, ctx: ctx, bin: ekjonBinary(t), dataDir: t.TempDir(), killed: map[*runProcess]bool{}}
	fw.pg = pgtest.StartServer(t, pglocal.Config{})
	// As deploy/redis.conf has it: ekjon run refuses a Redis that would keep
	// the index's buckets three times as large.
	listpack := map[string]string{}
	for name, v := range redisindex.ListpackSettings() {
		listpack[name] = strconv.Itoa(v)
	}
	fw.redis = redistest.StartServer(t, redistest.ServerOptions{Persistence: redistest.NoPersistence, Config: listpack})
	fw.broker = startBrokerProcess(t, fw.bin, "--listen", "127.0.0.1:0", "--partitions", "6", "--data-dir", fw.dataDir)
	var err error
	if fw.db, err = pgxpool.New(ctx, fw.pg.URL()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fw.db.Close)
	// The first migrates the record and builds the index; the others find
	// both done.
	fw.startWorker()
	fw.startWorker()
	fw.startWorker()
	waitGroupMembersAt(t, []string{fw.broker.addr}, faultGroup, 6)
	fw.started = time.Now()
	return fw
}

// startWorker starts one more `ekjon run`, configured by flags and, for
// the secret, by its environment variable, as a deployment would.
func (fw *faultWorld) startWorker() *runProcess {
	fw.t.Helper()
	r := startRunProcess(fw.t, fmt.Sprintf("ekjon run #%d", len(fw.runs)+1), fw.bin,
		[]string{"EKJON_HMAC_SECRET=fault-run-secret-0123456789"},
		"--brokers", fw.broker.addr, "--group", faultGroup,
		"--database-url", fw.pg.URL(), "--db-max-conns", "4",
		"--redis-url", fw.redis.URL(), "--index-bucket-bits", "8",
		"--http", "127.0.0.1:0", "--consumers", "2", "--batch-size", "50", "--batch-wait", "10ms",
		"--drain-timeout", "5s")
	fw.runs = append(fw.runs, r)
	return r
}

// fault runs do, checks that no worker died of it, and waits until the
// stream has gone on for 1500 decisions. It records what the workers did
// meanwhile, as their metrics and logs say: the fault must have been felt.
func (fw *faultWorld) fault(name string, do func() string) {
	fw.t.Helper()
	before := fw.scrape()
	rebuilds := fw.logged("rebuilt the matching index")
	kafkaWarnings := fw.logged("level=WARN msg=\"kafka reader: ")
	r := faultRecord{name: name, at: time.Since(fw.started)}
	r.note = do()
	fw.checkRunning()
	r.resumed, r.recovered = fw.waitProgress(1500)
	after := fw.scrape()
	var retried, failed, commits float64
	for p, page := range after {
		retried += metricSum(page, "ekjon_pipeline_retried_total") - metricSum(before[p], "ekjon_pipeline_retried_total")
		failed += metricSum(page, "ekjon_pipeline_failed_total") - metricSum(before[p], "ekjon_pipeline_failed_total")
		commits += metricSum(page, "ekjon_pipeline_commit_failed_total") - metricSum(before[p], "ekjon_pipeline_commit_failed_total")
	}
	r.effect = fmt.Sprintf("meanwhile %.0f failed stage attempts, %.0f retried, %.0f failed commits, %d consumer warnings, %d index rebuilds",
		failed, retried, commits, fw.logged("level=WARN msg=\"kafka reader: ")-kafkaWarnings, fw.logged("rebuilt the matching index")-rebuilds)
	fw.faults = append(fw.faults, r)
}

// fatalf ends a run that cannot go on, with what the workers said.
func (fw *faultWorld) fatalf(format string, args ...any) {
	fw.t.Helper()
	fw.logWorkers()
	fw.t.Fatalf(format, args...)
}

// logWorkers logs what the workers warned of, and what they did to the
// index, for a run that failed.
func (fw *faultWorld) logWorkers() {
	for _, r := range fw.runs {
		var lines []string
		for _, line := range strings.Split(r.output(), "\n") {
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") || strings.Contains(line, "index") {
				lines = append(lines, line)
			}
		}
		fw.t.Logf("%s, %d lines of warnings and index work, the last 60:\n%s", r.name, len(lines), strings.Join(lines[max(0, len(lines)-60):], "\n"))
	}
}

// scrape returns the metrics of the workers that answer.
func (fw *faultWorld) scrape() map[*runProcess]string {
	out := map[*runProcess]string{}
	for _, r := range fw.runs {
		if !r.running() {
			continue
		}
		if page, err := r.metrics(fw.ctx); err == nil {
			out[r] = page
		}
	}
	return out
}

// logged counts the lines of every worker's log that hold text.
func (fw *faultWorld) logged(text string) int {
	n := 0
	for _, r := range fw.runs {
		n += strings.Count(r.output(), text)
	}
	return n
}

// killWorker kills the oldest worker with SIGKILL in the middle of a
// batch, and starts a new one. To be sure of the middle, the record's
// decisions are locked against writes for the moment of the kill: every
// batch in flight has been looked up and decided against the index, its
// claims made, and waits to be recorded. No other process can take the
// dead one's batches over until the group gives up on it.
func (fw *faultWorld) killWorker() string {
	fw.t.Helper()
	var victim *runProcess
	for _, r := range fw.runs {
		if r.running() {
			victim = r
			break
		}
	}
	tx, err := fw.db.Begin(fw.ctx)
	if err != nil {
		fw.t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(fw.ctx)) //nolint:errcheck // rolled back below, or gone with the connection
	if _, err := tx.Exec(fw.ctx, "LOCK TABLE decisions IN EXCLUSIVE MODE"); err != nil {
		fw.t.Fatal(err)
	}
	// A batch that began and has not ended for a second while the record
	// refuses every write is waiting to be recorded.
	inFlight := func() (float64, bool) {
		page, err := victim.metrics(fw.ctx)
		if err != nil {
			return 0, false
		}
		batches := metricSum(page, "ekjon_pipeline_batch_size_events_count")
		ended := metricSum(page, "ekjon_pipeline_stage_duration_seconds_count", `stage="commit"`) +
			metricSum(page, "ekjon_pipeline_commit_failed_total")
		fw.lastSeen = metricSum(page, "ekjon_pipeline_redelivered_total")
		return batches, batches > ended
	}
	stuck := false
	for deadline := time.Now().Add(30 * time.Second); !stuck && time.Now().Before(deadline); {
		first, busy := inFlight()
		time.Sleep(time.Second)
		again, still := inFlight()
		stuck = busy && still && again == first
	}
	if !stuck {
		fw.t.Fatalf("%s never had a batch waiting to be recorded", victim.name)
	}
	fw.killed[victim] = true
	victim.signal(fw.t, syscall.SIGKILL)
	if err := tx.Rollback(fw.ctx); err != nil {
		fw.t.Fatal(err)
	}
	fw.startWorker()
	return fmt.Sprintf(" (%s, its batches in flight decided, their claims made, waiting to be recorded)", victim.name)
}

// restartBroker kills the broker and starts it again on its address and
// data directory.
func (fw *faultWorld) restartBroker() string {
	fw.t.Helper()
	addr := fw.broker.addr
	fw.broker.signal(fw.t, syscall.SIGKILL)
	fw.broker = startBrokerProcess(fw.t, fw.bin, "--listen", addr, "--partitions", "6", "--data-dir", fw.dataDir)
	return ""
}

// checkRunning fails the test if a worker that was not killed has exited.
func (fw *faultWorld) checkRunning() {
	fw.t.Helper()
	for _, r := range fw.runs {
		if !r.running() && !fw.killed[r] {
			fw.t.Fatalf("%s exited: %v\n%s", r.name, r.err, r.tail(60))
		}
	}
}

// decisionCount is how many decisions the record holds, or -1 while it
// does not answer.
func (fw *faultWorld) decisionCount() int {
	ctx, cancel := context.WithTimeout(fw.ctx, 5*time.Second)
	defer cancel()
	var n int
	if err := fw.db.QueryRow(ctx, `SELECT count(*) FROM decisions`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// waitProgress waits until the record holds n more decisions than now, and
// returns how long the first new one and the nth took.
func (fw *faultWorld) waitProgress(n int) (first, all time.Duration) {
	fw.t.Helper()
	begin := time.Now()
	from := -1
	for from < 0 {
		if from = fw.decisionCount(); from < 0 {
			if time.Since(begin) > 2*time.Minute || fw.ctx.Err() != nil {
				fw.fatalf("the record did not answer for %s", time.Since(begin).Round(time.Second))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	resumed := time.Duration(-1)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c := fw.decisionCount()
		if c > from && resumed < 0 {
			resumed = time.Since(begin)
		}
		if c >= from+n {
			break
		}
		if time.Now().After(deadline) || fw.ctx.Err() != nil {
			fw.fatalf("decisions stalled at %d for %s (waiting for %d)", c, time.Since(begin).Round(time.Second), from+n)
		}
		fw.checkRunning()
		time.Sleep(100 * time.Millisecond)
	}
	return resumed, time.Since(begin)
}

// waitDecisions waits until the record holds a decision for every id of
// want, or until deadline, and returns every decision it holds.
func (fw *faultWorld) waitDecisions(want map[string]bool, deadline time.Time) map[string]domain.Decision {
	fw.t.Helper()
	for {
		rows := fw.decisions()
		missing := 0
		for id := range want {
			if _, ok := rows[id]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return rows
		}
		if time.Now().After(deadline) {
			fw.t.Logf("at the deadline %d of %d events have no decision", missing, len(want))
			return rows
		}
		fw.checkRunning()
		time.Sleep(500 * time.Millisecond)
	}
}

// decisions reads every decision on record.
func (fw *faultWorld) decisions() map[string]domain.Decision {
	fw.t.Helper()
	rows, err := fw.db.Query(fw.ctx, `SELECT event_id FROM decisions`)
	if err != nil {
		fw.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			fw.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out, err := storeOn(fw.db).Decisions(fw.ctx, ids)
	if err != nil {
		fw.t.Fatal(err)
	}
	return out
}

// waitPublished waits until every decision of rows is on the decisions
// topic, or until deadline, and returns what the topic holds, by event id.
func (fw *faultWorld) waitPublished(rows map[string]domain.Decision, deadline time.Time) map[string][]domain.Decision {
	fw.t.Helper()
	for {
		out := map[string][]domain.Decision{}
		for _, m := range readTopicAt(fw.t, fw.broker.addr, kafka.DefaultTopics().Decisions, 0) {
			var d domain.Decision
			if err := json.Unmarshal(m.Value, &d); err != nil {
				fw.t.Fatalf("a decision on the topic is not JSON: %v", err)
			}
			out[d.EventID] = append(out[d.EventID], d)
		}
		unpublished := 0
		for id := range rows {
			if len(out[id]) == 0 {
				unpublished++
			}
		}
		if unpublished == 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(time.Second)
	}
}

// metricsOfRunning adds up a metric over the workers still running and
// the killed ones' last scrapes.
func (fw *faultWorld) metricsOfRunning(name string) float64 {
	sum := 0.0
	if name == "ekjon_pipeline_redelivered_total" {
		sum = fw.lastSeen
	}
	for _, r := range fw.runs {
		if !r.running() {
			continue
		}
		if page, err := r.metrics(fw.ctx); err == nil {
			sum += metricSum(page, name)
		}
	}
	return sum
}

// recordedAt is when the record took the decision of id.
func (fw *faultWorld) recordedAt(id string) time.Time {
	var at time.Time
	_ = fw.db.QueryRow(fw.ctx, `SELECT recorded_at FROM decisions WHERE event_id = $1`, id).Scan(&at)
	return at
}

// timeline counts the decisions recorded in each step since the stream
// started: where the stream paused, and for how long.
func (fw *faultWorld) timeline(step time.Duration) string {
	fw.t.Helper()
	rows, err := fw.db.Query(fw.ctx, `SELECT floor(extract(epoch FROM recorded_at - $1) / $2)::int AS slot, count(*)
		FROM decisions GROUP BY slot ORDER BY slot`, fw.started, step.Seconds())
	if err != nil {
		fw.t.Fatal(err)
	}
	defer rows.Close()
	var counts []int
	for rows.Next() {
		var slot, n int
		if err := rows.Scan(&slot, &n); err != nil {
			fw.t.Fatal(err)
		}
		if slot < 0 {
			continue
		}
		for len(counts) <= slot {
			counts = append(counts, 0)
		}
		counts[slot] = n
	}
	return strings.Trim(fmt.Sprint(counts), "[]")
}

// checkRecord checks the record's own tables: one live enrolment per
// person and programme, one admitted payment per person, programme and
// cycle, and each decision's side effects there once, as the decision
// says.
func (fw *faultWorld) checkRecord(problems *problemList) {
	fw.t.Helper()
	for _, q := range []struct{ what, sql string }{
		{"persons with two live enrolments in one programme", `SELECT count(*) FROM (SELECT person_id, programme FROM enrolments
			WHERE status IN ('active', 'held', 'suspended') GROUP BY 1, 2 HAVING count(*) > 1) x`},
		{"persons paid twice in one cycle", `SELECT count(*) FROM (SELECT person_id, programme, cycle FROM payments
			WHERE action = 'ADMIT' GROUP BY 1, 2, 3 HAVING count(*) > 1) x`},
		{"enrolment decisions without their enrolment", `SELECT count(*) FROM decisions d WHERE d.event_type = 'enrolment'
			AND d.action <> 'REJECTED' AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.event_id = d.event_id)`},
		{"enrolments whose status is not their decision's", `SELECT count(*) FROM enrolments e JOIN decisions d USING (event_id)
			WHERE NOT (d.action = 'ADMIT' AND e.status IN ('active', 'exited', 'suspended')
				OR d.action = 'HOLD' AND e.status IN ('held', 'exited', 'suspended')
				OR d.action = 'BLOCK' AND e.status = 'blocked')`},
		{"payment decisions without their payment, or with another action", `SELECT count(*) FROM decisions d WHERE d.event_type = 'distribution'
			AND d.action <> 'REJECTED' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.event_id = d.event_id AND p.action = d.action)`},
		{"status decisions without their status change", `SELECT count(*) FROM decisions d WHERE d.event_type = 'status'
			AND d.action <> 'REJECTED' AND NOT EXISTS (SELECT 1 FROM status_changes s WHERE s.event_id = d.event_id)`},
		{"rejected events with side effects", `SELECT count(*) FROM decisions d WHERE d.action = 'REJECTED' AND (
			EXISTS (SELECT 1 FROM enrolments e WHERE e.event_id = d.event_id) OR
			EXISTS (SELECT 1 FROM payments p WHERE p.event_id = d.event_id) OR
			EXISTS (SELECT 1 FROM status_changes s WHERE s.event_id = d.event_id))`},
		{"decisions whose rules raise an alert without it", `SELECT count(*) FROM decisions d, unnest(d.rules) r
			WHERE r IN ('MULTI_PROGRAMME', 'FUZZY_PERSON', 'EVENT_ID_REUSED')
			AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.event_id = d.event_id AND a.rule = r)`},
		{"dead persons without their death", `SELECT count(*) FROM status_changes s JOIN persons p USING (person_id)
			WHERE s.status = 'deceased' AND p.deceased_at IS NULL`},
	} {
		var n int
		if err := fw.db.QueryRow(fw.ctx, q.sql).Scan(&n); err != nil {
			fw.t.Fatalf("%s: %v", q.what, err)
		}
		if n > 0 {
			problems.add("the record holds %d %s", n, q.what)
		}
	}
}

// checkDeadLetters checks that every rejected event's bytes are on the
// dead-letter topic, under its decision's id.
func (fw *faultWorld) checkDeadLetters(rows map[string]domain.Decision, problems *problemList) {
	fw.t.Helper()
	dead := map[string]bool{}
	for _, m := range readTopicAt(fw.t, fw.broker.addr, kafka.DefaultTopics().DeadLetter, 0) {
		dead[string(m.Key)] = true
	}
	for id, d := range rows {
		if d.Action == domain.ActionRejected && !dead[id] {
			problems.add("%s was rejected and is not on the dead-letter topic", id)
		}
	}
}

// problemList gathers what a check found, to report the first few and
// the count.
type problemList []string

func (p *problemList) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problemList) report(t *testing.T) {
	t.Helper()
	if len(p) == 0 {
		return
	}
	sort.Strings(p)
	t.Errorf("%d problems, the first %d:\n%s", len(p), min(len(p), 30), strings.Join(p[:min(len(p), 30)], "\n"))
}

// countsOf formats counts by key, sorted.
func countsOf[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
