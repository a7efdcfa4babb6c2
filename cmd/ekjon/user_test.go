package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// userEnv is a record and a review API on it, and `ekjon user` run
// against the record.
type userEnv struct {
	t     *testing.T
	ctx   context.Context
	dbURL string
	store *postgres.Store
	srv   *httptest.Server
}

func newUserEnv(t *testing.T) *userEnv {
	t.Helper()
	ctx := context.Background()
	u := &userEnv{t: t, ctx: ctx, dbURL: pgtest.MustSchema(t)}
	var err error
	if u.store, err = postgres.Open(ctx, u.dbURL, 4); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.store.Close)
	if _, err := u.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rv, err := api.NewReview(u.store, u.store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry(), api.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	rv.Mount(r)
	u.srv = httptest.NewServer(r)
	t.Cleanup(u.srv.Close)
	return u
}

// user runs `ekjon user args…` and returns its standard output and error.
func (u *userEnv) user(args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "EKJON_DATABASE_URL":
			return u.dbURL
		case "EKJON_USER_PASSWORD":
			return "a-password-long-enough"
		case "USER":
			return "ops"
		}
		return ""
	}
	err = run(u.ctx, append([]string{"user"}, args...), getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

func (u *userEnv) mustUser(args ...string) (stdout, stderr string) {
	u.t.Helper()
	out, errOut, err := u.user(args...)
	if err != nil {
		u.t.Fatalf("ekjon user %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out, errOut
}

// status is the status of GET /api/v1/me with a bearer token, or with a
// session cookie when token starts with "s_".
func (u *userEnv) status(token string) int {
	u.t.Helper()
	req, _ := http.NewRequestWithContext(u.ctx, http.MethodGet, u.srv.URL+"/api/v1/me", nil)
	if strings.HasPrefix(token, "s_") {
		req.AddCookie(&http.Cookie{Name: "ekjon_session", Value: token})
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (u *userEnv) count(q string, args ...any) int {
	u.t.Helper()
	var n int
	if err := u.store.Pool().QueryRow(u.ctx, q, args...).Scan(&n); err != nil {
		u.t.Fatal(err)
	}
	return n
}

// session starts a browser session for username, as a login does.
func (u *userEnv) session(username, cookie string) {
	u.t.Helper()
	if err := u.store.CreateSession(u.ctx, api.HashToken(cookie), username, "csrf", "127.0.0.1", time.Now().Add(time.Hour)); err != nil {
		u.t.Fatal(err)
	}
}

var tokenID = regexp.MustCompile(`token id (ekj_[A-Za-z0-9_-]{8})`)

// TestUserDisable: a disabled user's sessions and tokens stop working at
// once, and the disabling is audited; other users are untouched.
func TestUserDisable(t *testing.T) {
	u := newUserEnv(t)
	u.mustUser("add", "-name", "root", "-role", "admin")
	u.mustUser("add", "-name", "rahim", "-role", "reviewer")
	u.mustUser("add", "-name", "karim", "-role", "reviewer")
	tok, _ := u.mustUser("token", "-name", "rahim", "-label", "laptop")
	tok = strings.TrimSpace(tok)
	other, _ := u.mustUser("token", "-name", "karim")
	other = strings.TrimSpace(other)
	u.session("rahim", "s_rahim-session")
	if s := u.status(tok); s != http.StatusOK {
		t.Fatalf("token before disabling: %d", s)
	}
	if s := u.status("s_rahim-session"); s != http.StatusOK {
		t.Fatalf("session before disabling: %d", s)
	}

	out, _ := u.mustUser("disable", "-name", "rahim")
	if !strings.Contains(out, "rahim disabled") {
		t.Errorf("disable said %q", out)
	}
	if s := u.status(tok); s != http.StatusUnauthorized {
		t.Errorf("token after disabling: %d, want 401", s)
	}
	if s := u.status("s_rahim-session"); s != http.StatusUnauthorized {
		t.Errorf("session after disabling: %d, want 401", s)
	}
	if s := u.status(other); s != http.StatusOK {
		t.Errorf("another user's token after disabling rahim: %d", s)
	}
	if n := u.count(`SELECT count(*) FROM sessions WHERE username = 'rahim'`); n != 0 {
		t.Errorf("%d sessions of rahim left", n)
	}
	if n := u.count(`SELECT count(*) FROM audit WHERE action = 'user:disable' AND object_id = 'rahim' AND actor = 'cli:ops'
		AND (after->>'sessions_ended')::int = 1 AND (after->>'tokens_revoked')::int = 1`); n != 1 {
		t.Errorf("%d audit entries of the disabling, want 1", n)
	}
	if _, _, err := u.user("disable", "-name", "nobody"); err == nil {
		t.Error("disabling an unknown user succeeded")
	}
}

// TestUserTokenRevoke: a token is revoked by its label (every live token
// of the user with it) or by the id printed when it was made, at once and
// audited; a revocation matching nothing is an error.
func TestUserTokenRevoke(t *testing.T) {
	u := newUserEnv(t)
	u.mustUser("add", "-name", "root", "-role", "admin")
	u.mustUser("add", "-name", "etl", "-role", "viewer")
	u.mustUser("add", "-name", "other", "-role", "viewer")
	mk := func(name, label string) (token, id string) {
		t.Helper()
		out, errOut := u.mustUser("token", "-name", name, "-label", label)
		m := tokenID.FindStringSubmatch(errOut)
		token = strings.TrimSpace(out)
		if m == nil || !strings.HasPrefix(token, m[1]) {
			t.Fatalf("token %q, its id not said (%q)", token, errOut)
		}
		return token, m[1]
	}
	ci1, _ := mk("etl", "ci")
	ci2, _ := mk("etl", "ci")
	laptop, laptopID := mk("etl", "laptop")
	whole, _ := mk("etl", "spare")
	othersCI, _ := mk("other", "ci")

	out, _ := u.mustUser("token", "-name", "etl", "--revoke", "ci")
	if !strings.Contains(out, "2 tokens of etl revoked") {
		t.Errorf("revoke by label said %q", out)
	}
	for tok, want := range map[string]int{ci1: 401, ci2: 401, laptop: 200, whole: 200, othersCI: 200} {
		if s := u.status(tok); s != want {
			t.Errorf("after revoking etl's ci tokens, %s…: %d, want %d", tok[:12], s, want)
		}
	}
	u.mustUser("token", "-name", "etl", "--revoke", laptopID)
	if s := u.status(laptop); s != http.StatusUnauthorized {
		t.Errorf("laptop token after revoking it by id: %d", s)
	}
	u.mustUser("token", "-name", "etl", "--revoke", whole)
	if s := u.status(whole); s != http.StatusUnauthorized {
		t.Errorf("token after revoking it whole: %d", s)
	}
	if n := u.count(`SELECT count(*) FROM audit WHERE action = 'token:revoke' AND object_id = 'etl' AND actor = 'cli:ops'`); n != 4 {
		t.Errorf("%d revocations audited, want 4", n)
	}
	for _, which := range []string{"ci", "nothing-like-it", laptopID} {
		if _, _, err := u.user("token", "-name", "etl", "--revoke", which); err == nil {
			t.Errorf("revoking %q again succeeded", which)
		}
	}
	if _, _, err := u.user("token", "-name", "etl", "--revoke", othersCI); err == nil {
		t.Error("revoked another user's token")
	}
	if s := u.status(othersCI); s != http.StatusOK {
		t.Errorf("other's token: %d", s)
	}
}

// TestUserMinistries: a user added with -ministries is bound to them, and
// a ministry the policy does not know is refused before anyone is added.
func TestUserMinistries(t *testing.T) {
	u := newUserEnv(t)
	u.mustUser("add", "-name", "root", "-role", "admin")
	if _, _, err := u.user("add", "-name", "typo", "-role", "viewer", "-ministries", "social_welfair"); err == nil ||
		!strings.Contains(err.Error(), "social_welfair") {
		t.Fatalf("unknown ministry: err = %v", err)
	}
	if n := u.count(`SELECT count(*) FROM users WHERE username = 'typo'`); n != 0 {
		t.Fatal("a user with an unknown ministry was added")
	}
	out, _ := u.mustUser("add", "-name", "dss", "-role", "reviewer", "-ministries", "social_welfare, food")
	if !strings.Contains(out, "sees the programmes of social_welfare, food") {
		t.Errorf("output %q", out)
	}
	if n := u.count(`SELECT count(*) FROM users WHERE username = 'dss' AND ministries = ARRAY['social_welfare', 'food']`); n != 1 {
		t.Error("the user's ministries are not recorded")
	}
	if n := u.count(`SELECT count(*) FROM audit WHERE action = 'user:add' AND object_id = 'dss' AND after->'ministries' ? 'food'`); n != 1 {
		t.Error("the ministries are not in the audit trail")
	}
}

func TestUserDistributorAreas(t *testing.T) {
	u := newUserEnv(t)
	u.mustUser("add", "-name", "root", "-role", "admin")
	out, errOut := u.mustUser("add", "-name", "d1", "-role", "distributor", "-programmes", "old_age",
		"-areas", "ঢাকা, division:Sylhet, 30, Nawabganj, Ghoshpara")
	for _, want := range []string{"serves district 26, Dhaka (ঢাকা)", "serves division 60, Sylhet (সিলেট)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	for _, want := range []string{"area 30: ambiguous (division 30 Dhaka (ঢাকা), district 30 Feni (ফেনী))",
		"area Nawabganj: ambiguous", "area Ghoshpara: unknown; matches only places written Ghoshpara"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("warnings %q lack %q", errOut, want)
		}
	}
	if strings.Contains(errOut, "ঢাকা:") || strings.Contains(errOut, "Sylhet:") {
		t.Errorf("warnings %q name a known area", errOut)
	}
	// The areas are kept as given (a warning, not a refusal): read
	// through the gazetteer when a scan is checked.
	if n := u.count(`SELECT count(*) FROM distributor_scopes WHERE username = 'd1' AND areas = ARRAY['ঢাকা', 'division:Sylhet', '30', 'Nawabganj', 'Ghoshpara']`); n != 1 {
		t.Error("the areas are not recorded as given")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/places.csv", []byte("division,district,upazila,union,name_en,name_bn\n,26,72,,Savar,সাভার\n,26,72,17,Ashulia,আশুলিয়া\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut = u.mustUser("add", "-name", "d3", "-role", "distributor", "-programmes", "old_age", "-areas", "সাভার,Ashulia", "-places-file", dir+"/places.csv")
	// A union is an area like any other: a scan's location may name it.
	if !strings.Contains(out, "serves upazila 2672, Savar (সাভার)") || !strings.Contains(out, "serves union 267217, Ashulia (আশুলিয়া)") || errOut != "" {
		t.Errorf("with a places file: output %q, warnings %q", out, errOut)
	}
	if _, _, err := u.user("add", "-name", "d2", "-role", "distributor", "-programmes", "old_age", "-areas", "Savar",
		"-places-file", "/nonexistent/places.csv"); err == nil || !strings.Contains(err.Error(), "-places-file") {
		t.Fatalf("a places file that cannot be read: err = %v", err)
	}
	if n := u.count(`SELECT count(*) FROM users WHERE username = 'd2'`); n != 0 {
		t.Fatal("a distributor was added with a places file that cannot be read")
	}
}
