package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
	"github.com/ekjon/ekjon/pipeline/kafka"
)

func enrolmentEvent(id, nid, prog, nameBN, nameEN, wallet string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis",
		"programme":%q,"beneficiary_ref":"ref-%s","person":{"nid":%q,"name_bn":%q,"name_en":%q,"father_name":"মৃত আব্দুল করিম",
		"dob":"1950-03-01","gender":%q,"phone":"+8801712345678","wallet":%q,
		"address":{"division":"Dhaka","district":"Dhaka","upazila":"Savar","union":"Ashulia","ward":"3"}}}`,
		id, prog, id, nid, nameBN, nameEN, genderFor(prog), wallet)
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

var (
	testGiven  = []string{"Rafiqul", "Abdul Karim", "Jamal", "Nurul Amin", "Shahidul", "Mizanur", "Anwar", "Belal", "Delwar", "Faruk", "Habibur", "Jahangir", "Kamrul", "Liakot", "Mostafa", "Nazrul", "Obaidul", "Rashed", "Sirajul", "Tofazzal"}
	testFamily = []string{"Islam", "Rahman", "Hossain", "Ahmed", "Uddin", "Sarkar", "Mollah", "Talukder", "Bhuiyan", "Chowdhury", "Mia", "Khan", "Sheikh"}
	testFather = []string{"Abdul Jabbar", "Abul Kashem", "Idris Ali", "Moslem Uddin", "Yakub Ali", "Nur Mohammad", "Samsul Haque"}
)

// distinctEnrolment is an enrolment of the i-th of many different people:
// names, fathers, birth dates and phones differ, so the fuzzy rules see no
// one twice.
func distinctEnrolment(id, nid, prog string, i int) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis",
		"programme":%q,"beneficiary_ref":"ref-%s","person":{"nid":%q,"name_en":%q,"father_name":%q,
		"dob":"%d-%02d-%02d","gender":%q,"phone":"017%08d","wallet":"017%08d",
		"address":{"division":"Dhaka","district":"Dhaka","upazila":"Savar"}}}`,
		id, prog, id, nid, testGiven[i%len(testGiven)]+" "+testFamily[(i/len(testGiven))%len(testFamily)],
		testFather[i%len(testFather)], 1930+i%30, 1+i%12, 1+i%28, genderFor(prog), i, i)
}

func paymentEvent(id, nid, prog, cycle, wallet, at string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"distribution","occurred_at":%q,"source":"g2p-gateway","programme":%q,
		"cycle":%q,"nid":%q,"amount":600,"channel":"mfs","wallet":%q,"distributor_id":"agent-5521",
		"location":{"district":"Dhaka","upazila":"Savar"}}`, id, at, prog, cycle, nid, wallet)
}

func statusEvent(id, nid, status, prog, wallet, at string) string {
	return fmt.Sprintf(`{"event_id":%q,"type":"status","occurred_at":%q,"source":"crvs","nid":%q,"status":%q,
		"programme":%q,"wallet":%q}`, id, at, nid, status, prog, wallet)
}

// TestRulesEndToEnd sends each rule's case through Kafka and reads the
// decisions back from PostgreSQL and from ekjon.decisions.
func TestRulesEndToEnd(t *testing.T) {
	h := newHarness(t, 3)
	h.start(nil)
	rulesEndToEnd(t, h)
}

// rulesEndToEnd is TestRulesEndToEnd on the workers h has started.
func rulesEndToEnd(t *testing.T, h *harness) {
	// Amena's NID is not Rafiq's without its year: those would be one
	// person's two forms.
	const rafiq, amena, ghost = "১৯৫০২৬১২৩৪৫৬৭৮৯০১", "2612345670001", "1234567890"
	topics := h.cfg.Kafka.Topics
	phases := []struct {
		topic  string
		events []string
		want   map[string]string
	}{
		{topics.Enrolments, []string{
			enrolmentEvent("e1", rafiq, "old_age", "মোঃ রফিকুল ইসলাম", "Md. Rafiqul Islam", "01712345678"),
			enrolmentEvent("e2", amena, "widow", "মোছাঃ আমেনা খাতুন", "Mosammat Amena Khatoon", "01812345678"),
		}, map[string]string{"e1": "ADMIT []", "e2": "ADMIT []"}},
		{topics.Enrolments, []string{
			enrolmentEvent("e3", "19502612345678901", "old_age", "", "Rafiqul Islam", ""),
			enrolmentEvent("e4", amena, "old_age", "আমেনা খাতুন", "", ""),
			enrolmentEvent("e5", "12345", "widow", "", "Amena", ""),
			enrolmentEvent("e6", "19602612345678901", "widow", "", "Amena", ""),
		}, map[string]string{"e3": "BLOCK [DUP_NID]", "e4": "BLOCK [MULTI_PROGRAMME]",
			"e5": "REJECTED [INVALID_ID]", "e6": "REJECTED [INVALID_ID]"}},
		{topics.Status, []string{
			statusEvent("s1", amena, domain.StatusDeceased, "", "", "2026-11-03T00:00:00Z"),
		}, map[string]string{"s1": "ADMIT []"}},
		{topics.Distributions, []string{
			paymentEvent("p1", "19502612345678901", "old_age", "2026-11", "01712345678", "2026-11-05T09:00:00Z"),
			paymentEvent("p3", ghost, "old_age", "2026-11", "01712345678", "2026-11-05T09:00:00Z"),
			paymentEvent("p4", amena, "widow", "2026-11", "01812345678", "2026-11-05T09:00:00Z"),
		}, map[string]string{"p1": "ADMIT []", "p3": "BLOCK [UNKNOWN_PAYEE]", "p4": "BLOCK [DECEASED_OR_EXITED]"}},
		{topics.Distributions, []string{
			paymentEvent("p2", "19502612345678901", "old_age", "2026-11", "01712345678", "2026-11-06T09:00:00Z"),
			paymentEvent("p5", "19502612345678901", "old_age", "2026-12", "01999999999", "2026-12-05T09:00:00Z"),
		}, map[string]string{"p2": "BLOCK [DOUBLE_PAYMENT]", "p5": "HOLD [WALLET_MISMATCH]"}},
	}
	all := map[string]string{}
	for _, ph := range phases {
		h.produce(ph.topic, ph.events...)
		var ids []string
		for id, want := range ph.want {
			ids = append(ids, id)
			all[id] = want
		}
		got := h.decisions(ids...)
		for id, want := range ph.want {
			if v := verdictOf(got[id]); v != want {
				t.Errorf("%s: PostgreSQL has %s (%s), want %s", id, v, got[id].Reason, want)
			}
		}
	}
	pub := h.publishedDecisions(len(all))
	for id, want := range all {
		d, ok := pub[id]
		if !ok {
			t.Errorf("%s: not on %s", id, topics.Decisions)
			continue
		}
		if v := verdictOf(d); v != want {
			t.Errorf("%s: published %s, want %s", id, v, want)
		}
		if d.ConfigVersion == "" || d.DecidedAt.IsZero() {
			t.Errorf("%s: published decision lacks config version or time: %+v", id, d)
		}
	}
	// No NID or phone leaves in clear.
	for _, m := range h.readTopic(topics.Decisions, len(all)) {
		for _, secret := range []string{"19502612345678901", "2612345678901", amena, "01712345678", "1712345678"} {
			if bytes.Contains(m.Value, []byte(secret)) || bytes.Contains(m.Key, []byte(secret)) {
				t.Fatalf("decision message carries personal data in clear: %s", m.Value)
			}
		}
	}
	// The hold raised an alert for reviewers.
	// The hold and the MULTI_PROGRAMME block raised alerts for reviewers;
	// the certain blocks did not.
	alerts := h.readTopic(topics.Alerts, 2)
	var raised []string
	for _, a := range alerts {
		var al domain.Alert
		if err := json.Unmarshal(a.Value, &al); err != nil {
			t.Fatal(err)
		}
		raised = append(raised, al.EventID+" "+al.Rule)
	}
	sort.Strings(raised)
	if got := strings.Join(raised, ", "); got != "e4 MULTI_PROGRAMME, p5 WALLET_MISMATCH" {
		t.Errorf("alerts: %s", got)
	}
	var n int
	if err := h.db.QueryRow(context.Background(), `SELECT count(*) FROM alerts WHERE rule = 'WALLET_MISMATCH' AND status = 'open'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("open WALLET_MISMATCH alerts in PostgreSQL: %d, %v", n, err)
	}
}

// TestBadInputIsRejectedAndDeadLettered sends malformed events between good
// ones: each becomes a REJECTED decision with a reason, the dead-letter topic
// holds its original bytes (cut to fit the topic's limit, and marked so,
// when they would not fit with the headers), and the good events are
// decided normally.
func TestBadInputIsRejectedAndDeadLettered(t *testing.T) {
	h := newHarness(t, 1)
	h.start(func(c *app.Config) { c.Pipeline.MaxEventBytes = 256 << 10 })
	// As large as the broker's stock limit lets a source send.
	big := `{"event_id":"big","type":"enrolment","pad":"` + strings.Repeat("x", kafka.DefaultMaxMessageBytes-400) + `"}`
	bad := []struct{ name, value, id, reason string }{
		{"invalid JSON", `{"event_id":"j1","type":`, "", "not JSON"},
		{"invalid UTF-8", "{\"event_id\":\"u1\",\"type\":\"enrolment\",\"source\":\"\xff\xfe\"}", "", "not valid UTF-8"},
		{"wrong types", `{"event_id":"w1","type":"distribution","amount":"six hundred"}`, "w1", "amount: must be a number"},
		{"missing fields", `{"event_id":"m1","type":"enrolment"}`, "m1", "occurred_at: is required"},
		{"1 MB message", big, "big", "the limit is"},
		{"unknown event type", `{"event_id":"t1","type":"lottery","occurred_at":"2026-11-01T10:00:00Z","source":"x"}`, "t1", "unknown event type"},
	}
	var values []string
	for _, b := range bad {
		values = append(values, b.value)
	}
	values = append(values, enrolmentEvent("good", "1234567890", "widow", "", "Amena Begum", ""))
	h.produce(h.cfg.Kafka.Topics.Enrolments, values...)

	good := h.decisions("good")["good"]
	if verdictOf(good) != "ADMIT []" {
		t.Fatalf("good event after bad ones: %s", verdictOf(good))
	}
	dead := h.readTopic(h.cfg.Kafka.Topics.DeadLetter, len(bad))
	if len(dead) != len(bad) {
		t.Fatalf("dead letters: %d, want %d", len(dead), len(bad))
	}
	for i, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			m := dead[i] // one partition: in order
			headers := map[string]string{}
			for _, hd := range m.Headers {
				headers[hd.Key] = string(hd.Value)
			}
			sum := sha256.Sum256([]byte(b.value))
			switch {
			case b.value == big:
				if headers["ekjon-truncated"] != "true" || headers["ekjon-original-bytes"] != strconv.Itoa(len(big)) ||
					headers["ekjon-original-sha256"] != hex.EncodeToString(sum[:]) || !strings.HasPrefix(big, string(m.Value)) {
					t.Errorf("the dead letter of a message at the topic's limit is not its first bytes, marked truncated: %d bytes, headers %v",
						len(m.Value), headers)
				}
			case !bytes.Equal(m.Value, []byte(b.value)):
				t.Errorf("dead letter does not hold the original bytes (%d bytes vs %d)", len(m.Value), len(b.value))
			}
			if !strings.Contains(headers["ekjon-reason"], b.reason) {
				t.Errorf("reason header %q lacks %q", headers["ekjon-reason"], b.reason)
			}
			id := b.id
			if id == "" {
				id = fmt.Sprintf("kafka:%s:0:%s", h.cfg.Kafka.Topics.Enrolments, headers["ekjon-offset"])
			}
			d := h.decisions(id)[id]
			if d.Action != domain.ActionRejected || !strings.Contains(d.Reason, b.reason) {
				t.Errorf("decision for %s: %s %q", id, verdictOf(d), d.Reason)
			}
		})
	}
}

// TestSameNIDFromTwoPartitionsAtOnce has two consumers of one group race on
// pairs of events for one NID (and pairs of one payment) sent to different
// partitions at the same moment: each NID is admitted exactly once.
func TestSameNIDFromTwoPartitionsAtOnce(t *testing.T) {
	h := newHarness(t, 2)
	h.start(nil)
	h.start(nil)
	h.waitGroupMembers(2)
	sameNIDFromTwoPartitions(t, h, func() {})
}

// sameNIDFromTwoPartitions is TestSameNIDFromTwoPartitionsAtOnce on the
// workers h has started; midway runs while the enrolments are decided.
func sameNIDFromTwoPartitions(t *testing.T, h *harness, midway func()) {
	const pairs = 100
	// Explicit partitions: the two copies land on partitions 0 and 1, which
	// the group has given to different consumers.
	split := kafka.NewWriter(&kafkago.Writer{Addr: kafkago.TCP(h.cfg.Kafka.Brokers...), RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond,
		Balancer: kafkago.BalancerFunc(func(m kafkago.Message, parts ...int) int { return int(m.Key[0]-'a') % len(parts) })})
	defer split.Close()
	send := func(topic string, mk func(i int, copy string) string) []string {
		var msgs []kafkago.Message
		var ids []string
		for i := 0; i < pairs; i++ {
			for _, c := range []string{"a", "b"} {
				v := mk(i, c)
				msgs = append(msgs, kafkago.Message{Topic: topic, Key: []byte(c), Value: []byte(v)})
				ids = append(ids, domain.PeekEventID([]byte(v)))
			}
		}
		if err := split.WriteMessages(context.Background(), msgs...); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	nid := func(i int) string { return fmt.Sprintf("%010d", 3000000000+i) }
	check := func(ids []string, wantBlock string) {
		got := h.decisions(ids...)
		for i := 0; i < pairs; i++ {
			a, b := got[ids[2*i]], got[ids[2*i+1]]
			pair := verdictOf(a) + " / " + verdictOf(b)
			if pair != "ADMIT [] / "+wantBlock && pair != wantBlock+" / ADMIT []" {
				t.Errorf("NID %d: %s, want one ADMIT and one %s", i, pair, wantBlock)
			}
		}
	}
	enrolments := send(h.cfg.Kafka.Topics.Enrolments, func(i int, c string) string {
		return distinctEnrolment(fmt.Sprintf("enr-%d-%s", i, c), nid(i), "old_age", i)
	})
	midway()
	check(enrolments, "BLOCK [DUP_NID]")
	check(send(h.cfg.Kafka.Topics.Distributions, func(i int, c string) string {
		return paymentEvent(fmt.Sprintf("pay-%d-%s", i, c), nid(i), "old_age", "2026-11", fmt.Sprintf("017%08d", i), "2026-11-05T09:00:00Z")
	}), "BLOCK [DOUBLE_PAYMENT]")
	var admitted int
	if err := h.db.QueryRow(context.Background(), `SELECT count(*) FROM payments WHERE action = 'ADMIT' AND event_id LIKE 'pay-%'`).Scan(&admitted); err != nil || admitted != pairs {
		t.Errorf("admitted payments in the record: %d (%v), want %d", admitted, err, pairs)
	}
}

// waitGroupMembers waits until n members of the harness's group hold
// partitions, so that a race between consumers is a real one.
func (h *harness) waitGroupMembers(n int) {
	h.t.Helper()
	waitGroupMembersAt(h.t, h.cfg.Kafka.Brokers, h.cfg.Kafka.Group, n)
}

// waitGroupMembersAt waits up to a minute until group, on brokers, is
// stable with at least n members holding partitions.
func waitGroupMembersAt(tb testing.TB, brokers []string, group string, n int) {
	tb.Helper()
	c := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := c.DescribeGroups(context.Background(), &kafkago.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err == nil && len(res.Groups) == 1 && res.Groups[0].GroupState == "Stable" {
			holding := 0
			for _, m := range res.Groups[0].Members {
				if len(m.MemberAssignments.Topics) > 0 {
					holding++
				}
			}
			if holding >= n {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.Fatalf("group %s never had %d members holding partitions", group, n)
}

// crashingSource lets a worker make a batch durable and published, then
// "crashes" before committing it.
type crashingSource struct {
	pipeline.Source
	crash   context.CancelFunc
	crashed bool
}

func (c *crashingSource) Commit(ctx context.Context, msgs []pipeline.Message) error {
	c.crashed = true
	c.crash()
	return context.Canceled
}

// crashingPublisher "crashes" the worker when it is about to publish: the
// batch is durable in PostgreSQL, and nothing of it is on Kafka.
type crashingPublisher struct {
	crash   context.CancelFunc
	crashed bool
}

func (c *crashingPublisher) Publish(ctx context.Context, outs []domain.Outcome) error {
	c.crashed = true
	c.crash()
	return context.Canceled
}

// TestRedelivery stops a worker after PostgreSQL has its batch but before
// the commit (once after publishing, once before), then lets another worker
// of the group take over: no event has two decisions and none has none,
// and every decision, alert and dead letter is published.
func TestRedelivery(t *testing.T) {
	for _, crashBeforePublish := range []bool{false, true} {
		name := "after publish, before commit"
		if crashBeforePublish {
			name = "after record, before publish"
		}
		t.Run(name, func(t *testing.T) { testRedelivery(t, crashBeforePublish) })
	}
}

func testRedelivery(t *testing.T, crashBeforePublish bool) {
	h := newHarness(t, 2)
	// The parts of an App, not run: its index and record serve the first
	// worker below. Its own readers join another group, which they would
	// otherwise hold partitions of without reading them.
	idle := h.cfg
	idle.Kafka.Group += "-idle"
	a, err := app.New(context.Background(), idle, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h.db = a.Store.Pool()

	var values, ids []string
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("r-%d", i)
		ids = append(ids, id)
		values = append(values, distinctEnrolment(id, fmt.Sprintf("%010d", 5000000000+i%250), "old_age", i%250))
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, append(values,
		`{"event_id":"broken",`, // a dead letter
		// One man twice, under two NIDs: whichever is decided second is
		// held as FUZZY_PERSON, with an alert.
		personEnrolment("twice-a", "2612345678901", "old_age", "", "Md. Rafiqul Islam", "Late Abdul Karim", "1950-03-01", "male", "01712345678", "Savar"),
		personEnrolment("twice-b", "19502612345670000", "old_age", "মোঃ রফিকুল ইসলাম", "", "মৃত আব্দুল করিম", "1950-03-01", "male", "01911111111", "Savar"),
	)...)
	ids = append(ids, "twice-a", "twice-b") // and the broken one, named by where it was read

	// The first worker: decides and records, then stops before committing.
	policy, _ := h.cfg.Policy()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := pipeline.NewMetrics(prometheus.NewRegistry())
	pcfg := pipeline.DefaultConfig()
	pcfg.Policy = policy
	crashCtx, crash := context.WithCancel(context.Background())
	var pub pipeline.Publisher = kafka.NewPublisher(publisherConfig(h.cfg))
	cp := &crashingPublisher{crash: crash}
	if crashBeforePublish {
		pub = cp
	}
	// Recording as the App does: its alerts wait in the outbox for the
	// relay, which the second worker runs.
	proc := pipeline.NewProcessor(pcfg, a.Index, a.Store.AlertsOutboxed(), pub, log, reg)
	sc := kafka.DefaultSourceConfig()
	sc.Brokers, sc.GroupID, sc.Topics, sc.BatchSize = h.cfg.Kafka.Brokers, h.cfg.Kafka.Group, h.cfg.Kafka.Topics.Inputs(), 1000
	sc.BatchWait = 500 * time.Millisecond
	src := kafka.NewSource(sc, log)
	cs := &crashingSource{Source: src, crash: crash}
	if err := pipeline.NewWorker(cs, proc, log, reg).Run(crashCtx); err != nil {
		t.Fatal(err)
	}
	src.Close()
	if !cs.crashed && !cp.crashed {
		t.Fatal("the first worker never reached the point of its crash")
	}
	var first int
	if err := h.db.QueryRow(context.Background(), `SELECT count(*) FROM decisions`).Scan(&first); err != nil || first == 0 {
		t.Fatalf("the first worker recorded %d decisions (%v)", first, err)
	}

	// The second worker redelivers everything from the start.
	h.start(nil)
	got := h.decisions(ids...)
	var rows, distinct int
	if err := h.db.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT event_id) FROM decisions`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(ids)+1 || distinct != len(ids)+1 {
		t.Fatalf("decisions: %d rows, %d events; want %d of each", rows, distinct, len(ids)+1)
	}
	admits := 0
	for _, id := range ids[:300] {
		if got[id].Action == domain.ActionAdmit {
			admits++
		}
	}
	if admits != 250 {
		t.Errorf("admitted %d enrolments of 250 NIDs", admits)
	}
	held := "twice-b"
	if pair := verdictOf(got["twice-a"]) + " / " + verdictOf(got["twice-b"]); pair == "HOLD [FUZZY_PERSON] / ADMIT []" {
		held = "twice-a"
	} else if pair != "ADMIT [] / HOLD [FUZZY_PERSON]" {
		t.Errorf("one man enrolled twice: %s, want one ADMIT and one HOLD [FUZZY_PERSON]", pair)
	}
	// Every event is published with the decision on record, however often
	// it was sent; the alert and the dead letter are there too.
	pub2 := h.publishedDecisions(len(ids))
	for _, id := range ids {
		if d, ok := pub2[id]; !ok {
			t.Errorf("%s never published", id)
		} else if d.Action != got[id].Action || !d.DecidedAt.Equal(got[id].DecidedAt) {
			t.Errorf("%s published as %s at %s, recorded as %s at %s", id, d.Action, d.DecidedAt, got[id].Action, got[id].DecidedAt)
		}
	}
	if alerts := h.readTopic(h.cfg.Kafka.Topics.Alerts, 1); len(alerts) == 0 || !strings.Contains(string(alerts[0].Value), `"event_id":"`+held+`"`) {
		t.Errorf("the alert of the held enrolment was not published (%d alerts)", len(alerts))
	}
	if dead := h.readTopic(h.cfg.Kafka.Topics.DeadLetter, 1); len(dead) == 0 || string(dead[0].Value) != `{"event_id":"broken",` {
		t.Errorf("the dead letter was not published (%d messages)", len(dead))
	}
}

func publisherConfig(cfg app.Config) kafka.PublisherConfig { return cfg.PublisherConfig() }

// flakyDecider decides with the real index, then fails the attempt the
// first time, as a Redis timeout after the scripts ran would.
type flakyDecider struct {
	pipeline.Decider
	failed bool
}

func (f *flakyDecider) Decide(ctx context.Context, outs []*domain.Outcome) (int64, error) {
	gen, err := f.Decider.Decide(ctx, outs)
	if err != nil {
		return 0, err
	}
	if !f.failed {
		f.failed = true
		return 0, domain.Errorf(domain.KindTransient, "test", "timeout after the scripts ran")
	}
	return gen, nil
}

// TestRetriedDecisionIsTheSame retries a batch whose first decide attempt
// ran its scripts and then failed: the retry finds its own claims and
// decides the same, without adding rules or alerts twice.
func TestRetriedDecisionIsTheSame(t *testing.T) {
	h := newHarness(t, 1)
	a, err := app.New(context.Background(), h.cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	policy, _ := h.cfg.Policy()
	pcfg := pipeline.DefaultConfig()
	pcfg.Policy = policy
	fd := &flakyDecider{Decider: a.Index}
	proc := pipeline.NewProcessor(pcfg, fd, a.Store, kafka.NewPublisher(publisherConfig(h.cfg)),
		slog.New(slog.NewTextHandler(io.Discard, nil)), pipeline.NewMetrics(prometheus.NewRegistry()))
	var decided []domain.Outcome
	proc.Observe = func(outs []domain.Outcome) { decided = append(decided, outs...) }
	msgs := []pipeline.Message{
		{Topic: h.cfg.Kafka.Topics.Enrolments, Offset: 0, Value: []byte(distinctEnrolment("x1", "6666666666", "old_age", 1))},
		{Topic: h.cfg.Kafka.Topics.Enrolments, Offset: 1, Value: []byte(distinctEnrolment("x2", "6666666666", "old_age", 1))},
		{Topic: h.cfg.Kafka.Topics.Enrolments, Offset: 2, Value: []byte(personEnrolment("x3", "2612345678901", "old_age", "", "Md. Rafiqul Islam", "Late Abdul Karim", "1950-03-01", "male", "01712345678", "Savar"))},
		{Topic: h.cfg.Kafka.Topics.Enrolments, Offset: 3, Value: []byte(personEnrolment("x4", "19502612345670000", "old_age", "মোঃ রফিকুল ইসলাম", "", "মৃত আব্দুল করিম", "1950-03-01", "male", "01911111111", "Savar"))},
	}
	if err := proc.Process(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if !fd.failed {
		t.Fatal("the first attempt did not fail")
	}
	want := map[string]string{"x1": "ADMIT []", "x2": "BLOCK [DUP_NID]", "x3": "ADMIT []", "x4": "HOLD [FUZZY_PERSON]"}
	for _, o := range decided {
		if v := verdictOf(o.Decision); v != want[o.Decision.EventID] {
			t.Errorf("%s: %s, want %s", o.Decision.EventID, v, want[o.Decision.EventID])
		}
		if o.Decision.EventID == "x4" && len(o.Alerts) != 1 {
			t.Errorf("x4 raised %d alerts, want 1", len(o.Alerts))
		}
	}
	if len(decided) != len(want) {
		t.Errorf("%d outcomes, want %d", len(decided), len(want))
	}
}
