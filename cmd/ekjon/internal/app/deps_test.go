package app

import (
	"errors"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestProductionDeps checks that the package `ekjon run` is built from
// links none of the tools: the synthetic population and the rest of
// benchmarks/, franz-go's in-process broker (kfake) and the embedded Redis
// (miniredis). They serve demo, gen, eval, bench and the tests, and have no
// place in a production worker.
func TestProductionDeps(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("listing the dependencies needs the go command: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	importers := map[string][]string{} // package → the listed packages importing it
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if _, ok := importers[f[0]]; !ok {
			importers[f[0]] = nil
		}
		for _, imp := range f[1:] {
			importers[imp] = append(importers[imp], f[0])
		}
	}
	// A listing without the pipeline is not the one this test means to
	// judge: it would pass whatever the package imports.
	if _, ok := importers["github.com/ekjon/ekjon/pipeline"]; !ok {
		t.Fatalf("go list -deps does not list the pipeline:\n%s", out)
	}
	forbidden := []string{"github.com/ekjon/ekjon/benchmarks", "github.com/twmb/franz-go/pkg/kfake", "github.com/alicebob/miniredis"}
	for _, dep := range slices.Sorted(maps.Keys(importers)) {
		by := importers[dep]
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("ekjon run links %s (imported by %s)", dep, strings.Join(by, ", "))
			}
		}
	}
}
