package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/review"
)

// Config configures the review service.
type Config struct {
	// SessionTTL is how long a browser session lasts.
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP requests; they
	// are always Secure on TLS or behind a proxy that says https.
	SecureCookies bool
	// LoginAttempts failed logins of one account from one client are
	// free; after them each attempt from there waits LoginBackoff, the
	// wait doubling with each further failure up to LoginMaxBackoff, and
	// is refused with 429 until it has waited. The account stays open
	// from everywhere else.
	LoginAttempts int
	// LoginClientAttempts failed logins from one client, to any accounts,
	// are free; after them the client backs off the same way.
	LoginClientAttempts int
	LoginBackoff        time.Duration
	LoginMaxBackoff     time.Duration
	// LoginWindow is how long failures are remembered after the last one;
	// it must outlast LoginMaxBackoff, or the back-off would never reach
	// its longest.
	LoginWindow time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For is believed: a
	// request from one of them is from the client it forwards for. None
	// by default: every request is from its peer.
	TrustedProxies []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Policy is the programme catalogue: which ministry owns which
	// programme, for users bound to ministries, and the programmes' names.
	Policy domain.Policy
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{SessionTTL: 12 * time.Hour, LoginAttempts: 5, LoginClientAttempts: 30,
		LoginBackoff: 2 * time.Second, LoginMaxBackoff: 15 * time.Minute, LoginWindow: time.Hour,
		Policy: domain.DefaultPolicy()}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	switch {
	case c.SessionTTL <= 0 || c.LoginAttempts <= 0 || c.LoginClientAttempts <= 0:
		return domain.Errorf(domain.KindInvalid, "review config", "session TTL and login attempts must be positive")
	case c.LoginBackoff <= 0 || c.LoginMaxBackoff < c.LoginBackoff:
		return domain.Errorf(domain.KindInvalid, "review config", "the login back-off must be positive, and its longest at least its first")
	case c.LoginWindow <= c.LoginMaxBackoff:
		return domain.Errorf(domain.KindInvalid, "review config", "the login window must outlast the longest back-off")
	}
	return nil
}

// Review is the review service: the one layer behind the JSON API and the
// web UI. It is safe for concurrent use.
type Review struct {
	store  review.Store
	users  review.Users
	log    *slog.Logger
	cfg    Config
	notify func()
	ui     *ui
	// reports, if set, serves the distribution report and scorecards.
	reports DistributionReports
	// cards, if set, serves aid cards and the distributors' scans.
	cards CardService

	actions *prometheus.CounterVec
	logins  *prometheus.CounterVec
}

// NewReview returns the service on store, with its users in users
// (sinks/postgres's Store is both). notify, if not nil, is called after a
// revised decision is committed to the outbox (the relay's Notify).
// Metrics are registered with reg.
func NewReview(store review.Store, users review.Users, notify func(), log *slog.Logger, reg prometheus.Registerer, cfg Config) (*Review, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rv := &Review{
		store: store, users: users, log: log, cfg: cfg, notify: notify,
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_review_actions_total", Help: "Reviewer actions on alerts, by action.",
		}, []string{"action"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ekjon_review_logins_total", Help: "Login attempts, by result.",
		}, []string{"result"}),
	}
	if reg != nil {
		if err := reg.Register(rv.actions); err != nil {
			return nil, err
		}
		if err := reg.Register(rv.logins); err != nil {
			return nil, err
		}
	}
	u, err := newUI(cfg.Policy)
	if err != nil {
		return nil, err
	}
	rv.ui = u
	return rv, nil
}

// NewRelayMetrics returns the counters of the review's outbox relay
// (review.Relay), registered with reg unless it is nil.
func NewRelayMetrics(reg prometheus.Registerer) review.RelayMetrics {
	published := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ekjon_review_outbox_published_total", Help: "Revised decisions published from the outbox.",
	})
	failed := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ekjon_review_outbox_failed_total", Help: "Outbox relay attempts that failed and will be retried.",
	})
	waited := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ekjon_review_outbox_index_waits_total",
		Help: "Outbox relay attempts that waited for the index to be ready at the generation of a review's change.",
	})
	if reg != nil {
		reg.MustRegister(published, failed, waited)
	}
	return review.RelayMetrics{Published: published, Failed: failed, Waited: waited}
}

// RulingRequest is the body of POST /api/v1/alerts/{id}/decision: a
// reviewer's ruling on an alert, which the API calls its decision.
type RulingRequest struct {
	// Ruling is a review.Ruling, in the "decision" field.
	Ruling string `json:"decision"`
	Reason string `json:"reason"`
	// Revision, if set, is the alert revision the reviewer saw; a
	// different current revision is a conflict.
	Revision *int `json:"revision,omitempty"`
}

func (d RulingRequest) validate() error {
	var fields []domain.FieldError
	switch r := review.Ruling(d.Ruling); {
	case r.Valid():
	case r == "":
		fields = append(fields, domain.FieldError{Field: "decision", Reason: "is required"})
	default:
		var names []string
		for _, r := range review.Rulings() {
			names = append(names, string(r))
		}
		fields = append(fields, domain.FieldError{Field: "decision", Reason: fmt.Sprintf("must be one of %s", strings.Join(names, ", "))})
	}
	switch r := strings.TrimSpace(d.Reason); {
	case r == "":
		fields = append(fields, domain.FieldError{Field: "reason", Reason: "is required: say why"})
	case len(r) > 2000:
		fields = append(fields, domain.FieldError{Field: "reason", Reason: "is longer than 2000 bytes"})
	}
	if len(fields) > 0 {
		return &domain.Error{Kind: domain.KindInvalid, Op: "decision", Fields: fields}
	}
	return nil
}

// Rule applies a reviewer's ruling to an alert, as review.PlanRuling
// says. A release of a held enrolment makes it ADMIT (record, index and
// ekjon.decisions); overriding a BLOCK needs a supervisor; a second ruling
// on a closed alert is a conflict and changes nothing.
func (rv *Review) Rule(ctx context.Context, who *Principal, alertID string, req RulingRequest) (review.AlertRow, error) {
	if err := req.validate(); err != nil {
		return review.AlertRow{}, err
	}
	actor := who.actor()
	if err := review.MayRule(actor); err != nil {
		return review.AlertRow{}, err
	}
	if err := rv.inScope(ctx, who, alertID); err != nil {
		return review.AlertRow{}, err
	}
	now := rv.cfg.Now().UTC().Truncate(time.Microsecond)
	ruling := review.Ruling(req.Ruling).Recorded()
	a, published, err := rv.store.ReviewAlert(ctx, alertID, actor, strings.TrimSpace(req.Reason), func(l *review.Locked) (review.Plan, error) {
		return review.PlanRuling(l, actor, ruling, req.Revision, now)
	})
	if err != nil {
		return a, err
	}
	rv.actions.WithLabelValues(string(ruling)).Inc()
	if published && rv.notify != nil {
		rv.notify()
	}
	return a, nil
}

// AssignRequest assigns an alert to a reviewer ("" means the caller).
type AssignRequest struct {
	Assignee string `json:"assignee"`
	Reason   string `json:"reason"`
}

// Assign puts an alert in a reviewer's hands, as review.PlanAssignment
// says: reviewers take alerts for themselves; supervisors assign to anyone.
func (rv *Review) Assign(ctx context.Context, who *Principal, alertID string, req AssignRequest) (review.AlertRow, error) {
	actor := who.actor()
	target := strings.TrimSpace(req.Assignee)
	if target == "" {
		target = who.Username
	}
	if err := review.MayAssign(actor, target); err != nil {
		return review.AlertRow{}, err
	}
	if err := rv.inScope(ctx, who, alertID); err != nil {
		return review.AlertRow{}, err
	}
	if target != who.Username {
		u, err := rv.users.User(ctx, target)
		if domain.KindOf(err) == domain.KindNotFound || err == nil && !review.Assignable(u) {
			return review.AlertRow{}, invalidField("assignee", "is not an active reviewer")
		}
		if err != nil {
			return review.AlertRow{}, err
		}
	}
	a, _, err := rv.store.ReviewAlert(ctx, alertID, actor, strings.TrimSpace(req.Reason), func(l *review.Locked) (review.Plan, error) {
		return review.PlanAssignment(l, actor, target)
	})
	if err == nil {
		rv.actions.WithLabelValues("assign").Inc()
	}
	return a, err
}

// FieldRow is one line of the side-by-side comparison.
type FieldRow struct {
	Field   string `json:"field"`
	Label   string `json:"label"`
	Left    string `json:"left"`
	Right   string `json:"right"`
	Differs bool   `json:"differs"`
}

// Bar is one field's contribution to the score, scaled for a bar chart.
type Bar struct {
	domain.Contribution
	// Percent is |Weight| as a share of the largest |Weight|.
	Percent float64 `json:"percent"`
}

// CaseView is a case as a role may see it: personal data masked unless
// the role may read it, and the records compared field by field.
type CaseView struct {
	Alert      review.AlertRow        `json:"alert"`
	Decision   review.RevisedDecision `json:"decision"`
	RuleReason string                 `json:"rule_reason"`
	LeftTitle  string                 `json:"left_title"`
	RightTitle string                 `json:"right_title,omitempty"`
	Enrolment  *review.Enrolment      `json:"enrolment,omitempty"`
	Payment    *review.Payment        `json:"payment,omitempty"`
	Matched    *review.Enrolment      `json:"matched,omitempty"`
	Fields     []FieldRow             `json:"fields"`
	Score      float64                `json:"score,omitempty"`
	Bars       []Bar                  `json:"contributions"`
	History    []review.AuditEntry    `json:"history"`
	// Allowed lists the rulings the viewer may make now.
	Allowed []review.Ruling `json:"allowed_decisions"`
	// Replaces are the person's enrolments in the programme that
	// overriding the block would replace: the override makes this
	// enrolment the person's one claim there.
	Replaces []string `json:"replaces,omitempty"`
	// Cluster is the cluster of the event's person, for a reviewer and
	// above (see ClusterView).
	Cluster *review.ClusterView `json:"cluster,omitempty"`
	// CaseAlerts are the alerts of the alert's case (domain.Alert.CaseID)
	// that the viewer may see, oldest first, this one included: for
	// SHARED_CONTACT, the persons tied to one phone or wallet.
	CaseAlerts []review.AlertRow `json:"case_alerts,omitempty"`
}

// caseAlertsShown is how many of a case's alerts its page lists.
const caseAlertsShown = 200

// Case returns the case of an alert as who may see it. A case that shows
// personal data in clear is audited first (auditClearRead).
func (rv *Review) Case(ctx context.Context, who *Principal, alertID string) (*CaseView, error) {
	c, err := rv.store.Case(ctx, alertID)
	if err != nil {
		return nil, err
	}
	if !rv.scope(who).Allows(c.Alert.Programme) {
		return nil, errOutOfScope("alert")
	}
	var shown clearRead
	shown.add(c.Enrolment)
	shown.add(c.Matched)
	if err := rv.auditClearRead(ctx, who, "alert", alertID, shown); err != nil {
		return nil, err
	}
	cv := buildCase(c, who)
	if c.Alert.CaseID != "" {
		rows, _, err := rv.store.ListAlerts(ctx, review.AlertFilter{CaseID: c.Alert.CaseID, Scope: rv.scope(who), Limit: caseAlertsShown})
		if err != nil {
			return nil, err
		}
		cv.CaseAlerts = rows
	}
	if person := c.Decision.PersonID; person != "" && review.AtLeast(who.Role, review.RoleReviewer) {
		cl, err := rv.ClusterView(ctx, who, person)
		switch {
		case err == nil:
			cv.Cluster = cl
		case domain.KindOf(err) != domain.KindNotFound:
			return nil, err
		}
	}
	return cv, nil
}

// ClusterView returns the cluster of person id (see review.ClusterView)
// as who may see it: to a reviewer and above, with identifiers masked
// whatever the role. A ministry sees the records of its own programmes
// only, the edges between them and the history naming only persons it
// sees; a person with no record there is not found.
func (rv *Review) ClusterView(ctx context.Context, who *Principal, id string) (*review.ClusterView, error) {
	if !review.AtLeast(who.Role, review.RoleReviewer) {
		return nil, errForbidden("a viewer may not read a person's cluster")
	}
	c, err := rv.store.Cluster(ctx, id)
	if err != nil {
		return nil, err
	}
	if sc := rv.scope(who); sc.Limited {
		seen := map[string]bool{}
		records := map[string]bool{}
		members := []review.ClusterMember{}
		for _, m := range c.Members {
			if sc.Allows(m.Programme) {
				members = append(members, m)
				seen[m.PersonID], records[m.RecordID] = true, true
			}
		}
		if !seen[id] {
			return nil, errOutOfScope("person")
		}
		persons := []string{}
		for _, p := range c.Persons {
			if seen[p] {
				persons = append(persons, p)
			}
		}
		edges := []review.ClusterEdge{}
		for _, e := range c.Edges {
			if seen[e.PersonA] && seen[e.PersonB] && (e.Kind != review.EdgeExact || records[e.RecordID] && records[e.MatchedRecordID]) {
				edges = append(edges, e)
			}
		}
		history := []review.ClusterEvent{}
		for _, h := range c.History {
			if !slices.ContainsFunc(h.Persons, func(p string) bool { return !seen[p] }) {
				history = append(history, h)
			}
		}
		c.Persons, c.Members, c.Edges, c.History = persons, members, edges, history
	}
	review.MaskCluster(c)
	return c, nil
}

// clearRead is the personal data an answer shows: of which persons, and
// which fields.
type clearRead struct {
	Persons []string `json:"persons"`
	Fields  []string `json:"fields"`
}

func (r *clearRead) person(id string, fields []string) {
	if len(fields) == 0 {
		return
	}
	if !slices.Contains(r.Persons, id) {
		r.Persons = append(r.Persons, id)
	}
	for _, f := range fields {
		if !slices.Contains(r.Fields, f) {
			r.Fields = append(r.Fields, f)
		}
	}
}

func (r *clearRead) add(e *review.Enrolment) {
	if e != nil {
		r.person(e.PersonID, review.PersonalFields(e.Record))
	}
}

// auditClearRead records that who is about to be shown personal data in
// clear: who, from where, which object and, in the entry's after, whose
// data and which fields (never the data). Nothing is recorded when who's
// role sees it masked or the answer holds none. An answer whose read
// cannot be recorded is not given: the error is returned.
func (rv *Review) auditClearRead(ctx context.Context, who *Principal, kind, id string, shown clearRead) error {
	if !review.SeesPersonalData(who.Role) || len(shown.Fields) == 0 {
		return nil
	}
	after, err := json.Marshal(shown)
	if err != nil {
		return err
	}
	return rv.users.Audit(ctx, review.AuditEntry{Actor: who.Username, Role: who.Role, Action: "read:personal",
		ObjectKind: kind, ObjectID: id, Address: who.Address, After: after})
}

// scope is what who may see of the record.
func (rv *Review) scope(who *Principal) review.Scope {
	return review.ScopeOf(who.Role, who.Ministries, rv.cfg.Policy.ProgrammesOf)
}

// inScope refuses an alert outside who's programmes as if it did not
// exist: a ministry learns nothing of another's cases.
func (rv *Review) inScope(ctx context.Context, who *Principal, alertID string) error {
	sc := rv.scope(who)
	if !sc.Limited {
		return nil
	}
	a, err := rv.store.Alert(ctx, alertID)
	if err != nil {
		return err
	}
	if !sc.Allows(a.Programme) {
		return errOutOfScope("alert")
	}
	return nil
}

// errOutOfScope is a thing outside the caller's programmes, answered as
// not found.
func errOutOfScope(what string) error {
	return domain.Errorf(domain.KindNotFound, "scope", "no such %s", what)
}

var ruleReasons = map[string]string{
	domain.RuleDupNID:              "The NID is already enrolled in this programme.",
	domain.RuleMultiProgramme:      "The NID already holds a programme that this one excludes.",
	domain.RuleFuzzyPerson:         "A different or missing NID, but the person matches an enrolled one above the hold threshold.",
	domain.RulePossiblePerson:      "The person may match an enrolled one (between the review and hold thresholds).",
	domain.RuleSharedContact:       "The phone or wallet is already tied to several persons.",
	domain.RuleDeceasedOrExited:    "The person is recorded as deceased, exited or suspended.",
	domain.RuleWalletMismatch:      "Paid to a wallet other than the enrolled one.",
	domain.RuleRecentWallet:        "The wallet changed shortly before this payment.",
	domain.RuleDistributorVel:      "The distributor or the device records hand-outs faster than the limit a minute.",
	domain.RuleDistributorFar:      "Handed out outside the upazila the beneficiary is enrolled in.",
	domain.RuleInvalidCards:        "The distributor or the device scanned more cards that ekjon did not issue (forged, altered or foreign QR codes) than the limit an hour.",
	domain.RuleDistributorScope:    "A distributor scanned outside the programmes, areas or devices they may serve; refused.",
	domain.RuleCardRevoked:         "A replaced or revoked card was scanned; only the person's current card pays.",
	domain.RuleAmountBelow:         "Handed over less than the programme's entitlement: a possible skim.",
	domain.RulePhantomDistribution: "Handed out by a distributor to whom the cycle allotted nothing, or to a beneficiary the allocation does not list.",
	domain.RuleOverDistribution:    "The distributor reported more hand-outs than were allotted to them.",
	domain.RuleUndistributed:       "The cycle closed with allotted aid not handed out.",
	domain.RuleUnknownPayee:        "No active enrolment in this programme.",
	domain.RuleDoublePayment:       "Already paid for this programme and cycle.",
	domain.RuleRefConflict:         "The programme's beneficiary ref already belongs to another person, whose payments by it stand.",
	domain.RuleIDConflict:          "An identity number of this enrolment (smart-card or birth registration number, or the NID) belongs to another person; the numbers stay linked as they were.",
	domain.RuleIneligible:          "Outside the programme's eligibility (gender, or age at the enrolment's date); dates of birth are often wrong, so a person decides.",
	domain.RuleIndexRecordFailed:   "The person could not be stored as a candidate for the fuzzy rules: later enrolments are not matched against it.",
}

var fieldLabels = map[string]string{
	"name_bn": "Name (Bangla)", "name_en": "Name (English)", "father_name": "Father", "mother_name": "Mother",
	"spouse_name": "Spouse", "dob": "Date of birth", "gender": "Gender", "nid": "NID", "nid_smart": "Smart-card no.", "nid_place": "District of the NID", "birth_reg_no": "Birth reg. no.",
	"phone": "Phone", "wallet": "Wallet", "wallet_key": "Wallet (keyed hash)", "division": "Division",
	"district": "District", "upazila": "Upazila", "union": "Union", "ward": "Ward", "village": "Village",
	"programme": "Programme", "beneficiary_ref": "Beneficiary ref", "source": "Source", "status": "Status",
	"at": "Enrolled / paid at", "cycle": "Cycle", "amount": "Amount (BDT)", "channel": "Channel",
	"distributor_id": "Distributor", "person_id": "Person id",
}

var fieldOrder = []string{"person_id", "name_bn", "name_en", "father_name", "mother_name", "spouse_name", "dob", "gender",
	"nid", "nid_smart", "nid_place", "birth_reg_no", "phone", "wallet", "wallet_key", "division", "district", "upazila", "union", "ward", "village",
	"programme", "beneficiary_ref", "source", "status", "cycle", "amount", "channel", "distributor_id", "at"}

func enrolmentFields(e *review.Enrolment) map[string]string {
	p := e.Record
	m := map[string]string{
		"person_id": e.PersonID, "name_bn": p.NameBN, "name_en": p.NameEN, "father_name": p.FatherName,
		"mother_name": p.MotherName, "spouse_name": p.SpouseName, "dob": p.DOB, "gender": p.Gender, "nid": p.NID,
		"nid_smart": p.NIDSmart, "birth_reg_no": p.BirthRegNo, "phone": p.Phone, "wallet": p.Wallet, "wallet_key": e.WalletKey,
		"programme": e.Programme, "beneficiary_ref": e.BeneficiaryRef, "source": e.Source, "status": e.Status,
		"at": e.EnrolledAt.UTC().Format("2006-01-02 15:04"),
	}
	if a := p.Address; a != nil {
		n := domain.Places().Names(domain.Area{Division: a.Division, District: a.District, Upazila: a.Upazila, Union: a.Union})
		m["division"], m["district"], m["upazila"], m["union"], m["ward"], m["village"] = n.Division, n.District, n.Upazila, n.Union, a.Ward, a.Village
	}
	m["nid_place"] = nidPlace(p)
	return m
}

// shownPlace is a division or district as every page shows it: one label
// for every spelling; an unknown place as it came.
func shownPlace(level, s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return domain.Places().Label(level, s)
}

// nidPlace names the district whose BBS code opens the person's NID, and
// says so when the address is in another: someone who moved, or an NID
// that is not theirs. The fuzzy rules count it as evidence; it blocks
// nothing.
func nidPlace(p domain.Person) string {
	code := fuzzy.NIDDistrict(p.NID)
	if code == "" {
		return ""
	}
	s := fuzzy.DistrictName(code) + " (" + code + ")"
	if p.Address != nil {
		if at, ok := fuzzy.DistrictCode(p.Address.District); ok && at != code {
			s += ", not the address's district"
		}
	}
	return s
}

func paymentFields(p *review.Payment) map[string]string {
	return map[string]string{
		"person_id": p.PersonID, "programme": p.Programme, "cycle": p.Cycle, "amount": fmt.Sprintf("%.2f", p.Amount),
		"channel": p.Channel, "wallet_key": p.WalletKey, "distributor_id": p.DistributorID, "district": shownPlace(domain.LevelDistrict, p.District),
		"upazila": domain.Places().Names(domain.Area{District: p.District, Upazila: p.Upazila}).Upazila, "status": p.Action, "at": p.PaidAt.UTC().Format("2006-01-02 15:04"),
	}
}

func buildCase(c *review.Case, who *Principal) *CaseView {
	v := &CaseView{
		Alert: c.Alert, Decision: c.Decision, History: c.History,
		Enrolment: review.MaskEnrolment(who.Role, c.Enrolment), Payment: c.Payment, Matched: review.MaskEnrolment(who.Role, c.Matched),
		RuleReason: ruleReasons[c.Alert.Rule],
	}
	if r := c.Decision.Reason; r != "" && !strings.EqualFold(strings.TrimSuffix(v.RuleReason, "."), r) {
		v.RuleReason = strings.TrimSpace(v.RuleReason + " Recorded: " + r + ".")
	}
	var left, right map[string]string
	switch {
	case c.Enrolment != nil:
		left, v.LeftTitle = enrolmentFields(c.Enrolment), "This enrolment"
	case c.Payment != nil:
		left, v.LeftTitle = paymentFields(c.Payment), "This payment"
	default:
		v.LeftTitle = "This event"
	}
	if c.Matched != nil {
		right = enrolmentFields(c.Matched)
		v.RightTitle = "Enrolled record"
		if c.Alert.MatchedPerson != "" {
			v.RightTitle = "Matched person's enrolment"
		}
	}
	for _, f := range fieldOrder {
		l, r := left[f], right[f]
		if l == "" && r == "" {
			continue
		}
		v.Fields = append(v.Fields, FieldRow{
			Field: f, Label: fieldLabels[f], Left: review.MaskField(who.Role, f, l), Right: review.MaskField(who.Role, f, r),
			Differs: right != nil && l != "" && r != "" && l != r,
		})
	}
	expl, score := c.Alert.Explanation, c.Alert.Score
	if len(expl) == 0 {
		expl, score = c.Decision.Explanation, c.Decision.Score
	}
	v.Score = score
	maxW := 0.0
	for _, x := range expl {
		maxW = math.Max(maxW, math.Abs(x.Weight))
	}
	for _, x := range expl {
		b := Bar{Contribution: x}
		if maxW > 0 {
			b.Percent = math.Round(math.Abs(x.Weight)/maxW*1000) / 10
		}
		v.Bars = append(v.Bars, b)
	}
	v.Allowed = review.AllowedRulings(c, who.actor())
	if slices.Contains(v.Allowed, review.RulingRelease) {
		v.Replaces = review.Replaces(c)
	}
	return v
}

// PersonView returns a person as who may see them. A view that shows
// personal data in clear is audited first (auditClearRead).
func (rv *Review) PersonView(ctx context.Context, who *Principal, id string) (*review.PersonView, error) {
	p, err := rv.store.Person(ctx, id)
	if err != nil {
		return nil, err
	}
	if sc := rv.scope(who); sc.Limited {
		// A ministry sees the person through its own programmes only:
		// their enrolments there, and the decisions on them.
		var ens []review.Enrolment
		for _, e := range p.Enrolments {
			if sc.Allows(e.Programme) {
				ens = append(ens, e)
			}
		}
		if len(ens) == 0 {
			return nil, errOutOfScope("person")
		}
		ds := []review.RevisedDecision{}
		for _, d := range p.Decisions {
			if sc.Allows(d.Programme) {
				ds = append(ds, d)
			}
		}
		// Judgements name persons of any programme: a ministry does not see them.
		p.Enrolments, p.Decisions, p.Judgements = ens, ds, []review.JudgementRow{}
	}
	var shown clearRead
	if p.NID != "" {
		shown.person(p.PersonID, []string{"nid"})
	}
	for i := range p.Enrolments {
		shown.add(&p.Enrolments[i])
	}
	if err := rv.auditClearRead(ctx, who, "person", id, shown); err != nil {
		return nil, err
	}
	review.MaskPersonView(who.Role, p)
	return p, nil
}
