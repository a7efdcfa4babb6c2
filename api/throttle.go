package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ekjon/ekjon/review"
)

// Failed logins are limited per account and client together, and per
// client, never per account alone: whoever types a supervisor's name at
// the login form from elsewhere must not be able to lock the supervisor
// out. Past the free failures of a key every attempt waits, the wait
// doubling with each further failure up to LoginMaxBackoff. The counts are
// kept in the record (review.Users.UpdateLoginFailures), where every
// instance of the API sees them: no decision rests on one process's
// memory.

// clientOf returns the address of the client behind r: the peer's, or,
// when the peer is a trusted proxy, the first address in X-Forwarded-For,
// read from the right, that no trusted proxy holds, which is the address
// the outermost trusted proxy received the request from. What lies to its
// left the client wrote itself, and is not believed. An X-Forwarded-For
// hop that is not an address ends the reading there.
func (rv *Review) clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	client := peer.Unmap()
	if !rv.trusted(client) {
		return client.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = hop
		if !rv.trusted(hop) {
			break
		}
	}
	return client.String()
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a
// port, IPv6 in brackets when it has one.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func (rv *Review) trusted(a netip.Addr) bool {
	for _, p := range rv.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limitedAs is the part of a client's address the limits count by: an
// IPv6 client holds its whole /64, so it counts as the /64.
func limitedAs(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil || !a.Is6() || a.Is4In6() {
		return client
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// loginKeys returns the keys failed logins of username from client count
// against: the pair, and the client. They are digests, so the record's
// table names no account and no address.
func loginKeys(username, client string) (pair, byClient string) {
	c := limitedAs(client)
	digest := func(kind, v string) string {
		s := sha256.Sum256([]byte(kind + "\x00" + v))
		return kind + ":" + hex.EncodeToString(s[:16])
	}
	return digest("pair", username+"\x00"+c), digest("client", c)
}

// backoff is how long a key that has failed count times must wait, after
// its last failure, before its next attempt: nothing before its first free
// failures, then base, doubling with each further failure, up to most.
func backoff(count, free int, base, most time.Duration) time.Duration {
	over := count - free
	switch {
	case over < 0:
		return 0
	case over > 30:
		return most
	}
	return min(base<<over, most)
}

// loginThrottle is one login attempt's limits.
type loginThrottle struct {
	rv           *Review
	pair, client string
	now          time.Time
}

func (rv *Review) throttle(username, client string) loginThrottle {
	pair, byClient := loginKeys(username, client)
	return loginThrottle{rv: rv, pair: pair, client: byClient, now: rv.cfg.Now()}
}

func (t loginThrottle) free(key string) int {
	if key == t.pair {
		return t.rv.cfg.LoginAttempts
	}
	return t.rv.cfg.LoginClientAttempts
}

func (t loginThrottle) update(r *http.Request, fn func(map[string]review.LoginFailures) map[string]review.LoginFailures) error {
	return t.rv.users.UpdateLoginFailures(r.Context(), []string{t.pair, t.client}, t.now.Add(-t.rv.cfg.LoginWindow), fn)
}

// begin asks whether the attempt may check a password now, and if so
// counts it as failed until finish says otherwise: counting first, under
// the store's lock, is what keeps attempts made at once from all passing a
// limit that each alone would meet. It returns how long the attempt must
// wait first (0: it may go on); a refused attempt is not counted.
func (t loginThrottle) begin(r *http.Request) (time.Duration, error) {
	var wait time.Duration
	err := t.update(r, func(cur map[string]review.LoginFailures) map[string]review.LoginFailures {
		wait = 0
		next := make(map[string]review.LoginFailures, len(cur))
		for _, k := range []string{t.pair, t.client} {
			f := cur[k]
			if f.Count > 0 && t.now.Sub(f.Last) >= t.rv.cfg.LoginWindow {
				f = review.LoginFailures{}
			}
			if until := f.Last.Add(backoff(f.Count, t.free(k), t.rv.cfg.LoginBackoff, t.rv.cfg.LoginMaxBackoff)); f.Count > 0 && t.now.Before(until) {
				wait = max(wait, until.Sub(t.now))
			}
			next[k] = f
		}
		if wait > 0 {
			return next
		}
		for k, f := range next {
			next[k] = review.LoginFailures{Count: f.Count + 1, Last: t.now}
		}
		return next
	})
	return wait, err
}

// succeeded forgives the attempt begin counted: the account's failures
// from this client are forgotten, and the client's count loses this
// attempt only, so that logging in to one account clears no one else's
// failures.
func (t loginThrottle) succeeded(r *http.Request) error {
	return t.update(r, func(cur map[string]review.LoginFailures) map[string]review.LoginFailures {
		c := cur[t.client]
		c.Count--
		return map[string]review.LoginFailures{t.client: c}
	})
}
