package api

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// TestClientOf: the client is the peer, unless the peer is a trusted
// proxy; then it is the first forwarded address from the right that no
// trusted proxy holds, and nothing a client wrote left of it.
func TestClientOf(t *testing.T) {
	rv := &Review{cfg: Config{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}}
	cases := []struct {
		name, peer string
		forwarded  []string
		want       string
	}{
		{"no proxy", "192.0.2.1:5000", nil, "192.0.2.1"},
		{"an untrusted peer's claim is ignored", "192.0.2.1:5000", []string{"198.51.100.9"}, "192.0.2.1"},
		{"one trusted proxy", "10.1.2.3:443", []string{"198.51.100.9"}, "198.51.100.9"},
		{"a forged first hop", "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"two trusted proxies", "10.1.2.3:443", []string{"198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"hops in two headers", "10.1.2.3:443", []string{"6.6.6.6", "198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"a hop with a port", "10.1.2.3:443", []string{"198.51.100.9:61000"}, "198.51.100.9"},
		{"an IPv6 hop in brackets", "10.1.2.3:443", []string{"[2001:db8::7]:61000"}, "2001:db8::7"},
		{"a hop that is no address", "10.1.2.3:443", []string{"198.51.100.9, unknown"}, "10.1.2.3"},
		{"a trusted proxy without the header", "10.1.2.3:443", nil, "10.1.2.3"},
		{"every hop trusted", "10.1.2.3:443", []string{"10.7.7.7, 10.8.8.8"}, "10.7.7.7"},
		{"an IPv6 proxy", "[fd00::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"an IPv4 peer as IPv6", "[::ffff:10.1.2.3]:443", []string{"198.51.100.9"}, "198.51.100.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/login", nil)
			r.RemoteAddr = tc.peer
			for _, f := range tc.forwarded {
				r.Header.Add("X-Forwarded-For", f)
			}
			if got := rv.clientOf(r); got != tc.want {
				t.Errorf("client %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLoginKeys: an IPv6 client counts as its /64, which it holds whole;
// accounts and clients are told apart.
func TestLoginKeys(t *testing.T) {
	p1, c1 := loginKeys("supervisor", "2001:db8:1:2::7")
	p2, c2 := loginKeys("supervisor", "2001:db8:1:2:ffff::9")
	p3, c3 := loginKeys("supervisor", "2001:db8:1:3::7")
	p4, _ := loginKeys("reviewer", "2001:db8:1:2::7")
	_, c5 := loginKeys("supervisor", "192.0.2.1")
	_, c6 := loginKeys("supervisor", "192.0.2.2")
	if p1 != p2 || c1 != c2 {
		t.Error("two addresses of one /64 are two clients")
	}
	if p1 == p3 || c1 == c3 || p1 == p4 || c5 == c6 || p1 == c1 {
		t.Error("keys that should differ are equal")
	}
}

func TestBackoff(t *testing.T) {
	base, most := 2*time.Second, time.Minute
	for count, want := range map[int]time.Duration{0: 0, 4: 0, 5: 2 * time.Second, 6: 4 * time.Second, 9: 32 * time.Second,
		10: time.Minute, 40: time.Minute, 1 << 30: time.Minute} {
		if got := backoff(count, 5, base, most); got != want {
			t.Errorf("after %d failures: %v, want %v", count, got, want)
		}
	}
}
