package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/ekjon/ekjon/cards"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// CardService is what the card and scan routes need of the rest of ekjon;
// cmd/ekjon/internal/app wires the record, the index and a processor into
// one. Errors of KindNotFound mean no such person or card.
type CardService interface {
	// CardOf returns the person's card (the live one, or the last).
	CardOf(ctx context.Context, personID string) (domain.Card, error)
	// Token returns the QR payload of a card.
	Token(c domain.Card) string
	// ReplaceCard and RevokeCard change the person's card (see
	// sinks/postgres), and have the index know it before they return.
	ReplaceCard(ctx context.Context, personID, actor, reason string) (domain.Card, error)
	RevokeCard(ctx context.Context, personID, actor, reason string) (domain.Card, error)
	// CardSheet lists the live cards of a union ("" for all) of the
	// persons enrolled in one of programmes (nil for any programme).
	CardSheet(ctx context.Context, union string, programmes []string, limit int) ([]SheetCard, error)
	// ResolveCard says whose the card token qr is: live is false for a
	// replaced or revoked card; personID is "" for a token that is not a
	// card ekjon issued.
	ResolveCard(ctx context.Context, qr string) (personID string, live bool, err error)
	// CardHolder tells what a distributor may know of a person.
	CardHolder(ctx context.Context, personID, programme, cycle string) (domain.CardHolder, error)
	// DistributorScope is what a distributor may hand out.
	DistributorScope(ctx context.Context, username string) (domain.DistributorScope, error)
	// Scan decides a distribution that a scan makes, as the stream
	// would: durable and in the outbox when it returns.
	Scan(ctx context.Context, e *domain.Event) (domain.Outcome, error)
	// RecordRefusal records a scan refused for its distributor's scope,
	// with its alert.
	RecordRefusal(ctx context.Context, d domain.Decision, a domain.Alert) error
	// CountInvalidCard counts a card a verify found invalid against its
	// distributor and device, as a scan's is (DISTRIBUTOR_INVALID_CARDS),
	// recording the verify with the alert when it passes the limit.
	CountInvalidCard(ctx context.Context, e *domain.Event) error
	// Policy is the programme catalogue and its version.
	Policy() domain.Policy
}

// SheetCard is one line of a printable card sheet.
type SheetCard struct {
	PersonID, CardNo, NameBN, NameEN, Union, Upazila string
	Version                                          int
	QR                                               string
}

// SetCards has the service serve aid cards and scans through cs. Call it
// before Mount.
func (rv *Review) SetCards(cs CardService) { rv.cards = cs }

func (rv *Review) mountCards(r chi.Router) {
	r.Get("/persons/{id}/card", rv.apiCard)
	r.Get("/persons/{id}/card.png", rv.apiCardPNG)
	r.Post("/persons/{id}/card/replace", rv.apiChangeCard(true))
	r.Post("/persons/{id}/card/revoke", rv.apiChangeCard(false))
	r.Post("/scans/verify", rv.apiScanVerify)
	r.Post("/scans", rv.apiScan)
}

// requireSupervisor refuses anyone below a supervisor: cards open aid.
func requireSupervisor(p *Principal) error {
	if !review.AtLeast(p.Role, review.RoleSupervisor) {
		return errForbidden("cards are for supervisors and admins")
	}
	return nil
}

// cardView is a card as the API shows it.
type cardView struct {
	PersonID string `json:"person_id"`
	CardNo   string `json:"card_no"`
	Version  int    `json:"version"`
	Status   string `json:"status"`
	QR       string `json:"qr"`
	IssuedAt string `json:"issued_at"`
}

func (rv *Review) cardOf(w http.ResponseWriter, r *http.Request) (domain.Card, bool) {
	p := principalFrom(r.Context())
	err := requireSupervisor(p)
	var c domain.Card
	if err == nil {
		err = rv.personInScope(r.Context(), p, chi.URLParam(r, "id"))
	}
	if err == nil {
		c, err = rv.cards.CardOf(r.Context(), chi.URLParam(r, "id"))
	}
	if err != nil {
		writeError(w, r, rv.log, err)
		return c, false
	}
	return c, true
}

// personInScope refuses, as not found, a person enrolled in none of the
// programmes of who's ministries: a card serves every programme, but a
// ministry's supervisor reads and changes the cards of its own people only.
func (rv *Review) personInScope(ctx context.Context, who *Principal, personID string) error {
	if !rv.scope(who).Limited {
		return nil
	}
	_, err := rv.PersonView(ctx, who, personID)
	return err
}

func (rv *Review) viewCard(c domain.Card) cardView {
	return cardView{PersonID: c.PersonID, CardNo: c.CardNo, Version: c.Version, Status: c.Status,
		QR: rv.cards.Token(c), IssuedAt: c.IssuedAt.UTC().Format(time.RFC3339)}
}

func (rv *Review) apiCard(w http.ResponseWriter, r *http.Request) {
	if c, ok := rv.cardOf(w, r); ok {
		writeJSON(w, http.StatusOK, rv.viewCard(c))
	}
}

// qrPNG draws a token as a QR code. Medium error correction survives a
// worn or creased card.
func qrPNG(token string, size int) ([]byte, error) {
	return qrcode.Encode(token, qrcode.Medium, size)
}

func (rv *Review) apiCardPNG(w http.ResponseWriter, r *http.Request) {
	c, ok := rv.cardOf(w, r)
	if !ok {
		return
	}
	png, err := qrPNG(rv.cards.Token(c), 256)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}

type cardChange struct {
	Reason string `json:"reason"`
}

func (rv *Review) apiChangeCard(replace bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		err := requireSupervisor(p)
		if err == nil {
			err = rv.personInScope(r.Context(), p, chi.URLParam(r, "id"))
		}
		if err != nil {
			writeError(w, r, rv.log, err)
			return
		}
		var body cardChange
		if err := decodeBody(r, &body); err != nil {
			writeError(w, r, rv.log, err)
			return
		}
		if strings.TrimSpace(body.Reason) == "" || len(body.Reason) > 500 {
			writeError(w, r, rv.log, invalidField("reason", "is required, at most 500 bytes"))
			return
		}
		change := rv.cards.RevokeCard
		if replace {
			change = rv.cards.ReplaceCard
		}
		c, err := change(r.Context(), chi.URLParam(r, "id"), p.Username, body.Reason)
		if err != nil {
			writeError(w, r, rv.log, err)
			return
		}
		writeJSON(w, http.StatusOK, rv.viewCard(c))
	}
}

// ScanRequest is what a distributor's app sends for a card it scanned.
type ScanRequest struct {
	ScanID    string             `json:"scan_id"`
	QR        string             `json:"qr"`
	Programme string             `json:"programme"`
	Cycle     string             `json:"cycle"`
	DeviceID  string             `json:"device_id"`
	Location  *domain.Location   `json:"location"`
	Amount    *float64           `json:"amount,omitempty"`
	Items     map[string]float64 `json:"items,omitempty"`
}

// entitlementView is what a beneficiary is due in a cycle.
type entitlementView struct {
	Amount float64            `json:"amount,omitempty"`
	Items  map[string]float64 `json:"items,omitempty"`
}

// ScanResponse answers a scan.
type ScanResponse struct {
	Decision    domain.Decision  `json:"decision"`
	Entitlement *entitlementView `json:"entitlement,omitempty"`
}

// readScan reads a scan request. Only a body that is not JSON is the
// caller's error (400); everything a card or its fields get wrong is a
// decision.
func readScan(r *http.Request) (ScanRequest, error) {
	var s ScanRequest
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return s, invalidField("body", "could not be read")
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, invalidField("body", "is not a JSON scan request")
	}
	return s, nil
}

// scope checks that the distributor may serve the scan; outside their
// scope the attempt is recorded with an alert and refused with 403.
func (rv *Review) distributorScope(r *http.Request, p *Principal, s ScanRequest) error {
	if p.Role != review.RoleDistributor && !review.AtLeast(p.Role, review.RoleAdmin) {
		return errForbidden("scanning cards is for distributors")
	}
	if p.Role != review.RoleDistributor {
		return nil
	}
	// Read with the token when the caller came with one: the scope as it
	// is now, one round trip fewer.
	var sc domain.DistributorScope
	if p.scope != nil {
		sc = *p.scope
	} else {
		var err error
		if sc, err = rv.cards.DistributorScope(r.Context(), p.Username); err != nil {
			return err
		}
	}
	var at domain.Location
	if s.Location != nil {
		at = *s.Location
	}
	if sc.Allows(s.Programme, at, s.DeviceID) {
		return nil
	}
	now := rv.cfg.Now().UTC().Truncate(time.Microsecond)
	id := "scope:" + p.Username + ":" + truncate(s.ScanID, 100)
	d := domain.Decision{EventID: id, EventType: domain.TypeDistribution, Source: "scan-api", Programme: truncate(s.Programme, 64),
		Action: domain.ActionRejected, Rules: []string{domain.RuleDistributorScope},
		Reason:    "distributor " + p.Username + " scanned outside the programmes, areas or devices they may serve",
		DecidedAt: now, ConfigVersion: rv.cards.Policy().Version}
	a := domain.Alert{AlertID: domain.AlertID(id, domain.RuleDistributorScope), EventID: id, Rule: domain.RuleDistributorScope,
		Action: domain.ActionRejected, Programme: d.Programme, District: truncate(domain.Places().PlaceArea(at.Area()).District, 64), CreatedAt: now}
	if err := rv.cards.RecordRefusal(r.Context(), d, a); err != nil {
		return err
	}
	return errForbidden("you may not hand out this programme here, or from this device")
}

// scanEvent is the distribution a scan makes: the event the stream would
// carry for it, under an id of the distributor's own scan id.
func (rv *Review) scanEvent(p *Principal, s ScanRequest) *domain.Event {
	e := &domain.Event{
		EventID:       "scan:" + p.Username + ":" + s.ScanID,
		Type:          domain.TypeDistribution,
		OccurredAt:    rv.cfg.Now().UTC().Format(time.RFC3339Nano),
		Source:        "scan-api",
		Programme:     s.Programme,
		Cycle:         s.Cycle,
		CardQR:        s.QR,
		Channel:       "card",
		DistributorID: p.Username,
		DeviceID:      s.DeviceID,
		Location:      s.Location,
	}
	ent, ok := rv.cards.Policy().EntitlementOf(s.Programme)
	if s.Amount != nil {
		e.Amount = *s.Amount
	} else if ok {
		e.Amount = ent.Amount
	}
	if s.Items != nil {
		e.Items = s.Items
	} else if ok && len(ent.Items) > 0 {
		e.Items = maps.Clone(ent.Items)
	}
	return e
}

func (rv *Review) entitlement(programme string) *entitlementView {
	ent, ok := rv.cards.Policy().EntitlementOf(programme)
	if !ok {
		return nil
	}
	return &entitlementView{Amount: ent.Amount, Items: ent.Items}
}

func (rv *Review) apiScan(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	s, err := readScan(r)
	if err == nil {
		err = rv.distributorScope(r, p, s)
	}
	var o domain.Outcome
	if err == nil {
		o, err = rv.cards.Scan(r.Context(), rv.scanEvent(p, s))
	}
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	writeJSON(w, http.StatusOK, ScanResponse{Decision: o.Decision, Entitlement: rv.entitlement(s.Programme)})
}

// VerifyResponse tells a distributor whose card they hold and whether they
// may hand out; nothing is claimed.
type VerifyResponse struct {
	Card        string           `json:"card"` // live, ended or invalid
	PersonID    string           `json:"person_id,omitempty"`
	NameBN      string           `json:"name_bn,omitempty"`
	NameEN      string           `json:"name_en,omitempty"`
	NID         string           `json:"nid,omitempty"` // masked
	Photo       string           `json:"photo,omitempty"`
	Programme   string           `json:"programme"`
	Cycle       string           `json:"cycle"`
	Enrolment   string           `json:"enrolment,omitempty"`
	Entitlement *entitlementView `json:"entitlement,omitempty"`
	MayReceive  bool             `json:"may_receive"`
	Rule        string           `json:"rule,omitempty"`
	Reason      string           `json:"reason,omitempty"`
}

func (rv *Review) apiScanVerify(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	s, err := readScan(r)
	if err == nil {
		err = rv.distributorScope(r, p, s)
	}
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	v, err := rv.verify(r.Context(), s)
	if err != nil {
		writeError(w, r, rv.log, err)
		return
	}
	// A forger tries codes where nothing is claimed: a card a verify
	// finds invalid counts as a scan's does. The answer does not wait on
	// the count's failing.
	if v.Card == "invalid" && p.Role == review.RoleDistributor {
		e := rv.scanEvent(p, s)
		e.EventID = "verify:" + p.Username + ":" + s.ScanID
		if err := rv.cards.CountInvalidCard(r.Context(), e); err != nil {
			rv.log.Warn("counting an invalid card a verify found failed", "err", domain.Redact(err.Error()))
		}
	}
	writeJSON(w, http.StatusOK, v)
}

func (rv *Review) verify(ctx context.Context, s ScanRequest) (VerifyResponse, error) {
	pol := rv.cards.Policy()
	v := VerifyResponse{Programme: s.Programme, Cycle: s.Cycle, Entitlement: rv.entitlement(s.Programme)}
	if c, err := domain.NormalizeCycle(pol.CycleKind(s.Programme), s.Cycle); err == nil {
		v.Cycle = c
	}
	pid, live, err := rv.cards.ResolveCard(ctx, s.QR)
	if err != nil {
		return v, err
	}
	switch {
	case pid == "":
		v.Card, v.Rule, v.Reason = "invalid", domain.RuleInvalidCard, "not a card ekjon issued"
		return v, nil
	case !live:
		v.Card, v.Rule, v.Reason = "ended", domain.RuleCardRevoked, "the card was replaced or revoked"
	default:
		v.Card = "live"
	}
	h, err := rv.cards.CardHolder(ctx, pid, s.Programme, v.Cycle)
	if err != nil && domain.KindOf(err) != domain.KindNotFound {
		return v, err
	}
	v.PersonID, v.NameBN, v.NameEN = pid, h.NameBN, h.NameEN
	v.NID = review.MaskField(review.RoleViewer, "nid", h.NID)
	v.Photo = "/static/photo-placeholder.svg"
	v.Enrolment = h.Enrolment
	if v.Rule != "" {
		return v, nil
	}
	switch {
	case h.Deceased || h.Enrolment == domain.EnrolmentExited || h.Enrolment == domain.EnrolmentSuspended:
		v.Rule, v.Reason = domain.RuleDeceasedOrExited, "the person is dead, exited or suspended"
	case h.Enrolment != domain.EnrolmentActive:
		v.Rule, v.Reason = domain.RuleUnknownPayee, "no active enrolment in this programme"
	case h.PaidThisCycle:
		v.Rule, v.Reason = domain.RuleDoublePayment, "already received this cycle"
	default:
		v.MayReceive = true
	}
	return v, nil
}

type sheetData struct {
	// Union is the union asked for, as given; Label its one name.
	Union, Label string
	Cards        []sheetLine
}

type sheetLine struct {
	SheetCard
	Number string
	PNG    template.URL
}

// cardSheetPage is a printable sheet of a union's cards: name in Bangla
// and English, number and QR, drawn inline so the page prints as it is.
func (rv *Review) cardSheetPage(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if err := requireSupervisor(p); err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	union := strings.TrimSpace(r.URL.Query().Get("union"))
	limit := 200
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 1000 {
		limit = n
	}
	// A ministry prints the cards of its own programmes' people only, as
	// it reads and changes only theirs (personInScope).
	var programmes []string
	if sc := rv.scope(p); sc.Limited {
		programmes = append([]string{}, sc.Programmes...)
	}
	list, err := rv.cards.CardSheet(r.Context(), union, programmes, limit)
	if err != nil {
		rv.pageError(w, r, p, err)
		return
	}
	d := sheetData{Union: union, Label: domain.Places().Label(domain.LevelUnion, union)}
	for _, c := range list {
		png, err := qrPNG(c.QR, 160)
		if err != nil {
			rv.pageError(w, r, p, err)
			return
		}
		// A data: URL of a PNG this server drew: safe to mark as a URL.
		d.Cards = append(d.Cards, sheetLine{SheetCard: c, Number: cards.Format(c.CardNo),
			PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
	}
	rv.render(w, http.StatusOK, "cards", view{Title: "Aid cards", Page: "cards", User: p, Data: d})
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
