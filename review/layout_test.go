package review

import (
	"bufio"
	"go/build"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLayout keeps the review where it belongs: the review package leans on
// the domain and the standard library only, and the API reaches the record
// through the review's interfaces, never through sinks/postgres or pgx.
// Only the packages' own files count, not their tests, which may use a
// real database.
func TestLayout(t *testing.T) {
	root, module := moduleRoot(t)
	cases := []struct {
		pkg string
		// refuse reports why an import reachable from pkg is not allowed,
		// or "" when it is.
		refuse func(imp string) string
	}{
		{"review", func(imp string) string {
			switch {
			case !strings.Contains(strings.Split(imp, "/")[0], "."):
				return "" // the standard library
			case imp == module+"/domain" || imp == module+"/review":
				return ""
			case imp == "go.yaml.in/yaml/v3":
				return "" // the domain reads its policy file with it
			}
			return "the review package imports only the domain (and what the domain imports to read its policy file) and the standard library"
		}},
		{"api", func(imp string) string {
			if imp == module+"/sinks/postgres" || strings.HasPrefix(imp, "github.com/jackc/pgx") {
				return "the API reaches the record through review.Store and review.Users"
			}
			return ""
		}},
	}
	for _, tc := range cases {
		t.Run(tc.pkg, func(t *testing.T) {
			deps := moduleDeps(t, root, module, module+"/"+tc.pkg)
			for _, imp := range slices.Sorted(maps.Keys(deps)) {
				if why := tc.refuse(imp); why != "" {
					t.Errorf("%s imports %s (through %s): %s", tc.pkg, imp, strings.Join(deps[imp], " → "), why)
				}
			}
		})
	}
}

// moduleRoot finds the directory of go.mod above the test and the module's
// path.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(sc.Text(), "module "); ok {
					return dir, strings.TrimSpace(m)
				}
			}
			t.Fatalf("%s/go.mod names no module", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// moduleDeps returns every import reachable from pkg through the module's
// own packages (their non-test files), each with the chain that reaches it.
func moduleDeps(t *testing.T, root, module, pkg string) map[string][]string {
	t.Helper()
	seen := map[string][]string{pkg: {pkg}}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p != module && !strings.HasPrefix(p, module+"/") {
			continue // another module's package: its own imports are its business
		}
		bp, err := build.Default.ImportDir(filepath.Join(root, strings.TrimPrefix(p, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if _, ok := seen[imp]; !ok {
				seen[imp] = append(slices.Clip(seen[p]), imp)
				queue = append(queue, imp)
			}
		}
	}
	delete(seen, pkg)
	return seen
}
