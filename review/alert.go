package review

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/ekjon/ekjon/domain"
)

// Alert statuses. An alert is unresolved until closed.
const (
	AlertOpen      = "open"
	AlertAssigned  = "assigned"
	AlertEscalated = "escalated"
	AlertClosed    = "closed"
	// AlertActive is a filter value meaning every status but closed.
	AlertActive = "active"
)

// AlertRow is an alert as the review queue sees it: the pipeline's alert and
// where review stands.
type AlertRow struct {
	domain.Alert
	// NameBN and NameEN are the person's names, from the event's
	// enrolment or the person's first; the queue fills them.
	NameBN     string     `json:"name_bn,omitempty"`
	NameEN     string     `json:"name_en,omitempty"`
	Status     string     `json:"status"`
	Assignee   string     `json:"assignee,omitempty"`
	Revision   int        `json:"revision"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Resolution string     `json:"resolution,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// AlertFilter selects alerts for the queue. Zero fields do not filter.
type AlertFilter struct {
	// Status is one of the alert statuses or AlertActive.
	Status    string
	Rule      string
	Programme string
	District  string
	Assignee  string
	// CaseID lists the alerts of one case (domain.Alert.CaseID).
	CaseID string
	// CreatedBefore and CreatedAfter bound the alert's age.
	CreatedBefore time.Time
	CreatedAfter  time.Time
	After         *AlertCursor
	// Limit is the page size; PageSize caps it.
	Limit int
	// Scope limits the alerts to the programmes a user may see.
	Scope Scope
}

// PageSize is how many alerts one page holds: Limit, 50 when unset, and
// never more than 500, so that no request reads the whole queue.
func (f AlertFilter) PageSize() int {
	if f.Limit <= 0 {
		return 50
	}
	return min(f.Limit, 500)
}

// AlertCursor is the position after the last alert of a page: the queue is
// ordered by (created_at, alert_id).
type AlertCursor struct {
	CreatedAt time.Time
	AlertID   string
}

// Encode returns the cursor as an opaque URL-safe token.
func (c AlertCursor) Encode() string {
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 36) + "." + base64.RawURLEncoding.EncodeToString([]byte(c.AlertID))
}

// DecodeAlertCursor parses a token from Encode; the error is of KindInvalid.
func DecodeAlertCursor(s string) (AlertCursor, error) {
	ts, id, ok := strings.Cut(s, ".")
	us, err := strconv.ParseInt(ts, 36, 64)
	if !ok || err != nil {
		return AlertCursor{}, badCursor()
	}
	alertID, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return AlertCursor{}, badCursor()
	}
	return AlertCursor{CreatedAt: time.UnixMicro(us).UTC(), AlertID: string(alertID)}, nil
}

func badCursor() error {
	return &domain.Error{Kind: domain.KindInvalid, Op: "cursor", Fields: []domain.FieldError{{Field: "cursor", Reason: "is not a cursor this API returned"}}}
}
