package review

import (
	"context"
	"time"
)

// Store is the record as the review service reads and changes it:
// alerts, cases, persons, decisions, the overview and judgements.
// sinks/postgres's Store is one. Errors carry domain kinds: KindNotFound
// for an unknown alert, person or event, KindTransient for a record that
// is briefly unavailable. Implementations are safe for concurrent use.
type Store interface {
	// ListAlerts returns one page of the alerts f selects, oldest first,
	// and the cursor of the next page (nil on the last).
	ListAlerts(ctx context.Context, f AlertFilter) ([]AlertRow, *AlertCursor, error)
	// Alert returns one alert.
	Alert(ctx context.Context, alertID string) (AlertRow, error)
	// Case assembles everything a reviewer needs to rule on an alert.
	Case(ctx context.Context, alertID string) (*Case, error)
	// Person returns a person with their enrolments, decisions and
	// judgements.
	Person(ctx context.Context, personID string) (*PersonView, error)
	// Cluster returns the cluster of a person: its records, the edges
	// that join them and its history, identifiers in clear.
	Cluster(ctx context.Context, personID string) (*ClusterView, error)
	// Decision returns the recorded decision on an event.
	Decision(ctx context.Context, eventID string) (RevisedDecision, error)
	// Stats computes the overview for the hours up to now.
	// Only the programmes scope allows are counted.
	Stats(ctx context.Context, now time.Time, hours int, scope Scope) (*Stats, error)
	// Dashboard computes the overview by ministry, programme, division
	// and district for q.
	Dashboard(ctx context.Context, q DashboardQuery) (*Dashboard, error)
	// Judgement returns the stored judgement of two persons, in either
	// order; ok is false when nobody has judged the pair.
	Judgement(ctx context.Context, a, b string) (judgement string, ok bool, err error)
	// ReviewAlert applies one action to an alert in one transaction: it
	// locks the alert and its decision, asks plan what to change (plan's
	// error is returned as it is, and nothing changes), then writes the
	// changes, the audit row and, for a revised decision, the outbox row
	// together. Two actions on one alert are serialised: the second plans
	// on what the first left. It returns the alert as it now stands and
	// whether an outbox row was written.
	ReviewAlert(ctx context.Context, alertID string, actor Actor, reason string, plan func(*Locked) (Plan, error)) (AlertRow, bool, error)
}

// Users keeps the review service's users, their API tokens and browser
// sessions, and the audit trail of what they do outside alerts.
// sinks/postgres's Store is one. A lookup that finds no enabled user is of
// KindNotFound. Implementations are safe for concurrent use.
type Users interface {
	// User returns a user by name, enabled or not.
	User(ctx context.Context, username string) (User, error)
	// TokenUser returns the enabled user owning the unrevoked API token
	// with this hash; an implementation may read the user's distributor
	// scope with it (User.Scope), which the scan API then uses as read.
	TokenUser(ctx context.Context, tokenHash string) (User, error)
	// CreateSession stores a browser session by the hash of its cookie.
	CreateSession(ctx context.Context, tokenHash, username, csrf, address string, expires time.Time) error
	// Session returns the enabled user of a session unexpired at now, and
	// the session's CSRF token.
	Session(ctx context.Context, tokenHash string, now time.Time) (User, string, error)
	// DeleteSession ends a session.
	DeleteSession(ctx context.Context, tokenHash string, now time.Time) error
	// Audit appends one entry to the audit trail on its own.
	Audit(ctx context.Context, e AuditEntry) error
	// UpdateLoginFailures changes the failed-login counts of keys in one
	// transaction that holds them locked, so that attempts made at once,
	// through any instance of the API, are counted one after another: fn
	// is given the counts (a zero LoginFailures for a key without any)
	// and returns what they become (a zero Count forgets the key). Counts
	// last changed before forgetBefore are dropped on the way.
	UpdateLoginFailures(ctx context.Context, keys []string, forgetBefore time.Time,
		fn func(map[string]LoginFailures) map[string]LoginFailures) error
}
