package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
)

// ekjon policy default prints a file that ekjon policy check passes, and
// check names a bad file's problems with their lines and fails.
func TestPolicyCommand(t *testing.T) {
	ctx := context.Background()
	var def, out, errOut bytes.Buffer
	if err := run(ctx, []string{"policy", "default"}, func(string) string { return "" }, &def, &errOut); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, def.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"policy", "check", good}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("default policy refused: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "ok, version 2026-11.1") || !strings.Contains(out.String(), "female 62+, male 65+") {
		t.Errorf("summary:\n%s", out.String())
	}

	bad := filepath.Join(dir, "bad.yaml")
	text := strings.Replace(def.String(), "cycle: one-off\n    entitlement: {amount: 2500}", "cycle: weekly\n    entitlement: {amount: 2500}", 1)
	text = strings.Replace(text, "ministry: food", "ministry: fod", 1)
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"policy", "check", bad}, func(string) string { return "" }, &out, &errOut); err == nil {
		t.Fatal("a bad policy passed")
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 2 || !strings.Contains(errOut.String(), `ministry "fod"`) || !strings.Contains(errOut.String(), `cycle "weekly"`) {
		t.Fatalf("problems:\n%s", errOut.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, bad+":") || strings.HasPrefix(l, bad+": ") {
			t.Errorf("%q does not name the line", l)
		}
	}
}

// A policy file given to ekjon run decides by its rules and stamps its
// version on every decision, on the record and on ekjon.decisions: here a
// file that lowers the old age allowance's age for women to 55.
func TestRunWithAPolicyFile(t *testing.T) {
	text := strings.NewReplacer(`version: "2026-11.1"`, `version: "dhaka-test-7"`,
		"{male: 65, female: 62}", "{male: 65, female: 55}").Replace(string(domain.DefaultPolicyYAML()))
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, 1)
	h.start(func(c *app.Config) { c.Rules.PolicyFile = path })
	woman := func(id, nid, dob string) string {
		return fmt.Sprintf(`{"event_id":%q,"type":"enrolment","occurred_at":"2026-11-01T10:00:00+06:00","source":"dss-mis",
			"programme":"old_age","beneficiary_ref":"ref-%s","person":{"nid":%q,"name_en":"Rahima Begum %s","dob":%q,"gender":"মহিলা"}}`,
			id, id, nid, id, dob)
	}
	h.produce(h.cfg.Kafka.Topics.Enrolments, woman("w58", "1234500058", "১৯৬৮-০১-০১"), woman("w50", "1234500050", "1976-01-01"),
		`{"event_id":"bad","type":"enrolment"}`)
	got := h.publishedDecisions(3)
	if d := got["w58"]; d.Action != domain.ActionAdmit {
		t.Errorf("woman of 58 under a 55 rule: %s (%s)", verdictOf(d), d.Reason)
	}
	if d := got["w50"]; verdictOf(d) != "HOLD [INELIGIBLE]" || !strings.Contains(d.Reason, "asks 55 for women") {
		t.Errorf("woman of 50: %s (%s)", verdictOf(d), d.Reason)
	}
	for id, d := range got {
		if d.ConfigVersion != "dhaka-test-7" {
			t.Errorf("%s: config_version %q on the topic", id, d.ConfigVersion)
		}
	}
	for id, d := range h.decisions("w58", "w50", "bad") {
		if d.ConfigVersion != "dhaka-test-7" {
			t.Errorf("%s: config_version %q on the record", id, d.ConfigVersion)
		}
	}
}

// The help of ekjon run lists --policy-file and the overrides with their
// types and defaults.
func TestRunHelpNamesThePolicyFile(t *testing.T) {
	var out, errOut bytes.Buffer
	_ = run(context.Background(), []string{"run", "--help"}, func(string) string { return "" }, &out, &errOut)
	help := errOut.String()
	for _, want := range []string{"-policy-file string", "-exclusive string", `(default "old_age+widow+disability")`, "-wallet-change-days int"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if strings.Contains(help, "panic") {
		t.Errorf("help reports a panic:\n%s", help)
	}
}
