package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"golang.org/x/crypto/bcrypt"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/pipeline/kafka"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// env is one review service on real PostgreSQL, Redis and an in-process
// Kafka broker, fed by the real pipeline.
type env struct {
	t       testing.TB
	ctx     context.Context
	store   *postgres.Store
	index   *redisindex.Index
	rdb     redis.UniversalClient
	prefix  string // of the index's keys
	pseudo  *domain.Pseudonymizer
	proc    *pipeline.Processor
	relay   *review.Relay
	rv      *Review
	srv     *httptest.Server
	brokers []string
	topics  kafka.Topics
	offset  int64
	tokens  map[string]string // role -> API token
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(tb testing.TB) *env { return newEnvWith(tb, nil) }

// newEnvWith is newEnv with the review service's configuration changed by
// configure, if not nil.
func newEnvWith(tb testing.TB, configure func(*Config)) *env {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	e := &env{t: tb, ctx: ctx, topics: kafka.DefaultTopics(), tokens: map[string]string{}}
	var err error
	if e.store, err = postgres.Open(ctx, pgtest.MustSchema(tb), 8); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.store.Close)
	if _, err := e.store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	rdb, prefix := redistest.MustClient(tb)
	e.rdb, e.prefix = rdb, prefix
	policy := domain.DefaultPolicy()
	e.pseudo = domain.NewPseudonymizer([]byte("test-secret"))
	e.index = redisindex.New(rdb, e.pseudo, redisindex.Config{Prefix: prefix, Policy: policy})
	if _, _, err := e.index.Rebuild(ctx, e.store.BeginRebuild, e.store.IndexFacts); err != nil {
		tb.Fatal(err)
	}

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, append(e.topics.Inputs(), e.topics.Outputs()...)...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cluster.Close)
	e.brokers = cluster.ListenAddrs()
	pc := kafka.DefaultPublisherConfig()
	pc.Brokers = e.brokers
	pub := kafka.NewPublisher(pc)
	tb.Cleanup(func() { pub.Close() })

	reg := prometheus.NewRegistry()
	pcfg := pipeline.DefaultConfig()
	e.proc = pipeline.NewProcessor(pcfg, e.index, e.store, pub, quietLog(), pipeline.NewMetrics(reg))
	e.relay = review.NewRelay(e.store, pub, e.index, nil, quietLog(), NewRelayMetrics(reg))
	cfg := DefaultConfig()
	if configure != nil {
		configure(&cfg)
	}
	if e.rv, err = NewReview(e.store, e.store, e.relay.Notify, quietLog(), reg, cfg); err != nil {
		tb.Fatal(err)
	}
	r := chi.NewRouter()
	e.rv.Mount(r)
	e.srv = httptest.NewServer(r)
	tb.Cleanup(e.srv.Close)
	for _, role := range []string{review.RoleViewer, review.RoleReviewer, review.RoleSupervisor, review.RoleAdmin} {
		e.addUser(role, role, role+"-password")
		tok, hash := NewToken(TokenPrefix)
		t := review.APIToken{Hash: hash, Username: role, Label: "test", ID: TokenID(tok)}
		if err := e.store.CreateToken(ctx, t, review.Actor{Username: "test"}); err != nil {
			tb.Fatal(err)
		}
		e.tokens[role] = tok
	}
	return e
}

// serveAnother starts another review service on e's record, with users
// (e's record when nil) and cfg, as a second instance of the API would be,
// and returns its test server.
func (e *env) serveAnother(users review.Users, cfg Config) *httptest.Server {
	e.t.Helper()
	if users == nil {
		users = e.store
	}
	rv, err := NewReview(e.store, users, nil, quietLog(), prometheus.NewRegistry(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	r := chi.NewRouter()
	rv.Mount(r)
	srv := httptest.NewServer(r)
	e.t.Cleanup(srv.Close)
	return srv
}

func (e *env) addUser(name, role, password string) {
	e.t.Helper()
	h, err := hashPassword(password, bcrypt.MinCost) // the cost is not under test; the tests' speed is
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateUser(e.ctx, review.User{Username: name, Role: role, PasswordHash: h}, review.Actor{Username: "test"}); err != nil {
		e.t.Fatal(err)
	}
}

// addMinistryUser adds a user of role bound to ministries, who logs in
// with password or calls the API as name (e.call) with a token of their
// own.
func (e *env) addMinistryUser(name, role, password string, ministries ...string) {
	e.t.Helper()
	h, err := hashPassword(password, bcrypt.MinCost)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.CreateUser(e.ctx, review.User{Username: name, Role: role, PasswordHash: h, Ministries: ministries},
		review.Actor{Username: "test"}); err != nil {
		e.t.Fatal(err)
	}
	tok, hash := NewToken(TokenPrefix)
	if err := e.store.CreateToken(e.ctx, review.APIToken{Hash: hash, Username: name, Label: "t", ID: TokenID(tok)}, review.Actor{Username: "test"}); err != nil {
		e.t.Fatal(err)
	}
	e.tokens[name] = tok
}

// feed runs events through the real pipeline and returns their decisions.
func (e *env) feed(events ...map[string]any) map[string]domain.Decision {
	e.t.Helper()
	var msgs []pipeline.Message
	ids := make([]string, 0, len(events))
	for _, ev := range events {
		b, _ := json.Marshal(ev)
		e.offset++
		msgs = append(msgs, pipeline.Message{Topic: e.topics.Enrolments, Offset: e.offset, Value: b, Time: time.Now()})
		ids = append(ids, ev["event_id"].(string))
	}
	if err := e.proc.Process(e.ctx, msgs); err != nil {
		e.t.Fatal(err)
	}
	got, err := e.store.Decisions(e.ctx, ids)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func enrolment(id, prog, nid, wallet string) map[string]any {
	return map[string]any{
		"event_id": id, "type": "enrolment", "occurred_at": "2026-11-01T10:00:00+06:00", "source": "dss-mis",
		"programme": prog, "beneficiary_ref": "REF-" + id,
		"person": map[string]any{
			"nid": nid, "name_bn": "মোঃ রফিকুল ইসলাম", "name_en": "Md. Rafiqul Islam", "father_name": "মৃত আব্দুল করিম",
			"dob": "1950-03-01", "gender": genderFor(prog), "phone": "+8801712345678", "wallet": wallet,
			"address": map[string]any{"division": "Dhaka", "district": "Dhaka", "upazila": "Savar", "union": "Ashulia", "ward": "3"},
		},
	}
}

// genderFor is the gender of a test's enrolee in prog: women for the
// programmes only women may draw, so that eligibility holds nothing the
// test did not mean to hold.
func genderFor(prog string) string {
	if prog == "widow" || prog == "vgd" {
		return "female"
	}
	return "male"
}

func payment(id, prog, nid, wallet string) map[string]any {
	return map[string]any{
		"event_id": id, "type": "distribution", "occurred_at": "2026-11-05T09:12:00Z", "source": "g2p-gateway",
		"programme": prog, "cycle": "2026-11", "nid": nid, "amount": 600, "channel": "mfs", "wallet": wallet,
		"distributor_id": "agent-1", "location": map[string]any{"district": "Dhaka", "upazila": "Savar"},
	}
}

func status(id, nid, st string) map[string]any {
	return map[string]any{"event_id": id, "type": "status", "occurred_at": "2026-11-02T00:00:00Z", "source": "crvs",
		"nid": nid, "status": st}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (r response) field() string {
	fs, _ := r.body["fields"].([]any)
	if len(fs) == 0 {
		return ""
	}
	return fs[0].(map[string]any)["field"].(string)
}

// call makes an API request as a role (by token); role "" sends no
// credentials.
func (e *env) call(role, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	return e.do(http.DefaultClient, req)
}

func (e *env) do(c *http.Client, req *http.Request) response {
	e.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, raw: string(b), header: res.Header}
	_ = json.Unmarshal(b, &out.body)
	return out
}

func alertPath(id string) string { return "/api/v1/alerts/" + url.PathEscape(id) }

// browser is a cookie-carrying client that logs in through the form.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
	// forwarded, if set, is sent as X-Forwarded-For: the client behind a
	// proxy.
	forwarded string
	// srv, if set, is the server the browser talks to instead of e.srv.
	srv string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) login(user, password string) (*browser, response) {
	e.t.Helper()
	return e.newBrowser("").login(user, password)
}

// newBrowser returns a browser whose connections come from the loopback
// address from ("" for the system's choice), so that a test can be several
// clients without a proxy: every 127.0.0.0/8 address is this machine's.
func (e *env) newBrowser(from string) *browser {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if from != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		tr.DialContext = d.DialContext
	}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &browser{e: e, c: &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login logs in through the form and returns the answer to the form.
func (b *browser) login(user, password string) (*browser, response) {
	e := b.e
	e.t.Helper()
	page := b.get("/login")
	m := csrfField.FindStringSubmatch(page.raw)
	if m == nil {
		e.t.Fatalf("no csrf field on the login page")
	}
	res := b.postForm("/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {password}})
	if res.status == http.StatusSeeOther {
		q := b.get("/queue")
		if m := csrfField.FindStringSubmatch(q.raw); m != nil {
			b.csrf = m[1]
		}
	}
	return b, res
}

func (b *browser) request(method, path string, body io.Reader) *http.Request {
	base := b.srv
	if base == "" {
		base = b.e.srv.URL
	}
	req, err := http.NewRequestWithContext(b.e.ctx, method, base+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if b.forwarded != "" {
		req.Header.Set("X-Forwarded-For", b.forwarded)
	}
	return req
}

func (b *browser) get(path string) response {
	return b.e.do(b.c, b.request(http.MethodGet, path, nil))
}

func (b *browser) postForm(path string, v url.Values) response {
	req := b.request(http.MethodPost, path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.e.do(b.c, req)
}

func (b *browser) postJSON(path string, body any, csrf string) response {
	bs, _ := json.Marshal(body)
	req := b.request(http.MethodPost, path, bytes.NewReader(bs))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return b.e.do(b.c, req)
}

// decisionsOnTopic reads ekjon.decisions from the start and returns every
// decision published for eventID, in order.
func (e *env) decisionsOnTopic(eventID string) []domain.Decision {
	e.t.Helper()
	conn, err := kafkago.DialLeader(e.ctx, "tcp", e.brokers[0], e.topics.Decisions, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	last, err := conn.ReadLastOffset()
	if err != nil {
		e.t.Fatal(err)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: e.brokers, Topic: e.topics.Decisions, Partition: 0, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var out []domain.Decision
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	for {
		if r.Offset() >= last {
			return out
		}
		m, err := r.ReadMessage(ctx)
		if err != nil {
			e.t.Fatalf("reading %s: %v", e.topics.Decisions, err)
		}
		var d domain.Decision
		if err := json.Unmarshal(m.Value, &d); err != nil {
			e.t.Fatal(err)
		}
		if d.EventID == eventID {
			out = append(out, d)
		}
		if m.Offset+1 >= last {
			return out
		}
	}
}

// insertAlert adds an alert the way a matcher would, for rules the exact
// index does not raise.
func (e *env) insertAlert(eventID, rule string, action domain.Action, person, matched string, score float64, expl []domain.Contribution) string {
	e.t.Helper()
	id := domain.AlertID(eventID, rule)
	ex, _ := json.Marshal(expl)
	_, err := e.store.Pool().Exec(e.ctx, `INSERT INTO alerts (alert_id, event_id, rule, action, programme, district,
		person_id, matched_person_id, score, explanation, created_at, updated_at)
		SELECT $1, $2, $3, $4, programme, 'Dhaka', $5, NULLIF($6, ''), $7, $8::jsonb, now(), now() FROM decisions WHERE event_id = $2`,
		id, eventID, rule, string(action), person, matched, score, string(ex))
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) personHash(nid string) map[string]string {
	e.t.Helper()
	k := e.pseudo.Hash("nid", nid)[:16]
	m, err := e.index.PersonFields(e.ctx, k)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) queryString(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.store.Pool().QueryRow(e.ctx, q, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

func (e *env) queryInt(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.store.Pool().QueryRow(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func mustStatus(t testing.TB, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, want, r.raw)
	}
}

func fmtID(prefix string, i int) string { return fmt.Sprintf("%s-%04d", prefix, i) }
