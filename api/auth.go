package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// Cookie names.
const (
	sessionCookie = "ekjon_session"
	loginCookie   = "ekjon_login_csrf"
	// TokenPrefix starts every API token, so a leaked one is recognisable.
	TokenPrefix = "ekj_"
)

// Principal is who is calling: a user by session or by API token.
type Principal struct {
	Username string
	Role     string
	// Ministries bind the user to their programmes (see review.Scope).
	Ministries []string
	Address    string
	// CSRF is the session's CSRF token; "" for a token client, which needs
	// none because browsers do not send bearer tokens on their own.
	CSRF    string
	session bool
	// scope is the distributor's scope read with the token, if it was.
	scope *domain.DistributorScope
}

func (p *Principal) actor() review.Actor {
	return review.Actor{Username: p.Username, Role: p.Role, Address: p.Address}
}

type principalKey struct{}

func principalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// HashPassword returns the bcrypt hash of a password; it refuses passwords
// too short to be worth hashing.
func HashPassword(pw string) (string, error) { return hashPassword(pw, bcrypt.DefaultCost) }

func hashPassword(pw string, cost int) (string, error) {
	if len(pw) < 10 {
		return "", invalidField("password", "must be at least 10 characters")
	}
	if len(pw) > 72 {
		return "", invalidField("password", "must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}

// NewToken returns a fresh random secret with prefix, and the hash under
// which it is stored.
func NewToken(prefix string) (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// TokenID is the id of an API token: its prefix and its next 8
// characters (48 random bits), enough to tell one user's tokens apart and
// far too few to open anything.
func TokenID(token string) string {
	return token[:min(len(token), len(TokenPrefix)+8)]
}

// HashToken is how tokens and session cookies are kept at rest.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// authenticate finds the caller by bearer token or session cookie. It
// returns nil, nil when the request carries neither.
func (rv *Review) authenticate(r *http.Request) (*Principal, error) {
	addr := rv.clientOf(r)
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(tok, TokenPrefix) {
			return nil, errUnauthenticated("the Authorization header must be Bearer " + TokenPrefix + "…")
		}
		u, err := rv.users.TokenUser(r.Context(), HashToken(tok))
		if domain.KindOf(err) == domain.KindNotFound {
			return nil, errUnauthenticated("unknown or revoked API token")
		}
		if err != nil {
			return nil, err
		}
		return &Principal{Username: u.Username, Role: u.Role, Ministries: u.Ministries, Address: addr, scope: u.Scope}, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	u, csrf, err := rv.users.Session(r.Context(), HashToken(c.Value), rv.cfg.Now())
	if domain.KindOf(err) == domain.KindNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Principal{Username: u.Username, Role: u.Role, Ministries: u.Ministries, Address: addr, CSRF: csrf, session: true}, nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// checkCSRF refuses a state-changing request made with a session cookie
// unless it carries the session's CSRF token, in the X-CSRF-Token header
// or the csrf form field.
func checkCSRF(r *http.Request, p *Principal) error {
	if !p.session || !unsafeMethod(r.Method) {
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
		return errForbidden("missing or wrong CSRF token; reload the page and try again")
	}
	return nil
}

// requireAPI authenticates an API request: 401 without credentials, 403 on
// a bad CSRF token.
func (rv *Review) requireAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := rv.authenticate(r)
		if err == nil && p == nil {
			err = errUnauthenticated("log in or send an API token")
		}
		if err == nil {
			err = checkCSRF(r, p)
		}
		if err == nil && p.Role == review.RoleDistributor && !strings.HasPrefix(r.URL.Path, "/api/v1/scans") {
			// A distributor's token serves the scan app and nothing else.
			err = errForbidden("a distributor may only scan cards")
		}
		if err != nil {
			writeError(w, r, rv.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func (rv *Review) secure(r *http.Request) bool {
	return rv.cfg.SecureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (rv *Review) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: rv.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

// login checks a username and password from client, limited per account
// and client and per client (see throttle.go), audits the attempt, and on
// success starts a session and returns the cookie value.
func (rv *Review) login(r *http.Request, username, password, client string) (string, error) {
	ctx := r.Context()
	th := rv.throttle(username, client)
	wait, err := th.begin(r)
	if err != nil {
		return "", err
	}
	if wait > 0 {
		rv.logins.WithLabelValues("limited").Inc()
		return "", errTooMany("too many failed logins from here; try again later", wait)
	}
	u, err := rv.users.User(ctx, username)
	if err != nil && domain.KindOf(err) != domain.KindNotFound {
		return "", err
	}
	ok := err == nil && !u.Disabled && u.PasswordHash != "" &&
		bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
	if !ok {
		rv.logins.WithLabelValues("failed").Inc()
		if err := rv.users.Audit(ctx, review.AuditEntry{Actor: username, Action: "login:failed", ObjectKind: "user",
			ObjectID: username, Address: client}); err != nil {
			return "", err
		}
		return "", errUnauthenticated("wrong username or password")
	}
	if err := th.succeeded(r); err != nil {
		return "", err
	}
	tok, hash := NewToken("s_")
	csrf, _ := NewToken("")
	if err := rv.users.CreateSession(ctx, hash, u.Username, csrf[:32], client, th.now.Add(rv.cfg.SessionTTL)); err != nil {
		return "", err
	}
	rv.logins.WithLabelValues("ok").Inc()
	if err := rv.users.Audit(ctx, review.AuditEntry{Actor: u.Username, Role: u.Role, Action: "login", ObjectKind: "user",
		ObjectID: u.Username, Address: client}); err != nil {
		return "", err
	}
	return tok, nil
}
