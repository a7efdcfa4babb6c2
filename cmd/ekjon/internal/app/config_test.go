package app

import (
	"flag"
	"io"
	"testing"
)

// configFrom binds the settings with env as the environment and parses
// args, as `ekjon run` does.
func configFrom(t *testing.T, env map[string]string, args ...string) Config {
	t.Helper()
	c := DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := BindFlags(fs, &c, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	c.HMACSecret = "config-test-secret-0123"
	return c
}

func TestMaxAmountSetting(t *testing.T) {
	c := configFrom(t, map[string]string{"EKJON_MAX_AMOUNT": "50000"})
	p, err := c.Policy()
	if err != nil || p.MaxAmount != 50000 {
		t.Fatalf("policy max amount %v (%v), want 50000 from the environment", p.MaxAmount, err)
	}
	d := configFrom(t, nil)
	if p, _ := d.Policy(); p.MaxAmount != 1e9 {
		t.Errorf("default max amount %v", p.MaxAmount)
	}
	for _, bad := range []string{"0", "-5", "1e12"} {
		if c := configFrom(t, nil, "--max-amount", bad); c.Validate() == nil {
			t.Errorf("--max-amount %s accepted", bad)
		}
	}
}
