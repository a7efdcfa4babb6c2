package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeLayout keeps the README's layout table true to the tree: every
// package has its row, or is named in its parent's, and every row's path
// exists.
func TestReadmeLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal("README has no Layout section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{} // path without its slash → what lives there
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		path := strings.Trim(strings.TrimSpace(cells[1]), "`/")
		rows[path] = cells[2]
		if _, err := os.Stat(filepath.Join(root, path)); err != nil {
			t.Errorf("layout row %s: %v", path, err)
		}
	}
	var pkgs []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			dir, _ := filepath.Rel(root, filepath.Dir(p))
			if len(pkgs) == 0 || pkgs[len(pkgs)-1] != dir {
				pkgs = append(pkgs, filepath.ToSlash(dir))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s: %v", len(pkgs), root, pkgs)
	}
	for _, pkg := range pkgs {
		if _, ok := rows[pkg]; ok {
			continue
		}
		parent, base := filepath.ToSlash(filepath.Dir(pkg)), filepath.Base(pkg)
		if !strings.Contains(rows[parent], "`"+base+"`") {
			t.Errorf("package %s has no row in the README's layout table, nor a mention in %s's", pkg, parent)
		}
	}
}
