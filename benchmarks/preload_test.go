package benchmarks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/sinks/postgres"
	"github.com/ekjon/ekjon/sinks/postgres/pgtest"
)

// TestPreloadAgreesWithRebuild preloads a registry into an index and a
// record, rebuilds a second index from that record, and compares what the
// two hold of every person, beneficiary ref and status time but the
// candidate records (the preload indexes a person by the enrolment it
// meets first, the rebuild by the earliest).
func TestPreloadAgreesWithRebuild(t *testing.T) {
	ctx := context.Background()
	policy := domain.DefaultPolicy()
	store, err := postgres.Open(ctx, pgtest.MustSchema(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pseudo := domain.NewPseudonymizer([]byte("preload-secret-0123456789"))
	index := func() (*redisindex.Index, func() map[string]string) {
		rdb, prefix := redistest.MustClient(t)
		ix := redisindex.New(rdb, pseudo, redisindex.Config{Prefix: prefix, Policy: policy, Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8})
		dump := func() map[string]string {
			out := map[string]string{}
			for _, family := range []string{"p", "r"} {
				iter := rdb.Scan(ctx, 0, prefix+family+":*", 1000).Iterator()
				for iter.Next(ctx) {
					k := iter.Val()
					fields, err := rdb.HGetAll(ctx, k).Result()
					if err != nil {
						t.Fatal(err)
					}
					for f, v := range fields {
						// A person's field is 9 bytes of its key and a name.
						if family == "p" && len(f) > 9 && f[9:] == "c" {
							continue
						}
						out[strings.TrimPrefix(k, prefix)+" "+fmt.Sprintf("%x", f)] = fmt.Sprintf("%x", v)
					}
				}
				if err := iter.Err(); err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		return ix, dump
	}
	pre, preDump := index()
	w, err := NewWorkload(3, 600, 10)
	if err != nil {
		t.Fatal(err)
	}
	fates, statuses := Fates(w.PreloadStatuses(), policy)
	l := NewEkjonLoader(pre, store.Pool(), policy.Version, fates)
	for r := range w.PreloadEnrolments() {
		if err := l.Add(ctx, Decode(r, policy)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range statuses {
		if err := l.Add(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx, store.BeginRebuild); err != nil {
		t.Fatal(err)
	}
	rebuilt, rebuiltDump := index()
	if _, ok, err := rebuilt.Rebuild(ctx, store.BeginRebuild, store.IndexFacts); err != nil || !ok {
		t.Fatalf("rebuild: %v %v", ok, err)
	}
	a, b := preDump(), rebuiltDump()
	var diffs []string
	for k, v := range a {
		if b[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: preloaded %s, rebuilt %s", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: preloaded nothing, rebuilt %s", k, v))
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d of %d fields differ, e.g.:\n%s", len(diffs), len(a), strings.Join(diffs[:min(10, len(diffs))], "\n"))
	}
	if len(a) < 600 {
		t.Errorf("only %d fields preloaded", len(a))
	}
}
