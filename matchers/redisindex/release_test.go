package redisindex_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
)

// dump is every key of the index but its own (the marker, the lock):
// key → field → value, a string key's value under the field "".
func dump(t *testing.T, rdb redis.UniversalClient, prefix string) map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]map[string]string{}
	keys, err := redistest.Keys(ctx, rdb, prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		name := strings.TrimPrefix(k, prefix)
		if strings.HasPrefix(name, "{meta}") {
			continue
		}
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "hash":
			v, err := rdb.HGetAll(ctx, k).Result()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = v
		case "string":
			v, err := rdb.Get(ctx, k).Result()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = map[string]string{"": v}
		default:
			t.Fatalf("key %s is a %s", name, typ)
		}
	}
	return out
}

// sameIndex fails the test with every key on which two dumps differ,
// named as the indexes a and b are.
func sameIndex(t *testing.T, a, b map[string]map[string]string, aName, bName string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(merge(a, b))) {
		if !maps.Equal(a[k], b[k]) {
			t.Errorf("%s: %s %q, %s %q", k, aName, a[k], bName, b[k])
		}
	}
}

// person gives an enrolment a whole profile, so that it is indexed as a
// candidate under several blocking keys.
func withProfile(o *domain.Outcome) *domain.Outcome {
	p := o.Event.Person
	p.NameBN, p.FatherName, p.DOB, p.Gender, p.Phone = "মোঃ রফিকুল ইসলাম", "Abdul Karim", "1950-03-01", "male", "01712345678"
	p.Address = &domain.Address{District: "Dhaka", Upazila: "Savar"}
	return o
}

func withRef(o *domain.Outcome, ref string) *domain.Outcome {
	o.Event.BeneficiaryRef = ref
	return o
}

// TestReleaseUndoesExactly decides a step after a setup, releases it as the
// processor does for an event the record refused, and compares the index
// with what it was before the step: equal, and still ready, where the
// claims can be undone one by one; marked for rebuild where they cannot.
func TestReleaseUndoesExactly(t *testing.T) {
	const nid, other = "19502612345678901", "1234567890"
	at := t0.Add(24 * time.Hour)
	cases := []struct {
		name    string
		setup   []*domain.Outcome
		step    []*domain.Outcome // decided together; the first is released
		verdict string
		rebuild bool // Release marks the index for rebuild
	}{
		{"payment", []*domain.Outcome{enrol("e0", nid, "old_age", "01712345678")},
			[]*domain.Outcome{pay("p1", nid, "old_age", "2026-11", "01712345678", at)}, "ADMIT []", false},
		{"payment blocked as paid", []*domain.Outcome{enrol("e0", nid, "old_age", ""), pay("p0", nid, "old_age", "2026-11", "", at)},
			[]*domain.Outcome{pay("p1", nid, "old_age", "2026-11", "", at)}, "BLOCK [DOUBLE_PAYMENT]", false},
		{"enrolment of a new person", nil,
			[]*domain.Outcome{withProfile(enrol("e1", nid, "old_age", "01712345678"))}, "ADMIT []", false},
		{"enrolment in a second programme", []*domain.Outcome{withProfile(enrol("e0", nid, "old_age", ""))},
			[]*domain.Outcome{withProfile(enrol("e1", nid, "gr", ""))}, "ADMIT []", false},
		{"re-enrolment after exit", []*domain.Outcome{withProfile(enrol("e0", nid, "old_age", "")),
			status("s0", nid, domain.StatusExited, "old_age", "", at)},
			[]*domain.Outcome{withProfile(enrol("e1", nid, "old_age", ""))}, "ADMIT []", false},
		{"re-enrolment with the ref the person holds", []*domain.Outcome{withProfile(enrol("e0", nid, "old_age", "")),
			status("s0", nid, domain.StatusExited, "old_age", "", at)},
			[]*domain.Outcome{withRef(withProfile(enrol("e1", nid, "old_age", "")), "ref-e0")}, "ADMIT []", false},
		{"enrolment with a ref another person holds", []*domain.Outcome{withProfile(enrol("e0", other, "old_age", ""))},
			[]*domain.Outcome{withRef(withProfile(enrol("e1", nid, "old_age", "")), "ref-e0")}, "HOLD [REF_CONFLICT FUZZY_PERSON]", false},
		{"enrolment of the dead, held", []*domain.Outcome{status("s0", nid, domain.StatusDeceased, "", "", at)},
			[]*domain.Outcome{withProfile(enrol("e1", nid, "old_age", ""))}, "HOLD [DECEASED_OR_EXITED]", false},
		{"duplicate enrolment, blocked", []*domain.Outcome{withProfile(enrol("e0", nid, "old_age", ""))},
			[]*domain.Outcome{withProfile(enrol("e1", nid, "old_age", ""))}, "BLOCK [DUP_NID]", false},
		{"enrolment of a person without NID", nil,
			[]*domain.Outcome{withProfile(enrol("e1", "", "gr", ""))}, "ADMIT []", false},
		{"status event", []*domain.Outcome{enrol("e0", other, "old_age", "")},
			[]*domain.Outcome{status("s1", other, domain.StatusSuspended, "old_age", "", at)}, "ADMIT []", true},
		{"enrolment a later event suspended", nil,
			[]*domain.Outcome{enrol("e1", other, "old_age", ""), status("s1", other, domain.StatusSuspended, "old_age", "", at)},
			"ADMIT []", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := redistest.MustClient(t)
			ix := redisindex.New(rdb, fencePseudo, redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy(),
				Fuzzy: fuzzy.DefaultConfig(), BucketBits: 8})
			if err := ix.MarkReady(ctx, 1); err != nil {
				t.Fatal(err)
			}
			for _, o := range c.setup {
				decide(t, ix, o)
			}
			before := dump(t, rdb, prefix)
			if _, err := ix.Decide(ctx, c.step); err != nil {
				t.Fatal(err)
			}
			if got := verdict(c.step[0]); got != c.verdict {
				t.Fatalf("decided %s, want %s", got, c.verdict)
			}
			if err := ix.Release(ctx, c.step[:1]); err != nil {
				t.Fatal(err)
			}
			ready, err := ix.Ready(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.rebuild {
				if ready {
					t.Fatal("the index is still ready after a release it cannot undo exactly")
				}
				return
			}
			if !ready {
				t.Fatal("the release marked the index for rebuild")
			}
			sameIndex(t, before, dump(t, rdb, prefix), "before", "after the release")
		})
	}
}

func merge(a, b map[string]map[string]string) map[string]map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// TestReleasedClaimsAreFree: once released, what the refused event
// claimed is free for the next: the same payment again, the same
// enrolment again.
func TestReleasedClaimsAreFree(t *testing.T) {
	ix := newIndex(t)
	ctx := context.Background()
	const nid = "1234567890"
	e := enrol("e1", nid, "old_age", "")
	if _, err := ix.Decide(ctx, []*domain.Outcome{e}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Release(ctx, []*domain.Outcome{e}); err != nil {
		t.Fatal(err)
	}
	again := enrol("e2", nid, "old_age", "")
	decide(t, ix, again)
	if verdict(again) != "ADMIT []" {
		t.Fatalf("enrolment after the first was released: %s", verdict(again))
	}
	p := pay("p1", nid, "old_age", "2026-11", "", t0)
	if _, err := ix.Decide(ctx, []*domain.Outcome{p}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Release(ctx, []*domain.Outcome{p}); err != nil {
		t.Fatal(err)
	}
	p2 := pay("p2", nid, "old_age", "2026-11", "", t0)
	decide(t, ix, p2)
	if verdict(p2) != "ADMIT []" {
		t.Fatalf("payment after the first was released: %s", verdict(p2))
	}
}
