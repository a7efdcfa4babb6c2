package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// scanEnv is a running ekjon with a supervisor's and distributors' tokens.
type scanEnv struct {
	t    testing.TB
	h    *harness
	app  *app.App
	base string
	sup  string
	dist string
	far  string
	// supWelfare and supFood are supervisors bound to the Ministry of
	// Social Welfare (the old-age allowance's) and to the Ministry of Food.
	supWelfare, supFood string
}

func newScanEnv(t *testing.T) *scanEnv { return newScanEnvOn(t, newHarness(t, 3)) }

func newScanEnvOn(t testing.TB, h *harness) *scanEnv { return newScanEnvWith(t, h, nil) }

// newScanEnvWith is newScanEnvOn with the configuration changed by edit,
// if not nil.
func newScanEnvWith(t testing.TB, h *harness, edit func(*app.Config)) *scanEnv {
	a := h.start(edit)
	st := storeOn(h.db)
	ctx := context.Background()
	actor := review.Actor{Username: "test", Role: review.RoleAdmin}
	tokens := map[string]string{}
	for _, u := range []struct {
		name, role string
		ministries []string
	}{{"sup", review.RoleSupervisor, nil}, {"dist", review.RoleDistributor, nil}, {"far", review.RoleDistributor, nil},
		{"sup-welfare", review.RoleSupervisor, []string{"social_welfare"}}, {"sup-food", review.RoleSupervisor, []string{"food"}}} {
		if err := st.CreateUser(ctx, review.User{Username: u.name, Role: u.role, Ministries: u.ministries}, actor); err != nil {
			t.Fatal(err)
		}
		tok, hash := api.NewToken(api.TokenPrefix)
		if err := st.CreateToken(ctx, review.APIToken{Hash: hash, Username: u.name, Label: "test", ID: api.TokenID(tok)}, actor); err != nil {
			t.Fatal(err)
		}
		tokens[u.name] = tok
	}
	if err := st.SetDistributorScope(ctx, "dist", domain.DistributorScope{Programmes: []string{"old_age"}, Areas: []string{"Savar"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetDistributorScope(ctx, "far", domain.DistributorScope{Programmes: []string{"widow"}, Areas: []string{"Sylhet"}}); err != nil {
		t.Fatal(err)
	}
	return &scanEnv{t: t, h: h, app: a, base: "http://" + a.HTTPAddr, sup: tokens["sup"], dist: tokens["dist"], far: tokens["far"],
		supWelfare: tokens["sup-welfare"], supFood: tokens["sup-food"]}
}

// call sends body (JSON-encoded unless a string) and decodes the answer.
func (e *scanEnv) call(method, path, token string, body any, out any) int {
	e.t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			e.t.Fatal(err)
		}
	}
	return res.StatusCode
}

type cardJSON struct {
	CardNo  string `json:"card_no"`
	Status  string `json:"status"`
	QR      string `json:"qr"`
	Version int    `json:"version"`
}

// enrol enrols a person in old_age and waits until their card scans as
// live; it returns the person id and the card.
func (e *scanEnv) enrol(id, nid string, i int) (string, cardJSON) {
	e.t.Helper()
	e.h.produce(e.h.cfg.Kafka.Topics.Enrolments, distinctEnrolment(id, nid, "old_age", i))
	d := e.h.decisions(id)[id]
	if d.Action != domain.ActionAdmit {
		e.t.Fatalf("enrolment %s: %s", id, verdictOf(d))
	}
	var c cardJSON
	deadline := time.Now().Add(30 * time.Second)
	for {
		if e.call("GET", "/api/v1/persons/"+d.PersonID+"/card", e.sup, nil, &c) == http.StatusOK {
			var v api.VerifyResponse
			e.call("POST", "/api/v1/scans/verify", e.dist, e.scan("probe", c.QR, "2026-11"), &v)
			if v.Card == "live" {
				return d.PersonID, c
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the card of %s never became scannable", d.PersonID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scanAt is scan made at the place loc.
func (e *scanEnv) scanAt(scanID, qr string, loc map[string]string) map[string]any {
	m := e.scan(scanID, qr, "2026-11")
	m["location"] = loc
	return m
}

// verifyAt verifies card qr as distributor who (with token) at the place
// loc, and fails the test unless the answer is want, and a 200 finds the
// card live.
func (e *scanEnv) verifyAt(who, token, scanID, qr string, loc map[string]string, want int) {
	e.t.Helper()
	var v api.VerifyResponse
	if code := e.call("POST", "/api/v1/scans/verify", token, e.scanAt(scanID, qr, loc), &v); code != want {
		e.t.Errorf("%s at %v: HTTP %d, want %d", who, loc, code, want)
	} else if code == http.StatusOK && v.Card != "live" {
		e.t.Errorf("%s at %v: card %q", who, loc, v.Card)
	}
}

// distributors adds a distributor for each name, bound to the old-age
// allowance (or every programme, when its areas are "*") in its areas,
// and returns each one's bearer token.
func (e *scanEnv) distributors(areas map[string][]string) map[string]string {
	e.t.Helper()
	st := storeOn(e.h.db)
	ctx := context.Background()
	actor := review.Actor{Username: "test", Role: review.RoleAdmin}
	tokens := map[string]string{}
	for name, as := range areas {
		if err := st.CreateUser(ctx, review.User{Username: name, Role: review.RoleDistributor}, actor); err != nil {
			e.t.Fatal(err)
		}
		tok, hash := api.NewToken(api.TokenPrefix)
		if err := st.CreateToken(ctx, review.APIToken{Hash: hash, Username: name, Label: "test", ID: api.TokenID(tok)}, actor); err != nil {
			e.t.Fatal(err)
		}
		progs := []string{"old_age"}
		if len(as) == 1 && as[0] == "*" {
			progs = []string{"*"}
		}
		if err := st.SetDistributorScope(ctx, name, domain.DistributorScope{Programmes: progs, Areas: as}); err != nil {
			e.t.Fatal(err)
		}
		tokens[name] = tok
	}
	return tokens
}

func (e *scanEnv) scan(scanID, qr, cycle string) map[string]any {
	return map[string]any{"scan_id": scanID, "qr": qr, "programme": "old_age", "cycle": cycle, "device_id": "dev-1",
		"location": map[string]string{"district": "Dhaka", "upazila": "Savar"}}
}

func (e *scanEnv) post(scanID, qr, cycle string) domain.Decision {
	e.t.Helper()
	var r api.ScanResponse
	if code := e.call("POST", "/api/v1/scans", e.dist, e.scan(scanID, qr, cycle), &r); code != http.StatusOK {
		e.t.Fatalf("scan %s: HTTP %d", scanID, code)
	}
	return r.Decision
}

// TestScanEndToEnd scans cards through the API on the real stack: every
// card outcome is a decision, retries are idempotent, a replaced card is
// blocked, and a card QR in a Kafka distribution resolves the same way.
func TestScanEndToEnd(t *testing.T) {
	e := newScanEnv(t)
	pid, card := e.enrol("en-1", "1234567890", 1)
	if card.Status != domain.CardActive || card.Version != 1 || !cards.ValidNumber(card.CardNo) {
		t.Fatalf("card %+v", card)
	}
	if strings.Contains(card.QR, "1234567890") || strings.Contains(card.QR, pid) {
		t.Fatalf("the QR %q carries the NID or person id", card.QR)
	}
	var png []byte
	req, _ := http.NewRequest("GET", e.base+"/api/v1/persons/"+pid+"/card.png", nil)
	req.Header.Set("Authorization", "Bearer "+e.sup)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("card.png: %v %v", err, res)
	} else {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		res.Body.Close()
		png = buf.Bytes()
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("card.png is not a PNG")
	}
	// A ministry's supervisor reads and changes its own people's cards
	// only: another ministry's person is not found.
	if code := e.call("GET", "/api/v1/persons/"+pid+"/card", e.supWelfare, nil, nil); code != http.StatusOK {
		t.Fatalf("social welfare's supervisor read an old-age card: HTTP %d", code)
	}
	for _, c := range []struct{ method, path string }{{"GET", "/card"}, {"GET", "/card.png"}, {"POST", "/card/revoke"}, {"POST", "/card/replace"}} {
		if code := e.call(c.method, "/api/v1/persons/"+pid+c.path, e.supFood, map[string]string{"reason": "not theirs"}, nil); code != http.StatusNotFound {
			t.Fatalf("the food ministry's supervisor on an old-age card: %s %s HTTP %d, want 404", c.method, c.path, code)
		}
	}
	// A distributor's token serves the scan API alone.
	if code := e.call("GET", "/api/v1/persons/"+pid+"/card", e.dist, nil, nil); code != http.StatusForbidden {
		t.Fatalf("a distributor read a card: HTTP %d", code)
	}
	if code := e.call("GET", "/api/v1/alerts", e.dist, nil, nil); code != http.StatusForbidden {
		t.Fatalf("a distributor read the queue: HTTP %d", code)
	}

	var v api.VerifyResponse
	e.call("POST", "/api/v1/scans/verify", e.dist, e.scan("v1", card.QR, "2026-11"), &v)
	if !v.MayReceive || v.PersonID != pid || v.Entitlement == nil || v.Entitlement.Amount != 600 || strings.Contains(v.NID, "123456") {
		t.Fatalf("verify: %+v", v)
	}

	first := e.post("s1", card.QR, "2026-11")
	if first.Action != domain.ActionAdmit || first.PersonID != pid {
		t.Fatalf("first scan: %s person %s", verdictOf(first), first.PersonID)
	}
	again := e.post("s1", card.QR, "2026-11")
	if again.EventID != first.EventID || again.Action != first.Action || !again.DecidedAt.Equal(first.DecidedAt) {
		t.Fatalf("a retried scan got another answer: %+v, first %+v", again, first)
	}
	if d := e.post("s2", card.QR, "2026-11"); d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleDoublePayment {
		t.Fatalf("second scan in the cycle: %s", verdictOf(d))
	}
	if d := e.post("s1", card.QR, "2026-10"); d.Action != domain.ActionRejected || d.Rules[0] != domain.RuleEventIDReused {
		t.Fatalf("a scan id reused for another scan: %s", verdictOf(d))
	}
	e.call("POST", "/api/v1/scans/verify", e.dist, e.scan("v2", card.QR, "2026-11"), &v)
	if v.MayReceive || v.Rule != domain.RuleDoublePayment {
		t.Fatalf("verify after payment: %+v", v)
	}

	other := cards.DerivedKeyring("another-secret-0123456789")
	i := strings.LastIndexByte(card.QR, '.')
	for name, qr := range map[string]string{
		"tampered":  strings.Replace(card.QR, card.CardNo, card.CardNo[:15]+string('0'+(card.CardNo[15]-'0'+1)%10), 1),
		"truncated": card.QR[:i+10],
		"other key": other.Sign(card.CardNo, 1),
		"not a qr":  "hello",
		"unknown":   e.h.cfgKeyring().Sign("4000000000000002", 1),
	} {
		if d := e.post("bad-"+strings.ReplaceAll(name, " ", "-"), qr, "2026-12"); d.Action != domain.ActionRejected || d.Rules[0] != domain.RuleInvalidCard {
			t.Errorf("%s QR: %s", name, verdictOf(d))
		}
	}

	var repl cardJSON
	if code := e.call("POST", "/api/v1/persons/"+pid+"/card/replace", e.sup, map[string]string{"reason": "lost at the market"}, &repl); code != 200 {
		t.Fatalf("replace: HTTP %d", code)
	}
	if repl.Version != 2 || repl.CardNo == card.CardNo || repl.QR == card.QR {
		t.Fatalf("replacement %+v of %+v", repl, card)
	}
	if d := e.post("s3", card.QR, "2026-12"); d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleCardRevoked {
		t.Fatalf("the replaced card: %s", verdictOf(d))
	}
	// The index rebuilt from the record knows the cards as the live one did.
	if err := e.app.Index.Invalidate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.app.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := e.post("s3b", card.QR, "2026-12"); d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleCardRevoked {
		t.Fatalf("the replaced card after a rebuild: %s", verdictOf(d))
	}
	if d := e.post("s4", repl.QR, "2026-12"); d.Action != domain.ActionAdmit {
		t.Fatalf("the new card: %s", verdictOf(d))
	}

	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'CARD_REVOKED'`); n != 2 {
		t.Fatalf("%d CARD_REVOKED alerts, want one for each scan of the replaced card", n)
	}
	// Outside the distributor's scope: 403, and an alert.
	var r api.ScanResponse
	if code := e.call("POST", "/api/v1/scans", e.far, e.scan("s5", repl.QR, "2027-01"), &r); code != http.StatusForbidden {
		t.Fatalf("out of scope: HTTP %d", code)
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_SCOPE'`); n != 1 {
		t.Fatalf("%d DISTRIBUTOR_SCOPE alerts, want 1", n)
	}
	if code := e.call("POST", "/api/v1/scans", e.dist, "{not json", nil); code != http.StatusBadRequest {
		t.Fatalf("a body that is not JSON: HTTP %d", code)
	}
	// Hostile fields are decisions, not errors, and the API carries on.
	for name, body := range map[string]map[string]any{
		"huge qr":         e.scan("h1", strings.Repeat("A", 20_000), "2027-01"),
		"control chars":   e.scan("h2", "EKC1.d1.\u0000\u001b[2J.1.x", "2027-01"),
		"huge scan id":    e.scan(strings.Repeat("x", 10_000), repl.QR, "2027-01"),
		"bad cycle":       e.scan("h3", repl.QR, "'; DROP TABLE cards; --"),
		"no qr":           e.scan("h4", "", "2027-01"),
		"negative amount": func() map[string]any { m := e.scan("h5", repl.QR, "2027-01"); m["amount"] = -5; return m }(),
	} {
		var r api.ScanResponse
		if code := e.call("POST", "/api/v1/scans", e.dist, body, &r); code != http.StatusOK || r.Decision.Action != domain.ActionRejected {
			t.Errorf("%s: HTTP %d, %s; want 200 and REJECTED", name, code, verdictOf(r.Decision))
		}
	}

	// A card QR in a Kafka distribution: paid once with the scan.
	dist := fmt.Sprintf(`{"event_id":"k-1","type":"distribution","occurred_at":"2026-12-05T09:00:00Z","source":"g2p","programme":"old_age",
		"cycle":"2026-12","card_qr":%q,"amount":600,"channel":"card","distributor_id":"agent-1","location":{"district":"Dhaka","upazila":"Savar"}}`, repl.QR)
	dist2 := strings.Replace(strings.Replace(dist, "k-1", "k-2", 1), "2026-12\"", "2027-01\"", 1)
	e.h.produce(e.h.cfg.Kafka.Topics.Distributions, dist, dist2)
	got := e.h.decisions("k-1", "k-2")
	if d := got["k-1"]; d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleDoublePayment || d.PersonID != pid {
		t.Fatalf("Kafka card_qr in a cycle the scan paid: %s", verdictOf(d))
	}
	if d := got["k-2"]; d.Action != domain.ActionAdmit || d.PersonID != pid {
		t.Fatalf("Kafka card_qr in a new cycle: %s", verdictOf(d))
	}

	// Dead: DECEASED_OR_EXITED.
	e.h.produce(e.h.cfg.Kafka.Topics.Status, statusEvent("st-1", "1234567890", "deceased", "", "", "2027-01-20T00:00:00Z"))
	e.h.decisions("st-1")
	if d := e.post("s6", repl.QR, "2027-02"); d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleDeceasedOrExited {
		t.Fatalf("a dead person's card: %s", verdictOf(d))
	}

	// Every scan decision reaches the outbox once.
	if n := countRows(t, e, `SELECT count(*) FROM outbox WHERE event_id LIKE 'scan:%' AND decision IS NOT NULL`); n != countRows(t, e, `SELECT count(*) FROM decisions WHERE event_id LIKE 'scan:%'`) {
		t.Fatalf("%d scan decisions in the outbox, not one each", n)
	}
	// One card per person however many admissions.
	if n := countRows(t, e, `SELECT count(*) FROM cards WHERE person_id = '`+pid+`'`); n != 2 {
		t.Fatalf("%d cards for the person, want the first and its replacement", n)
	}
}

func countRows(t *testing.T, e *scanEnv, q string) int {
	t.Helper()
	var n int
	if err := e.h.db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (h *harness) cfgKeyring() *cards.Keyring { return h.cfg.CardKeyring() }

// TestScanRacesKafkaPayment races, many times, three scans of one card
// (which the API may decide in one group or in several) and a Kafka
// payment for the same person, programme and cycle: exactly one is
// admitted.
func TestScanRacesKafkaPayment(t *testing.T) {
	e := newScanEnv(t)
	const nid = "2345678901"
	_, card := e.enrol("en-r", nid, 2)
	const rounds = 24
	for r := range rounds {
		cycle := fmt.Sprintf("%d-%02d", 2030+r/12, 1+r%12)
		var wg sync.WaitGroup
		scans := make([]domain.Decision, 3)
		for i := range scans {
			wg.Go(func() { scans[i] = e.post(fmt.Sprintf("race-%d-%d", r, i), card.QR, cycle) })
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.h.produce(e.h.cfg.Kafka.Topics.Distributions,
				paymentEvent(fmt.Sprintf("kpay-%d", r), nid, "old_age", cycle, "", "2026-11-05T09:00:00Z"))
		}()
		wg.Wait()
		k := e.h.decisions(fmt.Sprintf("kpay-%d", r))[fmt.Sprintf("kpay-%d", r)]
		admits := 0
		for _, d := range append(scans, k) {
			if d.Action == domain.ActionAdmit {
				admits++
			} else if d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleDoublePayment {
				t.Fatalf("round %d: %s", r, verdictOf(d))
			}
		}
		if admits != 1 {
			t.Fatalf("round %d (cycle %s): %d admitted (scans %s, %s, %s, kafka %s), want exactly 1", r, cycle, admits,
				verdictOf(scans[0]), verdictOf(scans[1]), verdictOf(scans[2]), verdictOf(k))
		}
	}
}

// TestScanScopeByPlace: a distributor's areas and the scan's place are
// compared as places, not as spellings.
func TestScanScopeByPlace(t *testing.T) {
	e := newScanEnv(t)
	_, card := e.enrol("en-place", "1234567891", 1)
	tokens := e.distributors(map[string][]string{"dhaka": {"Dhaka"}, "nawabganj": {"Nawabganj"}})
	for i, c := range []struct {
		who  string
		loc  map[string]string
		want int
	}{
		{"dhaka", map[string]string{"district": "ঢাকা", "upazila": "সাভার"}, http.StatusOK},
		{"dhaka", map[string]string{"district": "26"}, http.StatusOK},
		{"dhaka", map[string]string{"district": "Dhaka District", "upazila": "Savar"}, http.StatusOK},
		// An upazila field that spells the district, in another district.
		{"dhaka", map[string]string{"district": "Gazipur", "upazila": "Dhaka"}, http.StatusForbidden},
		// 30 is Feni district's code.
		{"dhaka", map[string]string{"district": "30"}, http.StatusForbidden},
		{"dhaka", map[string]string{"district": "Dhakka"}, http.StatusForbidden},
		// Nawabganj is a district's former name and an upazila's: it
		// covers no place but one written Nawabganj.
		{"nawabganj", map[string]string{"district": "চাঁপাইনবাবগঞ্জ"}, http.StatusForbidden},
		{"nawabganj", map[string]string{"district": "Dhaka", "upazila": "Nawabganj"}, http.StatusOK},
	} {
		e.verifyAt(c.who, tokens[c.who], fmt.Sprint("p", i), card.QR, c.loc, c.want)
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_SCOPE' AND event_id LIKE 'scope:%'`); n != 4 {
		t.Fatalf("%d DISTRIBUTOR_SCOPE alerts, want one for each refused scan", n)
	}
	// The alert keeps the scan's district by its code, as every alert does.
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_SCOPE' AND event_id = 'scope:dhaka:p3' AND district = '33'`); n != 1 {
		t.Error("the alert of the scan in Gazipur does not name district 33")
	}
}

// scanUnionPlaces names three unions of Savar and a namesake of one in
// Gazipur, so that the name alone finds neither Ashulia.
const scanUnionPlaces = `division,district,upazila,union,name_en,name_bn
,26,72,,Savar,সাভার
,26,72,17,Ashulia,আশুলিয়া
,26,72,20,Dhamsona,ধামসোনা
,33,30,,Gazipur Sadar,গাজীপুর সদর
,33,30,17,Ashulia,আশুলিয়া
`

// TestScanScopeByUnion: a distributor bound to a union scans there,
// however the location writes the union, and is refused with an alert
// in another union, at a name two unions bear and under another
// district; the hand-out is recorded with its union by code, from the
// scan API and from a Kafka distribution naming the card.
func TestScanScopeByUnion(t *testing.T) {
	file := t.TempDir() + "/places.csv"
	if err := os.WriteFile(file, []byte(scanUnionPlaces), 0o600); err != nil {
		t.Fatal(err)
	}
	old := domain.Places()
	t.Cleanup(func() { domain.UsePlaces(old) })
	e := newScanEnvWith(t, newHarness(t, 3), func(c *app.Config) { c.Rules.PlacesFile = file })
	_, card := e.enrol("en-union", "1234567892", 2)
	tokens := e.distributors(map[string][]string{"ashulia": {"267217"}, "savar": {"সাভার"}})
	for i, c := range []struct {
		who  string
		loc  map[string]string
		want int
	}{
		{"ashulia", map[string]string{"district": "Dhaka", "upazila": "Savar", "union": "Ashulia"}, http.StatusOK},
		{"ashulia", map[string]string{"district": "ঢাকা", "upazila": "সাভার", "union": "আশুলিয়া"}, http.StatusOK},
		{"ashulia", map[string]string{"district": "26", "upazila": "72", "union": "17"}, http.StatusOK},
		{"ashulia", map[string]string{"union": "২৬৭২১৭"}, http.StatusOK},
		// Another union of the same upazila.
		{"ashulia", map[string]string{"district": "Dhaka", "upazila": "Savar", "union": "Dhamsona"}, http.StatusForbidden},
		// The upazila without its union.
		{"ashulia", map[string]string{"district": "Dhaka", "upazila": "Savar"}, http.StatusForbidden},
		// A name Gazipur's union bears too.
		{"ashulia", map[string]string{"union": "Ashulia"}, http.StatusForbidden},
		// The union's code under another district.
		{"ashulia", map[string]string{"district": "Gazipur", "union": "267217"}, http.StatusForbidden},
		// The upazila covers its unions, however written.
		{"savar", map[string]string{"union": "267217"}, http.StatusOK},
		{"savar", map[string]string{"district": "Gazipur", "union": "Ashulia"}, http.StatusForbidden},
	} {
		e.verifyAt(c.who, tokens[c.who], fmt.Sprint("u", i), card.QR, c.loc, c.want)
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_SCOPE' AND event_id LIKE 'scope:%' AND person_id IS NULL`); n != 5 {
		t.Fatalf("%d DISTRIBUTOR_SCOPE alerts without a person, want one for each refused scan", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE event_id = 'scope:ashulia:u4' AND district = '26'`); n != 1 {
		t.Error("the alert of the scan in Dhamsona does not name district 26")
	}

	// A scan in the union, written in Bangla, is recorded by code.
	var r api.ScanResponse
	body := e.scanAt("in-union", card.QR, map[string]string{"district": "ঢাকা", "union": "আশুলিয়া"})
	if code := e.call("POST", "/api/v1/scans", tokens["ashulia"], body, &r); code != http.StatusOK || r.Decision.Action != domain.ActionAdmit {
		t.Fatalf("scan in the union: HTTP %d, %s", code, verdictOf(r.Decision))
	}
	// A Kafka distribution naming the card and the union alone.
	e.h.produce(e.h.cfg.Kafka.Topics.Distributions, fmt.Sprintf(`{"event_id":"k-union","type":"distribution",
		"occurred_at":"2026-12-05T09:00:00Z","source":"g2p","programme":"old_age","cycle":"2026-12","card_qr":%q,"amount":600,
		"channel":"card","distributor_id":"ashulia","location":{"union":"Ashulia Union","district":"Dhaka District"}}`, card.QR))
	if d := e.h.decisions("k-union")["k-union"]; d.Action != domain.ActionAdmit {
		t.Fatalf("Kafka card_qr in the union: %s", verdictOf(d))
	}
	if n := countRows(t, e, `SELECT count(*) FROM payments WHERE event_id IN ('scan:ashulia:in-union', 'k-union')
		AND district = '26' AND upazila = '2672' AND union_name = '267217'`); n != 2 {
		t.Fatalf("%d of the two hand-outs recorded in district 26, upazila 2672, union 267217", n)
	}

	// From Kafka, the union's distributor in another union is blocked
	// before the claim, with an alert; in their union the card then
	// pays; a distributor ekjon does not know is not checked.
	kafka := func(id, dist, cycle, loc string) string {
		return fmt.Sprintf(`{"event_id":%q,"type":"distribution","occurred_at":"2027-01-05T09:00:00Z","source":"g2p","programme":"old_age",
			"cycle":%q,"card_qr":%q,"amount":600,"channel":"card","distributor_id":%q,"location":%s}`, id, cycle, card.QR, dist, loc)
	}
	e.h.produce(e.h.cfg.Kafka.Topics.Distributions, kafka("k-out", "ashulia", "2027-01", `{"district":"ঢাকা","upazila":"সাভার","union":"ধামসোনা"}`))
	if d := e.h.decisions("k-out")["k-out"]; d.Action != domain.ActionBlock || d.Rules[0] != domain.RuleDistributorScope {
		t.Fatalf("Kafka card_qr outside the distributor's union: %s", verdictOf(d))
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE event_id = 'k-out' AND rule = 'DISTRIBUTOR_SCOPE' AND district = '26'
		AND evidence->>'location_union' = '267220' AND person_id IS NULL`); n != 1 {
		t.Error("the blocked hand-out's alert does not name district 26 and union 267220")
	}
	e.h.produce(e.h.cfg.Kafka.Topics.Distributions,
		kafka("k-in", "ashulia", "2027-01", `{"union":"267217"}`),
		kafka("k-agent", "agent-x", "2027-02", `{"district":"Sylhet"}`))
	got := e.h.decisions("k-in", "k-agent")
	if d := got["k-in"]; d.Action != domain.ActionAdmit {
		t.Fatalf("Kafka card_qr in the union after the blocked one: %s", verdictOf(d))
	}
	if d := got["k-agent"]; d.Action != domain.ActionAdmit {
		t.Fatalf("Kafka card_qr by an agent ekjon does not know: %s", verdictOf(d))
	}
}

// TestScanInvalidCardsAlert: a distributor scanning cards ekjon did not
// issue, past the limit in an hour, gets each a REJECTED INVALID_CARD as
// ever, and the reviewers one DISTRIBUTOR_INVALID_CARDS alert, recorded
// and in the outbox once, carrying no QR; a card_qr from Kafka counts the
// same way.
func TestScanInvalidCardsAlert(t *testing.T) {
	e := newScanEnv(t)
	_, card := e.enrol("en-forger", "1234567893", 3)
	// Distributors and devices of their own: the enrolment's probe may
	// have verified the card as the dist user, on dev-1, before the index
	// knew it.
	tokens := e.distributors(map[string][]string{"forger": {"*"}, "prober": {"*"}})
	post := func(id, qr string) domain.Decision {
		t.Helper()
		var r api.ScanResponse
		body := e.scan(id, qr, "2026-11")
		body["device_id"] = "forger-tab"
		if code := e.call("POST", "/api/v1/scans", tokens["forger"], body, &r); code != http.StatusOK {
			t.Fatalf("scan %s: HTTP %d", id, code)
		}
		return r.Decision
	}
	other := cards.DerivedKeyring("another-secret-0123456789")
	forged := []string{
		other.Sign(card.CardNo, 1),
		strings.Replace(card.QR, card.CardNo, card.CardNo[:15]+string('0'+(card.CardNo[15]-'0'+1)%10), 1),
		"https://example.com/not-a-card",
		e.h.cfgKeyring().Sign("4000000000000002", 1),
		other.Sign(card.CardNo, 2),
		"hello",
	}
	for i, qr := range forged {
		d := post(fmt.Sprint("forged-", i), qr)
		if d.Action != domain.ActionRejected || d.Rules[0] != domain.RuleInvalidCard {
			t.Fatalf("forged QR %d: %s", i, verdictOf(d))
		}
		// The limit is 3 an hour: the fourth and later say so.
		if past := slices.Contains(d.Rules, domain.RuleInvalidCards); past != (i >= 3) {
			t.Errorf("forged QR %d: rules %v", i, d.Rules)
		}
	}
	if d := post("genuine", card.QR); d.Action != domain.ActionAdmit || len(d.Rules) != 0 {
		t.Fatalf("the genuine card: %s %v", verdictOf(d), d.Rules)
	}
	q := `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_INVALID_CARDS' AND event_id = 'scan:forger:forged-3'
		AND alert_id LIKE 'invalid-cards:distributor:forger:%' AND person_id IS NULL AND evidence->>'distributor_invalid_cards_in_hour' = '4'`
	if n := countRows(t, e, q); n != 1 {
		t.Fatalf("%d alerts on the fourth forged card, want 1", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_INVALID_CARDS' AND alert_id LIKE '%:forger:%'`); n != 1 {
		t.Fatalf("%d DISTRIBUTOR_INVALID_CARDS alerts, want one for the hour", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM outbox WHERE alerts::text LIKE '%invalid-cards:distributor:forger:%'`); n != 1 {
		t.Fatalf("the alert is in the outbox %d times, want once", n)
	}
	// A reviewer opens it as any alert.
	var alertID string
	if err := e.h.db.QueryRow(context.Background(), `SELECT alert_id FROM alerts WHERE event_id = 'scan:forger:forged-3'`).Scan(&alertID); err != nil {
		t.Fatal(err)
	}
	var c struct {
		Alert domain.Alert `json:"alert"`
	}
	if code := e.call("GET", "/api/v1/alerts/"+url.PathEscape(alertID), e.sup, nil, &c); code != http.StatusOK || c.Alert.Rule != domain.RuleInvalidCards {
		t.Fatalf("the alert %s: HTTP %d %+v", alertID, code, c)
	}
	for _, qr := range forged {
		if n := countRows(t, e, fmt.Sprintf(`SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_INVALID_CARDS'
			AND (evidence::text LIKE '%%%[1]s%%' OR alert_id LIKE '%%%[1]s%%')`, strings.ReplaceAll(qr[:min(len(qr), 12)], "'", "''"))); n != 0 {
			t.Fatalf("the alert carries a forged QR")
		}
	}

	// From Kafka: an agent's forged card_qr payments, on its own count.
	var events []string
	for i := range 5 {
		events = append(events, fmt.Sprintf(`{"event_id":"kf-%d","type":"distribution","occurred_at":"2026-11-05T09:0%d:00Z","source":"g2p",
			"programme":"old_age","cycle":"2026-11","card_qr":%q,"amount":600,"channel":"card","distributor_id":"agent-7",
			"location":{"district":"Dhaka","upazila":"Savar"}}`, i, i, other.Sign(card.CardNo, i+1)))
	}
	e.h.produce(e.h.cfg.Kafka.Topics.Distributions, events...)
	got := e.h.decisions("kf-0", "kf-1", "kf-2", "kf-3", "kf-4")
	for i := range 5 {
		if d := got[fmt.Sprint("kf-", i)]; d.Action != domain.ActionRejected || d.Rules[0] != domain.RuleInvalidCard {
			t.Fatalf("kf-%d: %s", i, verdictOf(d))
		}
	}
	e.h.waitFor("the agent's alert", `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_INVALID_CARDS' AND alert_id LIKE 'invalid-cards:distributor:agent-7:%'`, 1)

	// Verifying forged cards, where nothing is claimed, counts the same:
	// past the limit each verify is on record, with one alert.
	for i, qr := range append(forged[:5], forged[4]) { // the last one retried under its scan id
		id := fmt.Sprint("v-", min(i, 4))
		var v api.VerifyResponse
		body := e.scan(id, qr, "2026-11")
		body["device_id"] = "prober-tab"
		if code := e.call("POST", "/api/v1/scans/verify", tokens["prober"], body, &v); code != http.StatusOK || v.Card != "invalid" || v.MayReceive {
			t.Fatalf("verify of forged QR %d: HTTP %d %+v", i, code, v)
		}
	}
	if n := countRows(t, e, `SELECT count(*) FROM alerts WHERE rule = 'DISTRIBUTOR_INVALID_CARDS'
		AND alert_id LIKE 'invalid-cards:distributor:prober:%' AND event_id = 'verify:prober:v-3'`); n != 1 {
		t.Fatalf("%d alerts on the prober's fourth verify, want 1", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM decisions WHERE event_id LIKE 'verify:prober:%'
		AND action = 'REJECTED' AND rules = ARRAY['INVALID_CARD', 'DISTRIBUTOR_INVALID_CARDS']`); n != 2 {
		t.Fatalf("%d of the prober's verifies past the limit on record, want 2 (v-3, v-4)", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM outbox WHERE alerts::text LIKE '%invalid-cards:distributor:prober:%'`); n != 1 {
		t.Fatalf("the prober's alert is in the outbox %d times, want once", n)
	}
}
