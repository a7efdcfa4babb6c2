package redisindex

import (
	"context"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// scriptBodies returns the script files, by name.
func scriptBodies(t *testing.T) map[string]string {
	t.Helper()
	names, err := fs.Glob(luaFiles, "lua/*.lua")
	if err != nil || len(names) == 0 {
		t.Fatalf("script files: %v %v", names, err)
	}
	out := map[string]string{}
	for _, n := range names {
		b, err := luaFiles.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

// TestLuaNamesAreUsed: every constant of the prelude is used by a script,
// and is declared once.
func TestLuaNamesAreUsed(t *testing.T) {
	bodies := scriptBodies(t)
	seen := map[string]bool{}
	for _, c := range luaNames() {
		if seen[c.name] {
			t.Errorf("%s declared twice", c.name)
		}
		seen[c.name] = true
		word := regexp.MustCompile(`\b` + c.name + `\b`)
		used := false
		for _, b := range bodies {
			used = used || word.MatchString(b)
		}
		if !used {
			t.Errorf("%s is in the layout table but no script uses it", c.name)
		}
	}
}

// TestScriptsWriteNoLayoutLiteral: no script spells a field name or a
// length of the table itself; it names the constant. Argument positions
// (ARGV[10], for i = 11, #ARGV) are numbers of another kind.
func TestScriptsWriteNoLayoutLiteral(t *testing.T) {
	positions := regexp.MustCompile(`ARGV\[\d+\]|for \w+ = \d+, #ARGV`)
	for file, body := range scriptBodies(t) {
		body = positions.ReplaceAllString(body, "")
		for _, c := range luaNames() {
			var lit *regexp.Regexp
			switch v := c.value.(type) {
			case string:
				lit = regexp.MustCompile(`['"]` + regexp.QuoteMeta(v) + `['"]`)
			case int:
				lit = regexp.MustCompile(`\b` + strconv.Itoa(v) + `\b`)
			}
			if loc := lit.FindStringIndex(body); loc != nil {
				t.Errorf("%s writes %s, which is %s", file, body[loc[0]:loc[1]], c.name)
			}
		}
	}
}

// TestPreludeMatchesLayout runs the prelude in Redis and reads back every
// constant: what the scripts see is what Go uses.
func TestPreludeMatchesLayout(t *testing.T) {
	rdb, _ := redistest.MustClient(t)
	names := luaNames()
	var list []string
	for _, c := range names {
		list = append(list, c.name)
	}
	got, err := rdb.Eval(context.Background(), prelude()+"return {"+strings.Join(list, ", ")+"}", nil).Slice()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(names) {
		t.Fatalf("prelude gives %d values, want %d", len(got), len(names))
	}
	for i, c := range names {
		var want any
		switch v := c.value.(type) {
		case string:
			want = v
		case int:
			want = int64(v)
		}
		if got[i] != want {
			t.Errorf("%s is %#v in Lua, %#v in Go", c.name, got[i], want)
		}
	}
	if strings.Count(prelude(), "\n") != 1 {
		t.Errorf("prelude %q is not one line: script line numbers would shift by more than one", prelude())
	}
}

// TestLuaQuote: the quoting survives Lua 5.1 for any byte.
func TestLuaQuote(t *testing.T) {
	rdb, _ := redistest.MustClient(t)
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	for _, s := range []string{"", "e:", "it's", `a\b`, string(all)} {
		got, err := rdb.Eval(context.Background(), "return "+luaQuote(s), nil).Text()
		if err != nil || got != s {
			t.Errorf("luaQuote(%q) reads back as %q (%v)", s, got, err)
		}
	}
}
