package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// Roles, in increasing order of rights: a viewer reads (with personal data
// masked), a reviewer decides alerts, a supervisor also overrides blocks,
// decides escalated alerts and reads personal data, an admin also manages
// users.
const (
	RoleViewer     = "viewer"
	RoleReviewer   = "reviewer"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

var roleRank = map[string]int{RoleViewer: 1, RoleReviewer: 2, RoleSupervisor: 3, RoleAdmin: 4}

// ValidRole reports whether role is one of the four roles.
func ValidRole(role string) bool { return roleRank[role] > 0 }

func atLeast(role, min string) bool { return roleRank[role] >= roleRank[min] }

// seesPersonalData reports whether role may read NIDs, phones and wallets.
func seesPersonalData(role string) bool { return atLeast(role, RoleSupervisor) }

// The decisions a reviewer can make on an alert.
const (
	DecisionConfirm  = "confirm"         // the block or hold stands
	DecisionRelease  = "release"         // a held enrolment or payment is admitted; a block is overridden
	DecisionDismiss  = "dismiss"         // the same as release
	DecisionEscalate = "escalate"        // a supervisor decides
	DecisionSame     = "same_person"     // the two records are one person: the hold stands
	DecisionNotSame  = "not_same_person" // they are two people: the held record is admitted
)

// DecisionKinds lists the decisions in the order forms offer them.
var DecisionKinds = []string{DecisionRelease, DecisionConfirm, DecisionEscalate, DecisionSame, DecisionNotSame, DecisionDismiss}

// Config configures the review service.
type Config struct {
	// SessionTTL is how long a browser session lasts.
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP requests; they
	// are always Secure on TLS or behind a proxy that says https.
	SecureCookies bool
	// LoginAttempts failed logins per LoginWindow are allowed for one
	// username and for one address; more are refused with 429.
	LoginAttempts int
	LoginWindow   time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{SessionTTL: 12 * time.Hour, LoginAttempts: 5, LoginWindow: 5 * time.Minute}
}

// Review is the review service: the one layer behind the JSON API and the
// web UI. It is safe for concurrent use.
type Review struct {
	store   *postgres.Store
	log     *slog.Logger
	cfg     Config
	notify  func()
	limiter *limiter
	ui      *ui

	actions *prometheus.CounterVec
	logins  *prometheus.CounterVec
}

// NewReview returns the service on store. notify, if not nil, is called
// after a revised decision is committed to the outbox (the relay's
// Notify). Metrics are registered with reg.
func NewReview(store *postgres.Store, notify func(), log *slog.Logger, reg prometheus.Registerer, cfg Config) (*Review, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 || cfg.LoginAttempts <= 0 || cfg.LoginWindow <= 0 {
		return nil, domain.Errorf(domain.KindInvalid, "review config", "session TTL, login attempts and window must be positive")
	}
	rv := &Review{
		store: store, log: log, cfg: cfg, notify: notify,
		limiter: newLimiter(cfg.LoginAttempts, cfg.LoginWindow),
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
	u, err := newUI()
	if err != nil {
		return nil, err
	}
	rv.ui = u
	return rv, nil
}

// DecisionRequest is a reviewer's decision on an alert.
type DecisionRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	// Revision, if set, is the alert revision the reviewer saw; a
	// different current revision is a conflict.
	Revision *int `json:"revision,omitempty"`
}

func (d DecisionRequest) validate() error {
	var fields []domain.FieldError
	switch d.Decision {
	case DecisionConfirm, DecisionRelease, DecisionDismiss, DecisionEscalate, DecisionSame, DecisionNotSame:
	case "":
		fields = append(fields, domain.FieldError{Field: "decision", Reason: "is required"})
	default:
		fields = append(fields, domain.FieldError{Field: "decision", Reason: fmt.Sprintf("must be one of %s", strings.Join(DecisionKinds, ", "))})
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

// Decide applies a reviewer's decision to an alert. A release of a held
// enrolment makes it ADMIT (record, index and ekjon.decisions); overriding a
// BLOCK needs a supervisor; a second decision on a decided alert is a
// conflict and changes nothing.
func (rv *Review) Decide(ctx context.Context, who *Principal, alertID string, req DecisionRequest) (postgres.AlertRow, error) {
	if err := req.validate(); err != nil {
		return postgres.AlertRow{}, err
	}
	if !atLeast(who.Role, RoleReviewer) {
		return postgres.AlertRow{}, errForbidden("a viewer may not decide alerts")
	}
	now := rv.cfg.Now().UTC().Truncate(time.Microsecond)
	kind := req.Decision
	if kind == DecisionDismiss {
		kind = DecisionRelease
	}
	a, published, err := rv.store.ReviewAlert(ctx, alertID, who.actor(), strings.TrimSpace(req.Reason), func(l *postgres.Locked) (postgres.Plan, error) {
		return planDecision(l, who, kind, req.Revision, now)
	})
	if err != nil {
		return a, err
	}
	rv.actions.WithLabelValues(kind).Inc()
	if published && rv.notify != nil {
		rv.notify()
	}
	return a, nil
}

// planDecision is the review policy: what each decision changes, and who
// may make it, given the alert and decision under lock.
func planDecision(l *postgres.Locked, who *Principal, kind string, revision *int, now time.Time) (postgres.Plan, error) {
	a, d := l.Alert, l.Decision.Decision
	if revision != nil && *revision != a.Revision {
		return postgres.Plan{}, conflict(fmt.Sprintf("the alert is at revision %d, not %d: someone acted on it; reload it", a.Revision, *revision))
	}
	if a.Status == postgres.AlertClosed {
		return postgres.Plan{}, conflict(fmt.Sprintf("the alert was already decided (%s by %s)", a.Resolution, a.ResolvedBy))
	}
	if a.Status == postgres.AlertEscalated && !atLeast(who.Role, RoleSupervisor) {
		return postgres.Plan{}, errForbidden("an escalated alert is decided by a supervisor")
	}
	if a.Status == postgres.AlertAssigned && a.Assignee != who.Username && !atLeast(who.Role, RoleSupervisor) {
		return postgres.Plan{}, errForbidden("the alert is assigned to " + a.Assignee)
	}
	p := postgres.Plan{AuditAction: "decision:" + kind, AlertStatus: postgres.AlertClosed, Resolution: kind}
	switch kind {
	case DecisionEscalate:
		if a.Status == postgres.AlertEscalated {
			return postgres.Plan{}, conflict("the alert is already escalated")
		}
		p.AlertStatus, p.Resolution = postgres.AlertEscalated, ""
		return p, nil
	case DecisionConfirm:
		return p, nil
	case DecisionSame, DecisionNotSame:
		if a.MatchedPerson == "" || a.PersonID == "" || a.MatchedPerson == a.PersonID {
			return postgres.Plan{}, invalidField("decision", "this alert compares no two persons; confirm or release it instead")
		}
		if kind == DecisionSame {
			p.Judgement = "same"
			return p, nil
		}
		p.Judgement = "not_same"
	}
	// A release, or "not the same person", which releases what the match
	// held.
	switch d.Action {
	case domain.ActionAdmit:
		return p, nil // an alert on an admitted event: nothing to revise
	case domain.ActionRejected:
		return postgres.Plan{}, conflict("a rejected event cannot be released; the source must send it again, corrected")
	case domain.ActionBlock:
		if !atLeast(who.Role, RoleSupervisor) {
			return postgres.Plan{}, errForbidden("only a supervisor may override a BLOCK")
		}
	}
	nd := d
	nd.Action, nd.DecidedAt = domain.ActionAdmit, now
	if d.Action == domain.ActionBlock {
		nd.Reason = "block overridden on review by a supervisor"
	} else {
		nd.Reason = "released on review"
	}
	p.Decision = &nd
	switch {
	case l.Enrolment != nil:
		p.EnrolmentStatus = "active"
		op := postgres.IndexOp{Op: postgres.IndexReleaseHold, IndexKey: l.IndexKey, Programme: l.Enrolment.Programme, EventID: d.EventID}
		if d.Action == domain.ActionBlock {
			op.Op, op.WalletKey = postgres.IndexClaim, l.Enrolment.WalletKey
		}
		if l.IndexKey != "" {
			p.IndexOp = &op
		}
	case l.PaymentAction != "":
		p.PaymentAction = string(domain.ActionAdmit)
	}
	return p, nil
}

// AssignRequest assigns an alert to a reviewer ("" means the caller).
type AssignRequest struct {
	Assignee string `json:"assignee"`
	Reason   string `json:"reason"`
}

// Assign puts an alert in a reviewer's hands. Reviewers take alerts for
// themselves; supervisors assign to anyone.
func (rv *Review) Assign(ctx context.Context, who *Principal, alertID string, req AssignRequest) (postgres.AlertRow, error) {
	if !atLeast(who.Role, RoleReviewer) {
		return postgres.AlertRow{}, errForbidden("a viewer may not take alerts")
	}
	target := strings.TrimSpace(req.Assignee)
	if target == "" {
		target = who.Username
	}
	if target != who.Username && !atLeast(who.Role, RoleSupervisor) {
		return postgres.AlertRow{}, errForbidden("only a supervisor assigns alerts to others")
	}
	if target != who.Username {
		u, err := rv.store.User(ctx, target)
		if domain.KindOf(err) == domain.KindNotFound || err == nil && (u.Disabled || !atLeast(u.Role, RoleReviewer)) {
			return postgres.AlertRow{}, invalidField("assignee", "is not an active reviewer")
		}
		if err != nil {
			return postgres.AlertRow{}, err
		}
	}
	a, _, err := rv.store.ReviewAlert(ctx, alertID, who.actor(), strings.TrimSpace(req.Reason), func(l *postgres.Locked) (postgres.Plan, error) {
		switch {
		case l.Alert.Status == postgres.AlertClosed:
			return postgres.Plan{}, conflict("the alert is already decided")
		case l.Alert.Assignee != "" && l.Alert.Assignee != who.Username && !atLeast(who.Role, RoleSupervisor):
			return postgres.Plan{}, conflict("the alert is already assigned to " + l.Alert.Assignee)
		}
		status := postgres.AlertAssigned
		if l.Alert.Status == postgres.AlertEscalated {
			status = postgres.AlertEscalated
		}
		return postgres.Plan{AuditAction: "assign", AlertStatus: status, Assignee: &target}, nil
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
	Alert      postgres.AlertRow        `json:"alert"`
	Decision   postgres.RevisedDecision `json:"decision"`
	RuleReason string                   `json:"rule_reason"`
	LeftTitle  string                   `json:"left_title"`
	RightTitle string                   `json:"right_title,omitempty"`
	Enrolment  *postgres.Enrolment      `json:"enrolment,omitempty"`
	Payment    *postgres.Payment        `json:"payment,omitempty"`
	Matched    *postgres.Enrolment      `json:"matched,omitempty"`
	Fields     []FieldRow               `json:"fields"`
	Score      float64                  `json:"score,omitempty"`
	Bars       []Bar                    `json:"contributions"`
	History    []postgres.AuditEntry    `json:"history"`
	// Allowed lists the decisions the viewer may make now.
	Allowed []string `json:"allowed_decisions"`
}

// Case returns the case of an alert as who may see it.
func (rv *Review) Case(ctx context.Context, who *Principal, alertID string) (*CaseView, error) {
	c, err := rv.store.Case(ctx, alertID)
	if err != nil {
		return nil, err
	}
	return buildCase(c, who), nil
}

var ruleReasons = map[string]string{
	domain.RuleDupNID:           "The NID is already enrolled in this programme.",
	domain.RuleMultiProgramme:   "The NID already holds a programme that this one excludes.",
	domain.RuleFuzzyPerson:      "A different or missing NID, but the person matches an enrolled one above the hold threshold.",
	domain.RulePossiblePerson:   "The person may match an enrolled one (between the review and hold thresholds).",
	domain.RuleSharedContact:    "The phone or wallet is already tied to several persons.",
	domain.RuleDeceasedOrExited: "The person is recorded as deceased, exited or suspended.",
	domain.RuleWalletMismatch:   "Paid to a wallet other than the enrolled one.",
	domain.RuleRecentWallet:     "The wallet changed shortly before this payment.",
	domain.RuleDistributorVel:   "The agent records payments unusually fast or far from the person's union.",
	domain.RuleUnknownPayee:     "No active enrolment in this programme.",
	domain.RuleDoublePayment:    "Already paid for this programme and cycle.",
}

var fieldLabels = map[string]string{
	"name_bn": "Name (Bangla)", "name_en": "Name (English)", "father_name": "Father", "mother_name": "Mother",
	"spouse_name": "Spouse", "dob": "Date of birth", "gender": "Gender", "nid": "NID", "birth_reg_no": "Birth reg. no.",
	"phone": "Phone", "wallet": "Wallet", "wallet_key": "Wallet (keyed hash)", "division": "Division",
	"district": "District", "upazila": "Upazila", "union": "Union", "ward": "Ward", "village": "Village",
	"programme": "Programme", "beneficiary_ref": "Beneficiary ref", "source": "Source", "status": "Status",
	"at": "Enrolled / paid at", "cycle": "Cycle", "amount": "Amount (BDT)", "channel": "Channel",
	"distributor_id": "Distributor", "person_id": "Person id",
}

var fieldOrder = []string{"person_id", "name_bn", "name_en", "father_name", "mother_name", "spouse_name", "dob", "gender",
	"nid", "birth_reg_no", "phone", "wallet", "wallet_key", "division", "district", "upazila", "union", "ward", "village",
	"programme", "beneficiary_ref", "source", "status", "cycle", "amount", "channel", "distributor_id", "at"}

var sensitive = map[string]int{"nid": 4, "birth_reg_no": 4, "phone": 3, "wallet": 3}

func enrolmentFields(e *postgres.Enrolment) map[string]string {
	p := e.Record
	m := map[string]string{
		"person_id": e.PersonID, "name_bn": p.NameBN, "name_en": p.NameEN, "father_name": p.FatherName,
		"mother_name": p.MotherName, "spouse_name": p.SpouseName, "dob": p.DOB, "gender": p.Gender, "nid": p.NID,
		"birth_reg_no": p.BirthRegNo, "phone": p.Phone, "wallet": p.Wallet, "wallet_key": e.WalletKey,
		"programme": e.Programme, "beneficiary_ref": e.BeneficiaryRef, "source": e.Source, "status": e.Status,
		"at": e.EnrolledAt.UTC().Format("2006-01-02 15:04"),
	}
	if a := p.Address; a != nil {
		m["division"], m["district"], m["upazila"], m["union"], m["ward"], m["village"] = a.Division, a.District, a.Upazila, a.Union, a.Ward, a.Village
	}
	return m
}

func paymentFields(p *postgres.Payment) map[string]string {
	return map[string]string{
		"person_id": p.PersonID, "programme": p.Programme, "cycle": p.Cycle, "amount": fmt.Sprintf("%.2f", p.Amount),
		"channel": p.Channel, "wallet_key": p.WalletKey, "distributor_id": p.DistributorID, "district": p.District,
		"upazila": p.Upazila, "status": p.Action, "at": p.PaidAt.UTC().Format("2006-01-02 15:04"),
	}
}

// maskPerson hides what role may not read of an enrolled person.
func maskPerson(p domain.Person, role string) domain.Person {
	if seesPersonalData(role) {
		return p
	}
	p.NID = domain.Mask(p.NID, sensitive["nid"])
	p.BirthRegNo = domain.Mask(p.BirthRegNo, sensitive["birth_reg_no"])
	p.Phone = domain.Mask(p.Phone, sensitive["phone"])
	p.Wallet = domain.Mask(p.Wallet, sensitive["wallet"])
	return p
}

func maskEnrolment(e *postgres.Enrolment, role string) *postgres.Enrolment {
	if e == nil {
		return nil
	}
	c := *e
	c.Record = maskPerson(c.Record, role)
	return &c
}

func buildCase(c *postgres.Case, who *Principal) *CaseView {
	v := &CaseView{
		Alert: c.Alert, Decision: c.Decision, History: c.History,
		Enrolment: maskEnrolment(c.Enrolment, who.Role), Payment: c.Payment, Matched: maskEnrolment(c.Matched, who.Role),
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
		row := FieldRow{Field: f, Label: fieldLabels[f], Left: l, Right: r, Differs: right != nil && l != "" && r != "" && l != r}
		if k, ok := sensitive[f]; ok && !seesPersonalData(who.Role) {
			row.Left, row.Right = domain.Mask(l, k), domain.Mask(r, k)
		}
		v.Fields = append(v.Fields, row)
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
	v.Allowed = allowedDecisions(c, who)
	return v
}

// allowedDecisions is what the case page offers; Decide enforces the same
// rules under lock.
func allowedDecisions(c *postgres.Case, who *Principal) []string {
	a := c.Alert
	if !atLeast(who.Role, RoleReviewer) || a.Status == postgres.AlertClosed {
		return nil
	}
	sup := atLeast(who.Role, RoleSupervisor)
	if (a.Status == postgres.AlertEscalated || a.Status == postgres.AlertAssigned && a.Assignee != who.Username) && !sup {
		return nil
	}
	var out []string
	canRelease := c.Decision.Action != domain.ActionRejected && (c.Decision.Action != domain.ActionBlock || sup)
	if canRelease {
		out = append(out, DecisionRelease)
	}
	out = append(out, DecisionConfirm)
	if a.Status != postgres.AlertEscalated {
		out = append(out, DecisionEscalate)
	}
	if a.MatchedPerson != "" && a.PersonID != "" && a.MatchedPerson != a.PersonID {
		out = append(out, DecisionSame)
		if canRelease {
			out = append(out, DecisionNotSame)
		}
	}
	return out
}

// PersonView returns a person as who may see them.
func (rv *Review) PersonView(ctx context.Context, who *Principal, id string) (*postgres.PersonView, error) {
	p, err := rv.store.Person(ctx, id)
	if err != nil {
		return nil, err
	}
	if !seesPersonalData(who.Role) {
		p.NID = domain.Mask(p.NID, sensitive["nid"])
		for i := range p.Enrolments {
			p.Enrolments[i].Record = maskPerson(p.Enrolments[i].Record, who.Role)
		}
	}
	return p, nil
}

// limiter counts failed logins per key in fixed windows. It is safe for
// concurrent use.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string]*window
}

type window struct {
	start time.Time
	fails int
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, seen: make(map[string]*window)}
}

// allow reports whether every key may try again at now.
func (l *limiter) allow(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if w := l.seen[k]; w != nil && now.Sub(w.start) < l.window && w.fails >= l.max {
			return false
		}
	}
	return true
}

// fail counts a failed attempt against every key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 100_000 {
		for k, w := range l.seen {
			if now.Sub(w.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	for _, k := range keys {
		w := l.seen[k]
		if w == nil || now.Sub(w.start) >= l.window {
			w = &window{start: now}
			l.seen[k] = w
		}
		w.fails++
	}
}

// reset forgets a key's failures after a successful login.
func (l *limiter) reset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.seen, k)
	}
}
