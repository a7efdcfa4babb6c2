package app

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"slices"
	"testing"
)

// TestNewFailsCleanly: a start-up that fails half way (here, an
// unreachable database) returns its error and releases what it built,
// rather than panicking on the way out.
func TestNewFailsCleanly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HMACSecret = "a-secret-long-enough-0123456789"
	cfg.Postgres.URL = "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil {
		a.Close()
		t.Fatal("New succeeded without a database")
	}
}

// TestTrustedProxies: the setting takes CIDR prefixes and single
// addresses, from a flag or the environment, and refuses anything else.
func TestTrustedProxies(t *testing.T) {
	cases := []struct {
		env     string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"10.0.0.0/8, 192.0.2.7 ,fd00::/8", []string{"10.0.0.0/8", "192.0.2.7/32", "fd00::/8"}, false},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}, false},
		{"proxy.example", nil, true},
		{"10.0.0.0/33", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.env, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HMACSecret = "a-secret-long-enough-0123456789"
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			if err := BindFlags(fs, &cfg, func(k string) string {
				if k == "EKJON_TRUSTED_PROXIES" {
					return tc.env
				}
				return ""
			}); err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); (err != nil) != tc.wantErr {
				t.Fatalf("Validate: %v, want an error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			ps, _ := cfg.HTTP.Proxies()
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("proxies %v, want %v", got, tc.want)
			}
		})
	}
}

// TestValidateRedisWait: waiting for replicas needs a count of at least
// 0, a timeout, and one master: on a cluster WAIT cannot see a batch's
// writes.
func TestValidateRedisWait(t *testing.T) {
	for _, c := range []struct {
		name    string
		set     func(*Config)
		refused bool
	}{
		{"default", func(*Config) {}, false},
		{"one replica", func(c *Config) { c.Redis.WaitReplicas = 1 }, false},
		{"negative", func(c *Config) { c.Redis.WaitReplicas = -1 }, true},
		{"on a cluster", func(c *Config) { c.Redis.WaitReplicas, c.Redis.Cluster = 1, true }, true},
		{"no timeout", func(c *Config) { c.Redis.WaitReplicas, c.Redis.WaitTimeout = 1, 0 }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.HMACSecret = "a-secret-long-enough-0123456789"
			c.set(&cfg)
			if err := cfg.Validate(); (err != nil) != c.refused {
				t.Fatalf("Validate() = %v, refused %v wanted", err, c.refused)
			}
		})
	}
}
