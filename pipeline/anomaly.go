package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// AttemptCounter counts distribution attempts per distributor and per
// device in a sliding minute, in a store every worker shares (see
// redisindex.Index.CountAttempts). Counting an attempt again, by its event
// id, counts it once.
type AttemptCounter interface {
	// CountAttempts records each attempt and returns, for each, how many
	// attempts of its scope and id fall in the minute up to its time.
	CountAttempts(ctx context.Context, attempts []domain.Attempt) ([]int64, error)
}

// HomeFinder says which upazila persons are enrolled in (see
// postgres.Store.HomeUpazilas).
type HomeFinder interface {
	HomeUpazilas(ctx context.Context, persons []string) (map[string]string, error)
}

// AnomalyConfig configures the distributor anomalies.
type AnomalyConfig struct {
	Policy domain.Policy
	// VelocityPerMinute is V of DISTRIBUTOR_VELOCITY: more attempts than
	// this by one distributor or one device within a minute raise the
	// alert. 0 turns the rule off.
	VelocityPerMinute int
	// InvalidCardsPerHour is the limit of DISTRIBUTOR_INVALID_CARDS: more
	// cards rejected INVALID_CARD than this within an hour by one
	// distributor or one device raise the alert. 0 turns the rule off.
	InvalidCardsPerHour int
	// SamePlace says whether two spellings of an upazila name one, and
	// whether it can tell (see SamePlace, the default, which folds case,
	// spaces and digits only).
	SamePlace func(a, b string) (same, comparable bool)
}

// Anomalies is a Decider that decides allocations, which claim nothing in
// the index (ADMIT when valid; the record keeps them), passes every other
// event to the Decider it wraps, and then looks at each distribution for
// a distributor's anomalies, which alert and never change the action:
//
//   - DISTRIBUTOR_VELOCITY: more than V attempts a minute by the event's
//     distributor or device, counted by Counter;
//   - DISTRIBUTOR_FAR: an admitted hand-out whose location's upazila is not
//     the one the beneficiary is enrolled in (Homes);
//   - AMOUNT_BELOW_ENTITLEMENT: an admitted payment of less than the
//     programme's entitlement (a missing amount is 0, and below);
//   - DISTRIBUTOR_INVALID_CARDS: more than a few cards rejected
//     INVALID_CARD in an hour by the event's distributor or device
//     (see InvalidCards).
//
// It is safe for concurrent use when the wrapped parts are.
type Anomalies struct {
	Decider
	Counter AttemptCounter
	Homes   HomeFinder
	// Scopes, if set, has a card hand-out from the stream by one of
	// ekjon's distributors outside their scope blocked (see outOfScope).
	// The scan API checks a scan's scope itself, before deciding it.
	Scopes ScopeFinder
	Config AnomalyConfig
}

// Decide decides outs; see Anomalies.
func (a *Anomalies) Decide(ctx context.Context, outs []*domain.Outcome) (int64, error) {
	rest := make([]*domain.Outcome, 0, len(outs))
	for _, o := range outs {
		if o.Event.Type == domain.TypeAllocation {
			o.Decision.Action = domain.ActionAdmit
			o.Decision.Reason = fmt.Sprintf("allots %d beneficiaries of %s, cycle %s, to %s",
				o.Event.Allotted(), o.Event.Programme, o.Event.Cycle, o.Event.DistributorID)
			continue
		}
		rest = append(rest, o)
	}
	decide, err := a.outOfScope(ctx, rest)
	if err != nil {
		return 0, err
	}
	var gen int64
	if len(decide) > 0 {
		if gen, err = a.Decider.Decide(ctx, decide); err != nil {
			return 0, err
		}
	}
	if err := a.screen(ctx, rest); err != nil {
		return 0, err
	}
	if err := a.InvalidCards(ctx, rest); err != nil {
		return 0, err
	}
	return gen, nil
}

// screen raises the distributor anomalies on the batch's distributions.
func (a *Anomalies) screen(ctx context.Context, outs []*domain.Outcome) error {
	var dist []*domain.Outcome
	for _, o := range outs {
		if o.Event.Type == domain.TypeDistribution && o.Decision.Action != domain.ActionRejected {
			dist = append(dist, o)
		}
	}
	if len(dist) == 0 {
		return nil
	}
	// The attempts are counted (Redis) while the homes are read
	// (PostgreSQL): each is a round trip the batch waits for, and neither
	// needs the other's answer. What they find is raised in one order.
	var (
		wg             sync.WaitGroup
		fast, farAway  func()
		velErr, farErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		fast, velErr = a.velocity(ctx, dist)
	}()
	farAway, farErr = a.far(ctx, dist)
	wg.Wait()
	if velErr != nil {
		return velErr
	}
	if farErr != nil {
		return farErr
	}
	fast()
	farAway()
	for _, o := range dist {
		a.below(o)
	}
	return nil
}

// velocity counts the distributions' attempts per distributor and device,
// and returns what raises DISTRIBUTOR_VELOCITY on those above the limit.
func (a *Anomalies) velocity(ctx context.Context, dist []*domain.Outcome) (func(), error) {
	v := a.Config.VelocityPerMinute
	if v <= 0 || a.Counter == nil {
		return func() {}, nil
	}
	var attempts []domain.Attempt
	var owners []*domain.Outcome
	for _, o := range dist {
		e := o.Event
		if id := strings.TrimSpace(e.DistributorID); id != "" {
			attempts = append(attempts, domain.Attempt{Scope: "distributor", ID: id, EventID: e.EventID, At: e.Occurred})
			owners = append(owners, o)
		}
		if id := strings.TrimSpace(e.DeviceID); id != "" {
			attempts = append(attempts, domain.Attempt{Scope: "device", ID: id, EventID: e.EventID, At: e.Occurred})
			owners = append(owners, o)
		}
	}
	if len(attempts) == 0 {
		return func() {}, nil
	}
	counts, err := a.Counter.CountAttempts(ctx, attempts)
	if err != nil {
		return nil, fmt.Errorf("count distributor attempts: %w", err)
	}
	fast := make(map[*domain.Outcome]map[string]string)
	for i, n := range counts {
		if n <= int64(v) {
			continue
		}
		o, at := owners[i], attempts[i]
		ev := fast[o]
		if ev == nil {
			ev = map[string]string{"limit_per_minute": strconv.Itoa(v), "window_end": at.At.UTC().Format(time.RFC3339)}
			fast[o] = ev
		}
		ev[at.Scope+"_id"] = at.ID
		ev[at.Scope+"_attempts_in_minute"] = strconv.FormatInt(n, 10)
	}
	return func() {
		for _, o := range dist {
			if ev, ok := fast[o]; ok {
				raise(o, domain.RuleDistributorVel, ev)
			}
		}
	}, nil
}

// far reads the homes of the admitted distributions' persons, and returns
// what raises DISTRIBUTOR_FAR on those paid outside their upazila.
func (a *Anomalies) far(ctx context.Context, dist []*domain.Outcome) (func(), error) {
	if a.Homes == nil {
		return func() {}, nil
	}
	var persons []string
	for _, o := range dist {
		if o.Decision.Action == domain.ActionAdmit && o.Decision.PersonID != "" && locationUpazila(o.Event.Location) != "" {
			persons = append(persons, o.Decision.PersonID)
		}
	}
	if len(persons) == 0 {
		return func() {}, nil
	}
	homes, err := a.Homes.HomeUpazilas(ctx, persons)
	if err != nil {
		return nil, fmt.Errorf("find beneficiaries' upazilas: %w", err)
	}
	return func() { a.farFrom(dist, homes) }, nil
}

// farFrom raises DISTRIBUTOR_FAR on the admitted distributions paid
// outside their persons' homes.
func (a *Anomalies) farFrom(dist []*domain.Outcome, homes map[string]string) {
	for _, o := range dist {
		home, ok := homes[o.Decision.PersonID]
		if !ok || o.Decision.Action != domain.ActionAdmit || o.Event.Location == nil {
			continue
		}
		at := locationUpazila(o.Event.Location)
		same := a.Config.SamePlace
		if same == nil {
			same = SamePlace
		}
		if samePlace, comparable := same(home, at); comparable && !samePlace {
			raise(o, domain.RuleDistributorFar, map[string]string{
				"distributor_id":   o.Event.DistributorID,
				"device_id":        o.Event.DeviceID,
				"location_upazila": strings.TrimSpace(at),
				"home_upazila":     strings.TrimSpace(home),
			})
		}
	}
}

// locationUpazila is the upazila a location names: as given, or, when it
// gives only a union the gazetteer knows, that union's upazila by name
// (a home written by name compares with a name, and one written by its
// own two digits is not taken for another upazila's four).
func locationUpazila(l *domain.Location) string {
	if l == nil {
		return ""
	}
	if u := strings.TrimSpace(l.Upazila); u != "" || strings.TrimSpace(l.Union) == "" {
		return u
	}
	g := domain.Places()
	p, ok := g.Find(domain.LevelUpazila, g.PlaceArea(l.Area()).Upazila)
	if !ok {
		return ""
	}
	if p.NameEN != "" {
		return p.NameEN
	}
	return p.NameBN
}

// SamePlace reports whether two spellings of a place name one place,
// folding case, spaces and Bangla digits; comparable is false when one is
// a BBS code and the other a name, which only a gazetteer can tell apart,
// or when they are written in two scripts.
func SamePlace(a, b string) (same, comparable bool) {
	a, b = placeFold(a), placeFold(b)
	if a == "" || b == "" || isCode(a) != isCode(b) || bangla(a) != bangla(b) {
		return false, false
	}
	return a == b, true
}

func placeFold(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '০' && r <= '৯' {
			return '0' + (r - '০')
		}
		return r
	}, s)
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func bangla(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0980 && r <= 0x09FF })
}

func isCode(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// entitlementSlack is the rounding an amount may carry below the
// entitlement without being a skim: under a paisa.
const entitlementSlack = 0.005

func (a *Anomalies) below(o *domain.Outcome) {
	if o.Decision.Action != domain.ActionAdmit {
		return
	}
	ent, ok := a.Config.Policy.EntitlementOf(o.Event.Programme)
	if !ok || ent.Amount <= 0 || o.Event.Amount >= ent.Amount-entitlementSlack {
		return
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	raise(o, domain.RuleAmountBelow, map[string]string{
		"distributor_id": o.Event.DistributorID,
		"device_id":      o.Event.DeviceID,
		"amount":         f(o.Event.Amount),
		"entitlement":    f(ent.Amount),
		"shortfall":      f(ent.Amount - o.Event.Amount),
	})
}

// raise adds rule to o's decision and an alert with evidence, leaving the
// action as it is; empty evidence values are left out.
func raise(o *domain.Outcome, rule string, evidence map[string]string) {
	for k, v := range evidence {
		if v == "" {
			delete(evidence, k)
		}
	}
	d := &o.Decision
	d.Rules = append(d.Rules, rule)
	district := ""
	if o.Event.Location != nil {
		// By code where known, filled in from a union or upazila
		// when the location gives no district.
		district = domain.Places().PlaceArea(o.Event.Location.Area()).District
	}
	o.Alerts = append(o.Alerts, domain.Alert{
		AlertID:   domain.AlertID(o.Event.EventID, rule),
		EventID:   o.Event.EventID,
		Rule:      rule,
		Action:    d.Action,
		Programme: o.Event.Programme,
		PersonID:  d.PersonID,
		District:  district,
		Evidence:  evidence,
		CreatedAt: d.DecidedAt,
	})
}
