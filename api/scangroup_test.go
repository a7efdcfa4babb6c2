package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/review"
)

// groupWorld is a review serving scans through a group of one in flight,
// a distributor allowed old_age in Savar, and old_age beneficiaries with
// cards.
type groupWorld struct {
	e     *env
	tc    *testCards
	token string
	nids  []string
	qrs   []string
}

func newGroupWorld(t *testing.T, persons int) *groupWorld {
	e := newEnv(t)
	tc := e.withCardsGrouped(pipeline.GroupConfig{MaxSize: 64, InFlight: 1})
	newServed(t, e)
	w := &groupWorld{e: e, tc: tc}
	for i := range persons {
		id := fmt.Sprintf("gw-%d", i)
		nid, wallet := fmt.Sprintf("15%08d", i), fmt.Sprintf("0171500%04d", i)
		ev := enrolment(id, "old_age", nid, wallet)
		ev["beneficiary_ref"] = "REF-" + id
		ev["person"].(map[string]any)["name_en"] = fmt.Sprintf("Person %c", 'A'+i)
		ev["person"].(map[string]any)["name_bn"] = fmt.Sprintf("ব্যক্তি %d", i)
		ev["person"].(map[string]any)["father_name"] = fmt.Sprintf("পিতা %d", i)
		ev["person"].(map[string]any)["dob"] = fmt.Sprintf("19%02d-0%d-1%d", 40+i, 1+i%9, i%10)
		d := e.feed(ev)[id]
		if d.Action != domain.ActionAdmit {
			t.Fatalf("enrolment %s: %+v", id, d)
		}
		c, err := e.store.CardOf(e.ctx, d.PersonID)
		if err != nil {
			t.Fatal(err)
		}
		w.nids, w.qrs = append(w.nids, nid), append(w.qrs, tc.Token(c))
	}
	if err := tc.flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.addUser("dp-g", review.RoleDistributor, "dp-g-password")
	tok, hash := NewToken(TokenPrefix)
	if err := e.store.CreateToken(e.ctx, review.APIToken{Hash: hash, Username: "dp-g", Label: "t", ID: TokenID(tok)}, review.Actor{Username: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetDistributorScope(e.ctx, "dp-g", domain.DistributorScope{Programmes: []string{"old_age"}, Areas: []string{"Savar"}}); err != nil {
		t.Fatal(err)
	}
	w.token = tok
	return w
}

// scanBody is a scan of qr for cycle, under scanID.
func scanBody(scanID, qr, cycle string) map[string]any {
	return map[string]any{"scan_id": scanID, "qr": qr, "programme": "old_age", "cycle": cycle, "device_id": "tab-1",
		"location": map[string]any{"district": "Dhaka", "upazila": "Savar"}}
}

// scanned is one caller's answer.
type scanned struct {
	status int
	d      domain.Decision
	err    error
}

// post sends a scan and waits for its answer or for ctx.
func (w *groupWorld) post(ctx context.Context, body map[string]any) scanned {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.e.srv.URL+"/api/v1/scans", bytes.NewReader(b))
	if err != nil {
		return scanned{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return scanned{err: err}
	}
	defer res.Body.Close()
	var r ScanResponse
	if res.StatusCode == http.StatusOK {
		err = json.NewDecoder(res.Body).Decode(&r)
	}
	return scanned{status: res.StatusCode, d: r.Decision, err: err}
}

// mustPost is post, failing the test unless the scan is answered with a
// decision.
func (w *groupWorld) mustPost(t *testing.T, body map[string]any) domain.Decision {
	t.Helper()
	s := w.post(w.e.ctx, body)
	if s.err != nil || s.status != http.StatusOK {
		t.Fatalf("scan %v: HTTP %d, %v", body["scan_id"], s.status, s.err)
	}
	return s.d
}

// holdScans has the record wait, when it writes the decision of a scan
// whose id starts with prefix, until the returned release is called: a
// trigger takes a lock the test holds, keyed by the test's schema so that
// other tests' locks are not taken for it.
func holdScans(t *testing.T, e *env, prefix string) (release func()) {
	t.Helper()
	if _, err := e.store.Pool().Exec(e.ctx, `CREATE OR REPLACE FUNCTION hold_scans() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.event_id LIKE 'scan:dp-g:`+prefix+`%' THEN PERFORM pg_advisory_xact_lock_shared(hashtext(current_schema()) & 2147483647); END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER hold_scans BEFORE INSERT ON decision_keys FOR EACH ROW EXECUTE FUNCTION hold_scans();`); err != nil {
		t.Fatal(err)
	}
	conn, err := e.store.Pool().Acquire(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(e.ctx, `SELECT pg_advisory_lock(hashtext(current_schema()) & 2147483647)`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.Exec(e.ctx, `SELECT pg_advisory_unlock(hashtext(current_schema()) & 2147483647)`); err != nil {
				t.Error(err)
			}
			conn.Release()
		})
	}
	t.Cleanup(release)
	return release
}

// waitFor polls cond until it holds; the test's own deadline bounds it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// heldRecords counts the record's writes waiting on holdScans's lock.
func heldRecords(t *testing.T, pool *pgxpool.Pool) int {
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
		AND objsubid = 1 AND objid::bigint = hashtext(current_schema()) & 2147483647`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func verdictOfScan(d domain.Decision) string {
	return fmt.Sprintf("%s %v (%s)", d.Action, d.Rules, d.EventID)
}

func isDouble(d domain.Decision) bool {
	return d.Action == domain.ActionBlock && len(d.Rules) > 0 && d.Rules[0] == domain.RuleDoublePayment
}

// TestScanGroupDecidesTogether sends, while a scan is held in the record,
// a crowd of scans that wait and then go as one group: six of one card
// for one cycle, the same scan twice, two scans under one id, a tampered
// card, an impossible cycle and a good scan. Each caller gets its own
// answer, as a batch from Kafka would have it: one of the six admitted
// and five DOUBLE_PAYMENT, the twice-sent scan one decision for both, one
// of the two under one id rejected as EVENT_ID_REUSED, only the bad scans
// rejected; every decision is durable, and sending each again gives the
// same answer.
func TestScanGroupDecidesTogether(t *testing.T) {
	w := newGroupWorld(t, 5)
	e := w.e
	const cycle = "2026-11"
	release := holdScans(t, e, "blk")
	blocker := make(chan scanned, 1)
	go func() { blocker <- w.post(e.ctx, scanBody("blk", w.qrs[0], cycle)) }()
	waitFor(t, "the first scan's record waits", func() bool { return heldRecords(t, e.store.Pool()) == 1 })

	type ask struct {
		name string
		body map[string]any
	}
	var asks []ask
	for i := range 6 {
		asks = append(asks, ask{fmt.Sprintf("same-%d", i), scanBody(fmt.Sprintf("same-%d", i), w.qrs[1], cycle)})
	}
	asks = append(asks,
		ask{"twin-a", scanBody("twin", w.qrs[2], cycle)},
		ask{"twin-b", scanBody("twin", w.qrs[2], cycle)},
		ask{"reuse-a", scanBody("reuse", w.qrs[3], cycle)},
		ask{"reuse-b", scanBody("reuse", w.qrs[4], "2026-10")},
		ask{"tampered", scanBody("tampered", w.qrs[4][:len(w.qrs[4])-3]+"AAA", cycle)},
		ask{"bad-cycle", scanBody("bad-cycle", w.qrs[4], "2026-13")},
		ask{"good", scanBody("good", w.qrs[4], cycle)},
	)
	got := make(map[string]scanned, len(asks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, a := range asks {
		wg.Go(func() {
			s := w.post(e.ctx, a.body)
			mu.Lock()
			got[a.name] = s
			mu.Unlock()
		})
	}
	waitFor(t, "every scan waits for the next group", func() bool { return w.tc.group.Waiting() == len(asks) })
	release()
	wg.Wait()
	if b := <-blocker; b.err != nil || b.d.Action != domain.ActionAdmit {
		t.Fatalf("the first scan: %v %s", b.err, verdictOfScan(b.d))
	}
	answer := map[string]domain.Decision{}
	for _, a := range asks {
		s := got[a.name]
		if s.err != nil || s.status != http.StatusOK {
			t.Fatalf("%s: HTTP %d, %v", a.name, s.status, s.err)
		}
		answer[a.name] = s.d
	}

	admits := 0
	for i := range 6 {
		d := answer[fmt.Sprintf("same-%d", i)]
		switch {
		case d.Action == domain.ActionAdmit:
			admits++
		case !isDouble(d):
			t.Errorf("same-%d: %s, want ADMIT or DOUBLE_PAYMENT", i, verdictOfScan(d))
		}
	}
	if admits != 1 {
		t.Errorf("%d of six scans of one card for one cycle admitted, want exactly 1", admits)
	}
	if a, b := answer["twin-a"], answer["twin-b"]; a.Action != domain.ActionAdmit || a.EventID != b.EventID || a.Action != b.Action || !a.DecidedAt.Equal(b.DecidedAt) {
		t.Errorf("one scan sent twice: %s at %v and %s at %v, want one ADMIT for both", verdictOfScan(a), a.DecidedAt, verdictOfScan(b), b.DecidedAt)
	}
	ra, rb := answer["reuse-a"], answer["reuse-b"]
	reused := func(d domain.Decision) bool {
		return d.Action == domain.ActionRejected && len(d.Rules) == 1 && d.Rules[0] == domain.RuleEventIDReused
	}
	if !(reused(ra) && rb.Action == domain.ActionAdmit) && !(reused(rb) && ra.Action == domain.ActionAdmit) {
		t.Errorf("two scans under one id: %s and %s, want one ADMIT and one EVENT_ID_REUSED", verdictOfScan(ra), verdictOfScan(rb))
	}
	if d := answer["tampered"]; d.Action != domain.ActionRejected || d.Rules[0] != domain.RuleInvalidCard {
		t.Errorf("tampered: %s, want REJECTED INVALID_CARD", verdictOfScan(d))
	}
	if d := answer["bad-cycle"]; d.Action != domain.ActionRejected {
		t.Errorf("bad-cycle: %s, want REJECTED", verdictOfScan(d))
	}
	if d := answer["good"]; d.Action != domain.ActionAdmit {
		t.Errorf("good: %s, want ADMIT", verdictOfScan(d))
	}

	// Durable: every answer is the record's, once.
	for name, d := range answer {
		if n := e.queryInt(`SELECT count(*) FROM decisions WHERE event_id = $1`, d.EventID); n != 1 {
			t.Errorf("%s: %d decisions on record under %s, want 1", name, n, d.EventID)
		}
		if a := e.queryString(`SELECT action FROM decisions WHERE event_id = $1`, d.EventID); a != string(d.Action) {
			t.Errorf("%s: answered %s, the record holds %s", name, d.Action, a)
		}
	}
	if n := e.queryInt(`SELECT count(*) FROM payments WHERE action = 'ADMIT' AND cycle = $1 AND event_id LIKE 'scan:dp-g:same-%'`, cycle); n != 1 {
		t.Errorf("%d admitted payments of the card scanned six times, want 1", n)
	}
	// Sent again, each scan gets its first answer.
	for _, a := range asks {
		again := w.mustPost(t, a.body)
		if first := answer[a.name]; again.Action != first.Action || again.EventID != first.EventID || fmt.Sprint(again.Rules) != fmt.Sprint(first.Rules) {
			t.Errorf("%s sent again: %s, first %s", a.name, verdictOfScan(again), verdictOfScan(first))
		}
	}
}

// TestScanGroupRecordFails has the record refuse a group's decisions, as a
// failing database would, for as long as its callers wait: nothing of the
// group is on record, no caller is told a decision, and once the record
// works the same scans are decided once, one admitted per card.
func TestScanGroupRecordFails(t *testing.T) {
	w := newGroupWorld(t, 2)
	e := w.e
	const cycle = "2026-11"
	if _, err := e.store.Pool().Exec(e.ctx, `CREATE SEQUENCE refused_writes;
		CREATE FUNCTION refuse_scans() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.event_id LIKE 'scan:%' THEN
				PERFORM nextval('refused_writes');
				RAISE EXCEPTION 'the record is failing' USING ERRCODE = '40001';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_scans BEFORE INSERT ON decision_keys FOR EACH ROW EXECUTE FUNCTION refuse_scans();`); err != nil {
		t.Fatal(err)
	}
	bodies := []map[string]any{
		scanBody("f-0", w.qrs[0], cycle), scanBody("f-1", w.qrs[0], cycle), scanBody("f-2", w.qrs[0], cycle),
		scanBody("f-3", w.qrs[1], cycle),
	}
	ctx, cancel := context.WithCancel(e.ctx)
	got := make([]scanned, len(bodies))
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Go(func() { got[i] = w.post(ctx, b) })
	}
	waitFor(t, "the record refuses a group again and again", func() bool {
		return e.queryInt(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM refused_writes`) >= 3
	})
	if n := e.queryInt(`SELECT count(*) FROM decisions WHERE event_id LIKE 'scan:%'`); n != 0 {
		t.Fatalf("%d scan decisions on record while the record fails", n)
	}
	cancel()
	wg.Wait()
	for i, s := range got {
		if s.err == nil {
			t.Errorf("f-%d was answered HTTP %d %s while its decision could not be recorded", i, s.status, verdictOfScan(s.d))
		}
	}
	if n := e.queryInt(`SELECT count(*) FROM decisions WHERE event_id LIKE 'scan:%'`); n != 0 {
		t.Fatalf("%d scan decisions on record from a group whose record failed", n)
	}

	if _, err := e.store.Pool().Exec(e.ctx, `DROP TRIGGER refuse_scans ON decision_keys`); err != nil {
		t.Fatal(err)
	}
	admits := 0
	for i, b := range bodies[:3] {
		d := w.mustPost(t, b)
		switch {
		case d.Action == domain.ActionAdmit:
			admits++
		case !isDouble(d):
			t.Errorf("f-%d sent again: %s", i, verdictOfScan(d))
		}
	}
	if admits != 1 {
		t.Errorf("%d of three scans of one card admitted once the record works, want 1", admits)
	}
	if d := w.mustPost(t, bodies[3]); d.Action != domain.ActionAdmit {
		t.Errorf("f-3 sent again: %s", verdictOfScan(d))
	}
	if n := e.queryInt(`SELECT count(*) FROM decisions WHERE event_id LIKE 'scan:%'`); n != len(bodies) {
		t.Errorf("%d scan decisions on record, want one each of %d", n, len(bodies))
	}
}

// TestScanGroupCallersLeave has callers give up while their group is in
// the record: a group whose every caller has gone stops and records
// nothing; a group with a caller still waiting records every decision,
// the gone callers' too, and answers the caller who waited. Sent again,
// every scan gets the decision on record, and one card is admitted once.
func TestScanGroupCallersLeave(t *testing.T) {
	w := newGroupWorld(t, 2)
	e := w.e
	const cycle = "2026-11"
	release := holdScans(t, e, "l-")
	body := func(id string, p int) map[string]any { return scanBody(id, w.qrs[p], cycle) }

	// a alone in the record; b, c and d wait for the next group.
	ctxA, cancelA := context.WithCancel(e.ctx)
	doneA := make(chan scanned, 1)
	go func() { doneA <- w.post(ctxA, body("l-a", 0)) }()
	waitFor(t, "a's record waits", func() bool { return heldRecords(t, e.store.Pool()) == 1 })
	ctxB, cancelB := context.WithCancel(e.ctx)
	got := make([]scanned, 3)
	var wg sync.WaitGroup
	for i, c := range []struct {
		ctx  context.Context
		body map[string]any
	}{{ctxB, body("l-b", 0)}, {e.ctx, body("l-c", 0)}, {e.ctx, body("l-d", 1)}} {
		wg.Go(func() { got[i] = w.post(c.ctx, c.body) })
	}
	waitFor(t, "b, c and d wait", func() bool { return w.tc.group.Waiting() == 3 })
	// a's only caller leaves: its group stops, and the next goes to the
	// record and waits there.
	cancelA()
	if s := <-doneA; s.err == nil {
		t.Fatalf("a answered HTTP %d after its caller left", s.status)
	}
	waitFor(t, "b, c and d's record waits", func() bool { return heldRecords(t, e.store.Pool()) >= 1 && w.tc.group.Waiting() == 0 })
	if n := e.queryInt(`SELECT count(*) FROM decisions WHERE event_id = 'scan:dp-g:l-a'`); n != 0 {
		t.Fatal("a's decision was recorded though its group stopped")
	}
	// b's caller leaves; c and d still wait.
	cancelB()
	release()
	wg.Wait()
	if got[0].err == nil {
		t.Errorf("b answered HTTP %d after its caller left", got[0].status)
	}
	for i, s := range got[1:] {
		if s.err != nil || s.status != http.StatusOK {
			t.Fatalf("scan %d: HTTP %d, %v", i+1, s.status, s.err)
		}
	}
	if n := e.queryInt(`SELECT count(*) FROM decisions WHERE event_id = 'scan:dp-g:l-b'`); n != 1 {
		t.Errorf("b's decision: %d on record, want 1: its group went on for c and d", n)
	}
	first := map[string]domain.Decision{"l-c": got[1].d, "l-d": got[2].d}
	if first["l-d"].Action != domain.ActionAdmit {
		t.Errorf("d: %s", verdictOfScan(first["l-d"]))
	}
	admits := 0
	for _, id := range []string{"l-a", "l-b", "l-c"} {
		d := w.mustPost(t, body(id, 0))
		if f, ok := first[id]; ok && (f.Action != d.Action || fmt.Sprint(f.Rules) != fmt.Sprint(d.Rules)) {
			t.Errorf("%s sent again: %s, first %s", id, verdictOfScan(d), verdictOfScan(f))
		}
		if a := e.queryString(`SELECT action FROM decisions WHERE event_id = $1`, "scan:dp-g:"+id); a != string(d.Action) {
			t.Errorf("%s answered %s, the record holds %s", id, d.Action, a)
		}
		switch {
		case d.Action == domain.ActionAdmit:
			admits++
		case !isDouble(d):
			t.Errorf("%s: %s", id, verdictOfScan(d))
		}
	}
	if admits != 1 {
		t.Errorf("%d of three scans of one card admitted, want 1", admits)
	}
	if n := e.queryInt(`SELECT count(*) FROM payments WHERE action = 'ADMIT' AND cycle = $1 AND event_id LIKE 'scan:dp-g:l-%'`, cycle); n != 2 {
		t.Errorf("%d admitted payments, want one per card", n)
	}
}

// TestScanGroupRacesKafka races, many times, a group of scans of one card
// against a distribution from the stream for the same person, programme
// and cycle, decided by the stream's processor: exactly one is admitted.
func TestScanGroupRacesKafka(t *testing.T) {
	w := newGroupWorld(t, 1)
	e := w.e
	for r := range 12 {
		cycle := fmt.Sprintf("%d-%02d", 2030+r/12, 1+r%12)
		var wg sync.WaitGroup
		scans := make([]scanned, 4)
		for i := range scans {
			wg.Go(func() { scans[i] = w.post(e.ctx, scanBody(fmt.Sprintf("k%d-%d", r, i), w.qrs[0], cycle)) })
		}
		pay := payment(fmt.Sprintf("kpay-%d", r), "old_age", w.nids[0], "")
		delete(pay, "wallet")
		pay["channel"], pay["cycle"] = "in_person", cycle
		wg.Go(func() {
			b, _ := json.Marshal(pay)
			if err := e.proc.Process(e.ctx, []pipeline.Message{{Topic: e.topics.Distributions, Offset: int64(r), Value: b, Time: time.Now()}}); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		k, err := e.store.Decisions(e.ctx, []string{pay["event_id"].(string)})
		if err != nil {
			t.Fatal(err)
		}
		all := []domain.Decision{k[pay["event_id"].(string)]}
		for i, s := range scans {
			if s.err != nil || s.status != http.StatusOK {
				t.Fatalf("round %d scan %d: HTTP %d, %v", r, i, s.status, s.err)
			}
			all = append(all, s.d)
		}
		admits := 0
		for _, d := range all {
			switch {
			case d.Action == domain.ActionAdmit:
				admits++
			case !isDouble(d):
				t.Fatalf("round %d: %s", r, verdictOfScan(d))
			}
		}
		if admits != 1 {
			t.Fatalf("round %d: %d of four scans and a Kafka distribution admitted, want 1", r, admits)
		}
	}
}

// TestScanScopeReadWithToken: the distributor's scope, read with the token
// in one query, is the scope as it is at each scan: a narrowed scope
// refuses the next scan, a widened one allows it again, and a revoked
// token is refused.
func TestScanScopeReadWithToken(t *testing.T) {
	w := newGroupWorld(t, 1)
	e := w.e
	if d := w.mustPost(t, scanBody("s-1", w.qrs[0], "2026-11")); d.Action != domain.ActionAdmit {
		t.Fatalf("s-1: %s", verdictOfScan(d))
	}
	setScope := func(progs ...string) {
		if err := e.store.SetDistributorScope(e.ctx, "dp-g", domain.DistributorScope{Programmes: progs, Areas: []string{"Savar"}}); err != nil {
			t.Fatal(err)
		}
	}
	setScope("widow")
	if s := w.post(e.ctx, scanBody("s-2", w.qrs[0], "2026-12")); s.status != http.StatusForbidden {
		t.Fatalf("a scan outside the scope just narrowed: HTTP %d %s", s.status, verdictOfScan(s.d))
	}
	setScope("old_age")
	if d := w.mustPost(t, scanBody("s-3", w.qrs[0], "2026-12")); d.Action != domain.ActionAdmit {
		t.Fatalf("s-3 after the scope was widened again: %s", verdictOfScan(d))
	}
	if _, err := e.store.RevokeTokens(e.ctx, "dp-g", "t", "", review.Actor{Username: "test", Role: review.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if s := w.post(e.ctx, scanBody("s-4", w.qrs[0], "2027-01")); s.status != http.StatusUnauthorized {
		t.Fatalf("a scan with a revoked token: HTTP %d %s", s.status, verdictOfScan(s.d))
	}
}
