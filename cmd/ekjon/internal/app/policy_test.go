package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// writePolicy writes the embedded policy with the replacements made.
func writePolicy(t *testing.T, oldNew ...string) string {
	t.Helper()
	text := strings.NewReplacer(oldNew...).Replace(string(domain.DefaultPolicyYAML()))
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A policy file gives the rules; the settings that override it do so only
// when given, by flag or variable, so that their defaults do not undo the
// file.
func TestPolicyFileAndOverrides(t *testing.T) {
	path := writePolicy(t, `version: "2026-11.1"`, `version: "dhaka-7"`,
		"recent_wallet_change_days: 30", "recent_wallet_change_days: 45",
		"  - [old_age, widow, disability]", "  - [old_age, widow]\n  - [vgd, vgf]",
		"{amount: 600}", "{amount: 700}")

	c := configFrom(t, nil, "--policy-file", path)
	p, err := c.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != "dhaka-7" || p.RecentWalletChangeDays != 45 || p.MaxAmount != 1e9 {
		t.Errorf("from the file: version %q, %d days, max %v", p.Version, p.RecentWalletChangeDays, p.MaxAmount)
	}
	if want := [][]string{{"old_age", "widow"}, {"vgd", "vgf"}}; !reflect.DeepEqual(p.Exclusive, want) {
		t.Errorf("exclusive %v, want the file's %v", p.Exclusive, want)
	}
	if e, _ := p.EntitlementOf("old_age"); e.Amount != 700 {
		t.Errorf("old_age entitlement %v, want the file's 700", e.Amount)
	}

	c = configFrom(t, map[string]string{"EKJON_POLICY_FILE": path, "EKJON_WALLET_CHANGE_DAYS": "10"},
		"--policy-version", "dhaka-7b", "--exclusive", "old_age+disability")
	if p, err = c.Policy(); err != nil {
		t.Fatal(err)
	}
	if p.Version != "dhaka-7b" || p.RecentWalletChangeDays != 10 || !reflect.DeepEqual(p.Exclusive, [][]string{{"old_age", "disability"}}) {
		t.Errorf("overrides not applied: version %q, %d days, exclusive %v", p.Version, p.RecentWalletChangeDays, p.Exclusive)
	}
	if e, _ := p.EntitlementOf("old_age"); e.Amount != 700 {
		t.Errorf("an override dropped the file's catalogue: old_age %v", e.Amount)
	}

	// Without a file, the settings make the policy as they always did.
	c = configFrom(t, nil, "--wallet-change-days", "7")
	if p, err = c.Policy(); err != nil || p.RecentWalletChangeDays != 7 || p.Version != "2026-11.1" || len(p.Exclusive) != 1 {
		t.Errorf("no file: %+v, %v", p, err)
	}
}

// A bad policy file stops ekjon at its settings, with the line at fault.
func TestBadPolicyFile(t *testing.T) {
	path := writePolicy(t, "cycle: quarterly", "", "ministry: food", "ministry: fod")
	c := configFrom(t, nil, "--policy-file", path)
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "policy.yaml:") || !strings.Contains(err.Error(), `ministry "fod"`) {
		t.Fatalf("err = %v, want the file, line and the unknown ministry", err)
	}
	c = configFrom(t, nil, "--policy-file", filepath.Join(t.TempDir(), "none.yaml"))
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "policy-file") {
		t.Fatalf("missing file: err = %v", err)
	}
}
