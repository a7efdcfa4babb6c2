package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/backfill"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// backfillWorld is a private record and index for a backfill: a schema
// and a key prefix on the shared servers.
type backfillWorld struct {
	env map[string]string
}

func newBackfillWorld(t *testing.T) *backfillWorld {
	t.Helper()
	_, prefix := redistest.MustClient(t)
	return &backfillWorld{env: map[string]string{
		"EKJON_DATABASE_URL":  pgtest.MustSchema(t),
		"EKJON_REDIS_URL":     redistest.Shared(),
		"EKJON_REDIS_PREFIX":  prefix,
		"EKJON_HMAC_SECRET":   "harness-secret-0123456789",
		"EKJON_REDIS_CLUSTER": map[bool]string{true: "true", false: "false"}[redistest.Cluster()],
	}}
}

func (w *backfillWorld) getenv(k string) string { return w.env[k] }

func (w *backfillWorld) environ() []string {
	var out []string
	for k, v := range w.env {
		out = append(out, k+"="+v)
	}
	return out
}

// backfill runs `ekjon backfill args...` in this process and returns its
// standard output.
func (w *backfillWorld) backfill(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := w.backfillLogged(t, args...)
	return out
}

// backfillLogged is backfill, which also returns the command's log.
func (w *backfillWorld) backfillLogged(t *testing.T, args ...string) (out, log string) {
	t.Helper()
	var o, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"backfill"}, args...), w.getenv, &o, &errb); err != nil {
		t.Fatalf("ekjon backfill %v: %v\n%s", args, err, errb.String())
	}
	return o.String(), errb.String()
}

// population writes the enrolments of a seeded synthetic population as
// JSON lines, in the generator's order.
func population(t *testing.T, persons int, seed int64) [][]byte {
	t.Helper()
	c := synth.DefaultConfig()
	c.Persons, c.Seed, c.RunID = persons, seed, "bf"
	c.FuzzyDupRate = 0.05
	g, err := synth.New(c)
	if err != nil {
		t.Fatal(err)
	}
	var recs []synth.Record
	for r := range g.Enrolments() {
		recs = append(recs, r)
	}
	var ev bytes.Buffer
	if err := synth.WriteJSONL(&ev, nil, slices.Values(recs)); err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(ev.Bytes(), "\n"), []byte("\n"))
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readClusters reads a clusters CSV into rows by record id.
func readClusters(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "record_id,person_id,action,rule,score,matched_record_id" {
		t.Fatalf("clusters header: %v", rows[:min(1, len(rows))])
	}
	out := map[string][]string{}
	for _, r := range rows[1:] {
		out[r[0]] = r
	}
	return out
}

// pairs are the unordered pairs of records the duplicate rules linked.
func pairs(rows map[string][]string) map[[2]string]string {
	out := map[[2]string]string{}
	for id, r := range rows {
		if m := r[5]; m != "" {
			p := [2]string{id, m}
			if p[1] < p[0] {
				p[0], p[1] = p[1], p[0]
			}
			out[p] = r[3]
		}
	}
	return out
}

// TestBackfillFindsTheSameDuplicatesInAnyOrder backfills one seeded
// registry as generated and shuffled, each into a record of its own, and
// finds the same pairs, the same decisions and the same persons: the
// order of a file is not the order of time.
func TestBackfillFindsTheSameDuplicatesInAnyOrder(t *testing.T) {
	lines := population(t, 1200, 21)
	dir := t.TempDir()
	asIs, shuffled := filepath.Join(dir, "registry.jsonl"), filepath.Join(dir, "shuffled.jsonl")
	writeLines(t, asIs, lines)
	mixed := slices.Clone(lines)
	r := rand.New(rand.NewPCG(7, 7))
	r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
	writeLines(t, shuffled, mixed)

	a, b := newBackfillWorld(t), newBackfillWorld(t)
	ca, cb := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	a.backfill(t, "--clusters", ca, "--rejects", filepath.Join(dir, "ra.csv"), asIs)
	b.backfill(t, "--clusters", cb, "--rejects", filepath.Join(dir, "rb.csv"), shuffled)
	ra, rb := readClusters(t, ca), readClusters(t, cb)
	pa, pb := pairs(ra), pairs(rb)
	kinds := map[string]int{}
	for _, rule := range pa {
		kinds[strings.Split(rule, "+")[0]]++
	}
	if kinds["DUP_NID"] == 0 || kinds["FUZZY_PERSON"] == 0 {
		t.Fatalf("the registry should hold exact and fuzzy duplicates; pairs by rule: %v", kinds)
	}
	for p, rule := range pa {
		if pb[p] != rule {
			t.Errorf("pair %v: %q as generated, %q shuffled", p, rule, pb[p])
		}
	}
	for p := range pb {
		if _, ok := pa[p]; !ok {
			t.Errorf("pair %v found only in the shuffled file", p)
		}
	}
	if len(ra) != len(rb) {
		t.Fatalf("%d records as generated, %d shuffled", len(ra), len(rb))
	}
	// Held pairs wait in the review queue, as the stream leaves them.
	held := 0
	for _, row := range ra {
		if row[2] == "HOLD" && strings.Contains(row[3], "FUZZY_PERSON") {
			held++
		}
	}
	if q := scalar(t, a.env["EKJON_DATABASE_URL"], "SELECT count(*) FROM alerts WHERE rule = $1 AND status = 'open'", "FUZZY_PERSON"); q != int64(held) {
		t.Errorf("%d FUZZY_PERSON holds, %d open FUZZY_PERSON alerts in the review queue", held, q)
	}
	for id, row := range ra {
		// A record without a usable id of its own is named by its line.
		if !strings.HasPrefix(id, "kafka:") && !slices.Equal(row, rb[id]) {
			t.Errorf("record %s: %v as generated, %v shuffled", id, row, rb[id])
		}
	}
}

const bnMap = `# headers of a district office's export
রেকর্ড নং = record_id
কর্মসূচি = programme
জাতীয় পরিচয়পত্র = nid
নাম = name_bn
পিতার নাম = father_name
জন্ম তারিখ = dob
লিঙ্গ = gender
মোবাইল = phone
বিভাগ = division
জেলা = district
উপজেলা = upazila
`

// TestBackfillReadsACSVWithBanglaHeaders maps a CSV's Bangla headers to
// the v1 fields, decides its rows, and reports the bad ones with their
// line and reason without losing the good ones.
func TestBackfillReadsACSVWithBanglaHeaders(t *testing.T) {
	dir := t.TempDir()
	csvText := "রেকর্ড নং,কর্মসূচি,জাতীয় পরিচয়পত্র,নাম,পিতার নাম,জন্ম তারিখ,লিঙ্গ,মোবাইল,বিভাগ,জেলা,উপজেলা,মন্তব্য\n" +
		"r1,old_age,১৯৫০২৬১২৩৪৫৬৭৮৯০১,মোঃ রফিকুল ইসলাম,আব্দুল করিম,1950-03-01,male,01712345678,Dhaka,Dhaka,Savar,\n" +
		"r2,old_age,19502612345678901,রফিকুল ইসলাম,মৃত আব্দুল করিম,1950-03-01,male,01712345678,Dhaka,Dhaka,Savar,again\n" +
		"r3,old_age,12345,করিম মিয়া,রহিম,1948-01-01,male,01812345678,Dhaka,Dhaka,Savar,\n" +
		"r4,old_age,19480112345678901,too,few\n" +
		"\"r5\",old_age,19451234567890123,\"সালমা বেগম, মোসাম্মৎ\",হাশেম,1945-05-05,female,01912345678,Dhaka,Dhaka,Dhamrai,\n" +
		"r6,old_age,19462345678901234,আমেনা খাতুন,জলিল,1946-06-06,female,01612345678,Dhaka,Dhaka,Dhamrai,\n"
	in, mapFile := filepath.Join(dir, "list.csv"), filepath.Join(dir, "bn.map")
	if err := os.WriteFile(in, []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mapFile, []byte(bnMap), 0o644); err != nil {
		t.Fatal(err)
	}
	w := newBackfillWorld(t)
	clusters, rejects := filepath.Join(dir, "c.csv"), filepath.Join(dir, "r.csv")
	w.backfill(t, "--map", mapFile, "--as-of", "2026-11-01T00:00:00Z", "--clusters", clusters, "--rejects", rejects, "--report", filepath.Join(dir, "r.html"), in)

	// The record's tables have their statistics once the load is done.
	db, err := pgx.Connect(context.Background(), w.env["EKJON_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	var analyzed bool
	err = db.QueryRow(context.Background(), `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables
		WHERE relname = 'enrolments' AND schemaname = current_schema()`).Scan(&analyzed)
	db.Close(context.Background())
	if err != nil || !analyzed {
		t.Errorf("the enrolments table has no statistics after the backfill (%v)", err)
	}

	rows := readClusters(t, clusters)
	for _, id := range []string{"r1", "r2", "r5", "r6"} {
		if rows[id] == nil {
			t.Errorf("record %s missing from the clusters", id)
		}
	}
	r1, r2 := rows["r1"], rows["r2"]
	if r1 == nil || r2 == nil {
		t.Fatal("r1 or r2 missing")
	}
	blocked, kept := r2, r1
	if r1[2] == "BLOCK" {
		blocked, kept = r1, r2
	}
	if blocked[2] != "BLOCK" || blocked[3] != "DUP_NID" || blocked[5] != kept[0] || kept[2] != "ADMIT" || blocked[1] != kept[1] {
		t.Errorf("one NID twice in a programme: want one ADMIT and one DUP_NID BLOCK matched to it, same person; got %v and %v", r1, r2)
	}
	if rows["r5"][2] != "ADMIT" || rows["r6"][2] != "ADMIT" {
		t.Errorf("clean records: %v %v", rows["r5"], rows["r6"])
	}
	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rej, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]string{}
	for _, r := range rej[1:] {
		byID[r[2]] = r
	}
	if r := byID["r3"]; r == nil || r[1] != "4" || r[3] != "INVALID_ID" || !strings.Contains(r[4], "nid") {
		t.Errorf("r3 (a 5-digit NID) should be rejected at line 4 as INVALID_ID: %v", rej)
	}
	if r := byID["r4"]; r == nil || r[1] != "5" || !strings.Contains(r[4], "fields") {
		t.Errorf("r4 (too few fields) should be rejected at line 5: %v", rej)
	}
	if len(rej) != 3 {
		t.Errorf("want 2 rejects, got %v", rej[1:])
	}
	report, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "DUP_NID", "Largest clusters", "রফিকুল"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if bytes.Contains(report, []byte("19502612345678901")) || bytes.Contains(report, []byte("01712345678")) {
		t.Error("report shows an NID or phone in clear")
	}
}

// TestBackfillResumesAfterKill9 kills a real backfill with SIGKILL part
// way through and starts the same command again: it must end with what an
// uninterrupted run of the same file gives. The blocks' cap is small, so
// that blocks fill and which persons they hold, in which order, decides
// candidates: the index the resumption rebuilds from the record must be
// the one the killed run grew. It is rebuilt once.
func TestBackfillResumesAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ekjon binary")
	}
	bin := ekjonBinary(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "registry.jsonl")
	writeLines(t, in, population(t, 1500, 33))
	// The same batches in both: the persons of one batch meet whatever
	// the cap.
	same := []string{"--records-per-batch", "40", "--block-cap", "3"}

	whole := newBackfillWorld(t)
	whole.backfill(t, append(same, "--clusters", filepath.Join(dir, "whole.csv"), "--rejects", filepath.Join(dir, "whole-rejects.csv"), in)...)

	cut := newBackfillWorld(t)
	args := append([]string{"backfill", "--log-level", "debug"}, append(same,
		"--clusters", filepath.Join(dir, "cut.csv"), "--rejects", filepath.Join(dir, "cut-rejects.csv"), in)...)
	for _, at := range []string{"400", "840"} {
		c, _ := startChild(t, "backfill", bin, cut.environ(), regexp.MustCompile(`batch decided.* done=(`+at+`) `), args...)
		c.kill()
	}
	done := scalar(t, cut.env["EKJON_DATABASE_URL"], "SELECT done FROM backfill_runs")
	if done < 840 {
		t.Fatalf("checkpoint after the kills: %d records done, want at least 840", done)
	}
	out, log := cut.backfillLogged(t, args[1:]...)
	if !strings.Contains(out, "found done by an earlier run") {
		t.Errorf("the second run did not resume: %s", out)
	}
	if n := strings.Count(log, "rebuilt the matching index from the record"); n != 1 {
		t.Errorf("the resumption rebuilt the index %d times, want once:\n%s", n, log)
	}
	a, b := readClusters(t, filepath.Join(dir, "whole.csv")), readClusters(t, filepath.Join(dir, "cut.csv"))
	if len(a) != len(b) {
		t.Fatalf("%d records uninterrupted, %d after kill -9", len(a), len(b))
	}
	for id, row := range a {
		if !slices.Equal(row, b[id]) {
			t.Errorf("record %s: %v uninterrupted, %v after kill -9", id, row, b[id])
		}
	}
	ra, _ := os.ReadFile(filepath.Join(dir, "whole-rejects.csv"))
	rb, _ := os.ReadFile(filepath.Join(dir, "cut-rejects.csv"))
	if !bytes.Equal(ra, rb) || len(ra) == 0 {
		t.Errorf("rejects differ:\n%s\n---\n%s", ra, rb)
	}
}

// TestBackfillRecoversWhenARecordWriteFails has PostgreSQL refuse one
// batch's write, which the backfill learns of only once it has decided the
// next batch against the index: it must rebuild the index from the record
// and finish with the result of a run that saw no failure.
func TestBackfillRecoversWhenARecordWriteFails(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "registry.jsonl")
	writeLines(t, in, population(t, 700, 47))
	args := func(name string) []string {
		return []string{"--records-per-batch", "60", "--clusters", filepath.Join(dir, name+".csv"),
			"--rejects", filepath.Join(dir, name+"-rejects.csv"), in}
	}
	whole := newBackfillWorld(t)
	whole.backfill(t, args("whole")...)

	faulty := newBackfillWorld(t)
	dbURL := faulty.env["EKJON_DATABASE_URL"]
	ctx := context.Background()
	store, err := postgres.Open(ctx, dbURL, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// The fourth write of decisions fails; a sequence counts the writes,
	// as a rollback does not undo it.
	for _, q := range []string{
		`CREATE SEQUENCE writes`,
		`CREATE FUNCTION refuse_fourth() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('writes') = 4 THEN RAISE EXCEPTION 'the fourth write is refused'; END IF;
			RETURN NULL;
		END $$`,
		`CREATE TRIGGER refuse_fourth AFTER INSERT ON decision_keys FOR EACH STATEMENT EXECUTE FUNCTION refuse_fourth()`,
	} {
		if _, err := store.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	faulty.backfill(t, args("faulty")...)
	if n := scalar(t, dbURL, "SELECT last_value FROM writes"); n < 5 {
		t.Fatalf("%d writes of decisions: the refused one was never tried again", n)
	}

	a, b := readClusters(t, filepath.Join(dir, "whole.csv")), readClusters(t, filepath.Join(dir, "faulty.csv"))
	if len(a) != len(b) {
		t.Fatalf("%d records without a failure, %d with one", len(a), len(b))
	}
	for id, row := range a {
		if !slices.Equal(row, b[id]) {
			t.Errorf("record %s: %v without a failure, %v with one", id, row, b[id])
		}
	}
}

// scalar reads the one number query q gives in the record at dbURL.
func scalar(t *testing.T, dbURL, q string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStreamAfterBackfillDecidesAsIfStreamed backfills a seeded registry
// and then streams new enrolments through Kafka; a second world streams
// the registry itself, in the order the backfill decided it, then the same
// new enrolments. Every new enrolment must be decided alike in both: the
// backfilled registry is what the stream would have built.
func TestStreamAfterBackfillDecidesAsIfStreamed(t *testing.T) {
	lines := population(t, 900, 55)
	cut := len(lines) * 4 / 5
	registry, fresh := lines[:cut], lines[cut:]
	var ids []string
	seen := map[string]bool{}
	for _, l := range fresh {
		if id := domain.PeekEventID(l); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "registry.jsonl")
	writeLines(t, in, registry)

	backfilled := newHarness(t, 1)
	backfilled.world().backfill(t, "--rejects", filepath.Join(dir, "rejects.csv"), in)
	backfilled.start(nil)
	backfilled.produce(backfilled.cfg.Kafka.Topics.Enrolments, strs(fresh)...)
	got := backfilled.decisions(ids...)

	streamed := newHarness(t, 1)
	streamed.start(nil)
	streamed.produce(streamed.cfg.Kafka.Topics.Enrolments, strs(backfillOrder(registry))...)
	var regIDs []string
	for _, l := range registry {
		if id := domain.PeekEventID(l); id != "" && !seen[id] {
			seen[id] = true
			regIDs = append(regIDs, id)
		}
	}
	streamed.decisions(regIDs...)
	streamed.produce(streamed.cfg.Kafka.Topics.Enrolments, strs(fresh)...)
	want := streamed.decisions(ids...)

	kinds := map[string]int{}
	for _, id := range ids {
		g, s := got[id], want[id]
		kinds[verdictOf(s)]++
		if verdictOf(g) != verdictOf(s) || g.PersonID != s.PersonID || g.MatchedPerson != s.MatchedPerson ||
			math.Abs(g.Score-s.Score) > 1e-9 {
			t.Errorf("%s: after the backfill %s person %s matched %s score %.3f; streamed %s person %s matched %s score %.3f",
				id, verdictOf(g), g.PersonID, g.MatchedPerson, g.Score, verdictOf(s), s.PersonID, s.MatchedPerson, s.Score)
		}
	}
	if kinds["BLOCK [DUP_NID]"] == 0 || kinds["HOLD [FUZZY_PERSON]"] == 0 {
		t.Errorf("the new enrolments should include exact and fuzzy duplicates of the registry: %v", kinds)
	}
}

// world is a backfill on the harness's record and index.
func (h *harness) world() *backfillWorld {
	return &backfillWorld{env: map[string]string{
		"EKJON_DATABASE_URL": h.cfg.Postgres.URL, "EKJON_REDIS_URL": h.cfg.Redis.URL,
		"EKJON_REDIS_PREFIX": h.cfg.Redis.Prefix, "EKJON_HMAC_SECRET": h.cfg.HMACSecret,
		"EKJON_REDIS_CLUSTER": map[bool]string{true: "true", false: "false"}[h.cfg.Redis.Cluster],
	}}
}

// backfillOrder returns the lines in the order a backfill decides them.
func backfillOrder(lines [][]byte) [][]byte {
	ordered := slices.Clone(lines)
	pos := map[*byte]int{}
	for i, l := range ordered {
		pos[&l[0]] = i
	}
	slices.SortStableFunc(ordered, func(a, b []byte) int {
		ka, kb := backfill.OrderKey(bytes.TrimSpace(a)), backfill.OrderKey(bytes.TrimSpace(b))
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return pos[&a[0]] - pos[&b[0]]
	})
	return ordered
}

func strs(lines [][]byte) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = string(l)
	}
	return out
}

// TestPairQuality scores a small clusters CSV by hand: a right DUP_NID
// pair, a wrong FUZZY_PERSON pair and a fuzzy duplicate missed.
func TestPairQuality(t *testing.T) {
	dir := t.TempDir()
	clusters := "record_id,person_id,action,rule,score,matched_record_id\n" +
		"a1,P1,ADMIT,,,\n" + "a2,P1,BLOCK,DUP_NID,,a1\n" +
		"b1,P2,ADMIT,,,\n" + "c1,P3,HOLD,FUZZY_PERSON,25.00,b1\n" +
		"d1,P4,ADMIT,,,\n" + "d2,P5,ADMIT,,,\n" + "x,,REJECTED,INVALID_ID,,\n"
	truth := `{"event_id":"a1","person_id":"H1","pattern":"clean"}
{"event_id":"a2","person_id":"H1","pattern":"dup_nid"}
{"event_id":"b1","person_id":"H2","pattern":"clean"}
{"event_id":"c1","person_id":"H3","pattern":"clean"}
{"event_id":"d1","person_id":"H4","pattern":"clean"}
{"event_id":"d2","person_id":"H4","pattern":"fuzzy_dup"}
{"event_id":"x","person_id":"H9","pattern":"malformed"}
`
	cp, tp := filepath.Join(dir, "c.csv"), filepath.Join(dir, "t.jsonl")
	_ = os.WriteFile(cp, []byte(clusters), 0o644)
	_ = os.WriteFile(tp, []byte(truth), 0o644)
	var out bytes.Buffer
	if err := pairQuality(&out, cp, tp); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DUP_NID          flagged       1  correct       1  precision 1.0000",
		"FUZZY_PERSON     flagged       1  correct       0  precision 0.0000",
		"recall dup_nid                 1 of       1 = 1.0000",
		"recall fuzzy_dup               0 of       1 = 0.0000",
		"(6 records decided)",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("want %q in\n%s", want, out.String())
		}
	}
}
