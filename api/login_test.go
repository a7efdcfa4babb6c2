package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// retryAfter is the Retry-After of a refused login, in seconds.
func retryAfter(t *testing.T, r response) int {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("Retry-After %q on a %d", r.header.Get("Retry-After"), r.status)
	}
	return n
}

// TestLoginBackoff: one address hammering one account is slowed: after the
// allowed failures every attempt waits, even with the right password, and
// each failure after a wait doubles it; the right password after the wait
// logs in and forgives the account's failures from that address.
func TestLoginBackoff(t *testing.T) {
	clock := newTestClock()
	e := newEnvWith(t, func(c *Config) { c.Now = clock.now })
	cfg := DefaultConfig()
	b := e.newBrowser("127.0.0.2")
	for i := 0; i < cfg.LoginAttempts; i++ {
		_, r := b.login("reviewer", "wrong-password")
		mustStatus(t, "wrong password", r, http.StatusUnauthorized)
	}
	_, r := b.login("reviewer", "reviewer-password")
	mustStatus(t, "right password while backing off", r, http.StatusTooManyRequests)
	first := retryAfter(t, r)
	if time.Duration(first)*time.Second != cfg.LoginBackoff {
		t.Fatalf("first wait %ds, want %v", first, cfg.LoginBackoff)
	}
	clock.advance(time.Duration(first)*time.Second - time.Millisecond)
	_, r = b.login("reviewer", "wrong-password")
	mustStatus(t, "just before the wait ends", r, http.StatusTooManyRequests)
	clock.advance(time.Millisecond)
	_, r = b.login("reviewer", "wrong-password")
	mustStatus(t, "once the wait ended", r, http.StatusUnauthorized)
	_, r = b.login("reviewer", "wrong-password")
	mustStatus(t, "right after another failure", r, http.StatusTooManyRequests)
	if second := retryAfter(t, r); second != 2*first {
		t.Fatalf("second wait %ds, want %ds", second, 2*first)
	}
	clock.advance(time.Duration(2*first) * time.Second)
	_, r = b.login("reviewer", "reviewer-password")
	mustStatus(t, "the right password after the wait", r, http.StatusSeeOther)
	_, r = b.login("reviewer", "wrong-password")
	mustStatus(t, "a failure after logging in", r, http.StatusUnauthorized)
}

// TestLoginLimitSparesTheSupervisor: an attacker hammering the supervisor's
// account from one address neither locks the supervisor out at their own
// address nor stops the attacker's neighbours' other accounts from being
// limited apart.
func TestLoginLimitSparesTheSupervisor(t *testing.T) {
	clock := newTestClock()
	e := newEnvWith(t, func(c *Config) { c.Now = clock.now })
	attacker := e.newBrowser("127.0.0.2")
	limited := false
	for i := 0; i < 3*DefaultConfig().LoginAttempts; i++ {
		_, r := attacker.login("supervisor", "guess-"+strconv.Itoa(i))
		limited = limited || r.status == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("the attacker was never slowed")
	}
	_, r := attacker.login("supervisor", "supervisor-password")
	mustStatus(t, "the right password from the attacker's address", r, http.StatusTooManyRequests)
	_, r = e.newBrowser("127.0.0.3").login("supervisor", "supervisor-password")
	mustStatus(t, "the supervisor at their own address", r, http.StatusSeeOther)
	if a := e.queryString(`SELECT address FROM audit WHERE action = 'login' AND actor = 'supervisor'`); a != "127.0.0.3" {
		t.Errorf("login audited from %q", a)
	}
}

// TestLoginLimitBehindAProxy: behind a trusted proxy each user is the
// address the proxy forwards for, so one attacker there locks out none of
// the proxy's other users; without the proxy trusted, X-Forwarded-For is
// not believed, so an attacker cannot slip the limit by forging it.
func TestLoginLimitBehindAProxy(t *testing.T) {
	clock := newTestClock()
	proxy := netip.MustParsePrefix("127.0.0.0/30")
	e := newEnvWith(t, func(c *Config) { c.Now = clock.now; c.TrustedProxies = []netip.Prefix{proxy} })
	cfg := DefaultConfig()
	attacker := e.newBrowser("127.0.0.2")
	// The attacker forges a first hop; the proxy appends the address it
	// received the request from, which is what counts.
	attacker.forwarded = "198.51.100.1, 203.0.113.7"
	for i := 0; i < cfg.LoginClientAttempts+cfg.LoginAttempts; i++ {
		// Many accounts, each tried a few times: the client's own limit.
		_, r := attacker.login(fmt.Sprintf("user%d", i/cfg.LoginAttempts), "guess")
		if r.status == http.StatusTooManyRequests {
			break
		}
	}
	_, r := attacker.login("reviewer", "reviewer-password")
	mustStatus(t, "the attacker behind the proxy", r, http.StatusTooManyRequests)
	for i, user := range []string{"reviewer", "supervisor", "viewer", "admin"} {
		b := e.newBrowser("127.0.0.2")
		b.forwarded = fmt.Sprintf("198.51.100.%d", i+1)
		_, r := b.login(user, user+"-password")
		mustStatus(t, user+" behind the proxy", r, http.StatusSeeOther)
	}
	if a := e.queryString(`SELECT address FROM audit WHERE action = 'login' AND actor = 'viewer'`); a != "198.51.100.3" {
		t.Errorf("login audited from %q, want the client's address", a)
	}

	// Not through a trusted proxy: X-Forwarded-For is the client's own
	// claim and changes nothing.
	e2 := newEnvWith(t, func(c *Config) { c.Now = clock.now })
	forger := e2.newBrowser("127.0.0.2")
	for i := 0; i < cfg.LoginAttempts; i++ {
		forger.forwarded = fmt.Sprintf("192.0.2.%d", i+1)
		_, r := forger.login("reviewer", "guess")
		mustStatus(t, "a forged failure", r, http.StatusUnauthorized)
	}
	forger.forwarded = "192.0.2.200"
	_, r = forger.login("reviewer", "reviewer-password")
	mustStatus(t, "a forged address after the limit", r, http.StatusTooManyRequests)
	if a := e2.queryString(`SELECT DISTINCT address FROM audit WHERE action = 'login:failed'`); a != "127.0.0.2" {
		t.Errorf("failures audited from %q, want the peer's address", a)
	}
}

// TestLoginLimitShared: the counts live in the record, so a second API
// instance refuses what the first has limited.
func TestLoginLimitShared(t *testing.T) {
	clock := newTestClock()
	e := newEnvWith(t, func(c *Config) { c.Now = clock.now })
	cfg := DefaultConfig()
	cfg.Now = clock.now
	srv := e.serveAnother(nil, cfg)
	b := e.newBrowser("127.0.0.2")
	for i := 0; i < cfg.LoginAttempts; i++ {
		_, r := b.login("reviewer", "wrong-password")
		mustStatus(t, "wrong password", r, http.StatusUnauthorized)
	}
	b2 := e.newBrowser("127.0.0.2")
	b2.srv = srv.URL
	_, res := b2.login("reviewer", "reviewer-password")
	mustStatus(t, "the other instance", res, http.StatusTooManyRequests)
}
