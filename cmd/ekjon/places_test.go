package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
)

// ekjon places check passes a good file with a summary, and names each
// problem of a bad one with its line and fails; the places-file setting
// refuses a bad file and makes a good one the process's gazetteer.
func TestPlacesCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(dir, "places.csv")
	if err := os.WriteFile(good, []byte("division,district,upazila,union,name_en,name_bn,also\n"+
		"30,26,72,,Savar,সাভার,\n30,26,72,17,Ashulia,আশুলিয়া,Asulia\n33,33,30,,Gazipur Sadar,গাজীপুর সদর,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("division,district,upazila,union,name_en,name_bn,also\n"+
		"30,26,72,,Savar,সাভার,\n30,99,11,,Nowhere,,\n30,26,72,,Savar,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"places", "check", good}, func(string) string { return "" }, &out, &errOut); err == nil {
		t.Fatal("a file with division 33 for Gazipur passed")
	}
	if !strings.Contains(errOut.String(), good+":4: division 33 is not district 33's division (30)") {
		t.Errorf("problems:\n%s", errOut.String())
	}
	text, _ := os.ReadFile(good)
	if err := os.WriteFile(good, bytes.Replace(text, []byte("33,33,30"), []byte(",33,30"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"places", "check", good}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("good file refused: %v\n%s", err, errOut.String())
	}
	if want := "ok, 2 upazilas in 2 of the 64 districts, 1 unions"; !strings.Contains(out.String(), want) {
		t.Errorf("summary %q, want %q", out.String(), want)
	}
	errOut.Reset()
	if err := run(ctx, []string{"places", "check", bad}, func(string) string { return "" }, &out, &errOut); err == nil {
		t.Fatal("a bad file passed")
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], bad+":3: district 99") || !strings.HasPrefix(lines[1], bad+":4: upazila 2672 is given twice") {
		t.Errorf("problems:\n%s", errOut.String())
	}

	cfg := app.DefaultConfig()
	cfg.Rules.PlacesFile = bad
	if err := cfg.Rules.Validate(); err == nil || !strings.Contains(err.Error(), "places-file: "+bad+":3:") {
		t.Errorf("a bad places file: %v", err)
	}
	cfg.Rules.PlacesFile = good
	if err := cfg.Rules.Validate(); err != nil {
		t.Fatal(err)
	}
	old := domain.Places()
	t.Cleanup(func() { domain.UsePlaces(old) })
	if err := cfg.Rules.UsePlaces(); err != nil {
		t.Fatal(err)
	}
	if p, ok := domain.Places().FindIn(domain.LevelUnion, "26", "আশুলিয়া"); !ok || p.Code != "267217" {
		t.Errorf("the places file is not in use: %+v %v", p, ok)
	}
}
