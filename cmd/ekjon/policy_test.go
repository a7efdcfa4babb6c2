package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
