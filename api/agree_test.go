package api

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/redisindex"
	"github.com/ekjon/ekjon/matchers/redisindex/redistest"
	"github.com/ekjon/ekjon/review"
)

// The index and the record must say the same of every person whatever
// reviewers and source systems do, in whatever order. These tests run
// events through the real pipeline and rulings through the API and the
// relay, and after every step compare the live index with one rebuilt from
// the record.

// at is an event time, hour h of a November day.
func at(h int) string { return fmt.Sprintf("2026-11-01T%02d:00:00Z", h) }

func enrolledAt(id, prog, nid string, hour int) map[string]any {
	e := enrolment(id, prog, nid, "017"+nid[len(nid)-8:])
	e["occurred_at"] = at(hour)
	return e
}

func statusAt(id, nid, st, prog string, hour int) map[string]any {
	e := status(id, nid, st)
	e["occurred_at"], e["programme"] = at(hour), prog
	return e
}

// indexView is what an index holds of the persons with nids (each claim,
// its state, payments, death, wallet change; the candidate record only as
// present or not) and of every beneficiary ref.
func (e *env) indexView(ix *redisindex.Index, prefix string, nids []string) []string {
	e.t.Helper()
	var out []string
	for _, nid := range nids {
		k := e.pseudo.Hash("nid", nid)[:16]
		fields, err := ix.PersonFields(e.ctx, k)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			v := fields[name]
			if name == "c" {
				v = "(candidate)"
			}
			out = append(out, fmt.Sprintf("%s %s=%x", nid, name, v))
		}
	}
	keys, err := redistest.Keys(e.ctx, e.rdb, prefix+"r:*")
	if err != nil {
		e.t.Fatal(err)
	}
	var refs []string
	for _, k := range keys {
		m, err := e.rdb.HGetAll(e.ctx, k).Result()
		if err != nil {
			e.t.Fatal(err)
		}
		for f, v := range m {
			refs = append(refs, fmt.Sprintf("ref %s/%x=%x", strings.TrimPrefix(k, prefix), f, v))
		}
	}
	slices.Sort(refs)
	return append(out, refs...)
}

// agreeing rebuilds an index from the record under a prefix of its own and
// fails the test where it and the live index differ on the persons nids.
func (e *env) agreeing(step string, nids []string) {
	e.t.Helper()
	rdb, prefix := redistest.MustClient(e.t)
	rebuilt := redisindex.New(rdb, e.pseudo, redisindex.Config{Prefix: prefix, Policy: domain.DefaultPolicy()})
	if _, ok, err := rebuilt.Rebuild(e.ctx, e.store.Generation, e.store.IndexFacts); err != nil || !ok {
		e.t.Fatalf("%s: rebuild: %v %v", step, ok, err)
	}
	live, fresh := e.indexView(e.index, e.prefix, nids), e.indexView(rebuilt, prefix, nids)
	if !slices.Equal(live, fresh) {
		var only []string
		for _, l := range live {
			if !slices.Contains(fresh, l) {
				only = append(only, "live only:    "+l)
			}
		}
		for _, l := range fresh {
			if !slices.Contains(live, l) {
				only = append(only, "rebuilt only: "+l)
			}
		}
		e.t.Errorf("after %s the live index and the index rebuilt from the record differ:\n  %s", step, strings.Join(only, "\n  "))
	}
}

// enrolmentStatuses returns each enrolment's status, by event id.
func (e *env) enrolmentStatuses(ids ...string) map[string]string {
	e.t.Helper()
	rows, err := e.store.Pool().Query(e.ctx, `SELECT event_id, status FROM enrolments WHERE event_id = ANY($1)`, ids)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			e.t.Fatal(err)
		}
		out[id] = st
	}
	return out
}

// TestReviewsKeepIndexAndRecordAgreed interleaves overrides, releases and
// status changes of five persons and checks, after each step, that the
// live index is the index rebuilt from the record.
func TestReviewsKeepIndexAndRecordAgreed(t *testing.T) {
	e := newEnv(t)
	const (
		nidA = "1200000001" // a DUP_NID block overridden, then exit, reinstatement, suspension
		nidB = "1200000002" // a held enrolment released between status changes
		nidC = "1200000003" // a block on an enrolment older than the claim, overridden after the claim exited
		nidD = "1200000004" // a held enrolment whose claim an override takes
		nidE = "1200000005" // a MULTI_PROGRAMME block overridden
	)
	nids := []string{nidA, nidB, nidC, nidD, nidE}
	// A DUP_NID block raises no alert of its own; one that comes with
	// another alert is overridden through it. The tests raise it directly.
	dupAlert := func(eventID, nid string) string {
		return e.insertAlert(eventID, domain.RuleDupNID, domain.ActionBlock, "P"+e.pseudo.Hash("nid", nid)[:16], "", 0, nil)
	}
	want := func(event string, action domain.Action) func(map[string]domain.Decision) {
		return func(d map[string]domain.Decision) {
			t.Helper()
			if d[event].Action != action {
				t.Fatalf("%s: %+v, want %s", event, d[event], action)
			}
		}
	}
	rule := func(role, alertID, ruling string, status int) {
		t.Helper()
		r := e.call(role, http.MethodPost, alertPath(alertID)+"/decision", map[string]any{"decision": ruling, "reason": "checked"})
		mustStatus(t, ruling+" "+alertID, r, status)
		if _, err := e.relay.Flush(e.ctx); err != nil {
			t.Fatalf("relay: %v", err)
		}
	}
	var alertA2, alertC2, alertD1, alertD2, alertE2 string
	steps := []struct {
		name string
		do   func()
	}{
		{"A enrols in old_age", func() { want("a1", domain.ActionAdmit)(e.feed(enrolledAt("a1", "old_age", nidA, 1))) }},
		{"A enrols again, blocked", func() {
			want("a2", domain.ActionBlock)(e.feed(enrolledAt("a2", "old_age", nidA, 2)))
			alertA2 = dupAlert("a2", nidA)
		}},
		{"B dies", func() { e.feed(statusAt("b0", nidB, domain.StatusDeceased, "", 1)) }},
		{"B enrols, held", func() { want("b1", domain.ActionHold)(e.feed(enrolledAt("b1", "old_age", nidB, 2))) }},
		{"a supervisor overrides A's block", func() {
			for role, want := range map[string]string{review.RoleSupervisor: "[a1]", review.RoleReviewer: "<nil>"} {
				r := e.call(role, http.MethodGet, alertPath(alertA2), nil)
				mustStatus(t, "case", r, http.StatusOK)
				if got := fmt.Sprint(r.body["replaces"]); got != want {
					t.Fatalf("the case shows %s that the override replaces %s, want %s", role, got, want)
				}
			}
			rule(review.RoleSupervisor, alertA2, "release", http.StatusOK)
			if got := e.enrolmentStatuses("a1", "a2"); got["a1"] != domain.EnrolmentReplaced || got["a2"] != domain.EnrolmentActive {
				t.Fatalf("after the override: %v, want a1 replaced and a2 active", got)
			}
			if n := e.queryInt(`SELECT count(*) FROM audit WHERE object_kind = 'enrolment' AND object_id = 'a1'
				AND action = 'enrolment:replaced' AND actor = 'supervisor' AND after->>'replaced_by' = 'a2'`); n != 1 {
				t.Fatalf("%d audit entries of a1's retirement, want 1", n)
			}
		}},
		{"B is suspended", func() { e.feed(statusAt("b2", nidB, domain.StatusSuspended, "", 3)) }},
		{"A exits", func() { e.feed(statusAt("a3", nidA, domain.StatusExited, "old_age", 3)) }},
		{"C enrols in vgd", func() { want("c1", domain.ActionAdmit)(e.feed(enrolledAt("c1", "vgd", nidC, 5))) }},
		{"C's earlier enrolment arrives, blocked", func() {
			want("c2", domain.ActionBlock)(e.feed(enrolledAt("c2", "vgd", nidC, 3)))
			alertC2 = dupAlert("c2", nidC)
		}},
		{"B is reinstated", func() { e.feed(statusAt("b3", nidB, domain.StatusReinstated, "", 4)) }},
		{"a reviewer releases B's hold", func() {
			rule(review.RoleReviewer, domain.AlertID("b1", domain.RuleDeceasedOrExited), "release", http.StatusOK)
		}},
		{"A is reinstated", func() { e.feed(statusAt("a4", nidA, domain.StatusReinstated, "", 4)) }},
		{"C exits vgd", func() { e.feed(statusAt("c3", nidC, domain.StatusExited, "vgd", 6)) }},
		{"a supervisor overrides C's block", func() {
			rule(review.RoleSupervisor, alertC2, "release", http.StatusOK)
			if got := e.enrolmentStatuses("c1", "c2"); got["c1"] != domain.EnrolmentReplaced || got["c2"] != domain.EnrolmentActive {
				t.Fatalf("after the override: %v, want c1 replaced and c2 active", got)
			}
		}},
		{"C is suspended", func() { e.feed(statusAt("c4", nidC, domain.StatusSuspended, "", 7)) }},
		{"A is suspended", func() { e.feed(statusAt("a5", nidA, domain.StatusSuspended, "old_age", 5)) }},
		{"B exits", func() { e.feed(statusAt("b4", nidB, domain.StatusExited, "", 5)) }},
		{"D dies and enrols, held", func() {
			e.feed(statusAt("d0", nidD, domain.StatusDeceased, "", 1))
			want("d1", domain.ActionHold)(e.feed(enrolledAt("d1", "old_age", nidD, 2)))
			alertD1 = domain.AlertID("d1", domain.RuleDeceasedOrExited)
		}},
		{"D enrols again, blocked", func() {
			want("d2", domain.ActionBlock)(e.feed(enrolledAt("d2", "old_age", nidD, 3)))
			alertD2 = dupAlert("d2", nidD)
		}},
		{"a supervisor overrides D's block", func() {
			rule(review.RoleSupervisor, alertD2, "release", http.StatusOK)
		}},
		{"a reviewer tries to release D's replaced hold", func() {
			rule(review.RoleReviewer, alertD1, "release", http.StatusConflict)
			if got := e.enrolmentStatuses("d1", "d2"); got["d1"] != domain.EnrolmentReplaced || got["d2"] != domain.EnrolmentActive {
				t.Fatalf("after the refused release: %v, want d1 replaced and d2 active", got)
			}
			if got := e.queryString(`SELECT action FROM decisions WHERE event_id = 'd1'`); got != "HOLD" {
				t.Fatalf("d1's decision %s after the refused release, want HOLD", got)
			}
		}},
		{"the reviewer confirms D's replaced hold", func() { rule(review.RoleReviewer, alertD1, "confirm", http.StatusOK) }},
		{"C is reinstated", func() { e.feed(statusAt("c5", nidC, domain.StatusReinstated, "vgd", 8)) }},
		{"E enrols in old_age and is blocked from widow", func() {
			want("e1", domain.ActionAdmit)(e.feed(enrolledAt("e1", "old_age", nidE, 1)))
			want("e2", domain.ActionBlock)(e.feed(enrolledAt("e2", "widow", nidE, 2)))
			alertE2 = domain.AlertID("e2", domain.RuleMultiProgramme)
		}},
		{"a supervisor overrides E's MULTI_PROGRAMME block", func() { rule(review.RoleSupervisor, alertE2, "release", http.StatusOK) }},
		{"E exits widow", func() { e.feed(statusAt("e3", nidE, domain.StatusExited, "widow", 3)) }},
		{"E is reinstated everywhere", func() { e.feed(statusAt("e4", nidE, domain.StatusReinstated, "", 4)) }},
		{"A is reinstated in old_age", func() { e.feed(statusAt("a6", nidA, domain.StatusReinstated, "old_age", 6)) }},
	}
	for _, s := range steps {
		s.do()
		e.agreeing(s.name, nids)
		if t.Failed() {
			return
		}
	}
	// The record backs the index up: one live enrolment per person and
	// programme.
	if n := e.queryInt(`SELECT count(*) FROM (SELECT 1 FROM enrolments WHERE status IN ('active', 'held', 'suspended')
		GROUP BY person_id, programme HAVING count(*) > 1) x`); n != 0 {
		t.Fatalf("%d persons hold two live enrolments in one programme", n)
	}
}

// TestOverrideKeepsAnotherPersonsRef overrides the block of an enrolment
// naming a beneficiary ref another person holds: the enrolment becomes its
// person's claim, and the ref stays its holder's, in the live index as in
// the record, so a payment by the ref pays the holder.
func TestOverrideKeepsAnotherPersonsRef(t *testing.T) {
	e := newEnv(t)
	const nidA, nidB = "1200000011", "1200000012"
	withRef := func(id, prog, nid, ref string, hour int) map[string]any {
		ev := enrolledAt(id, prog, nid, hour)
		ev["beneficiary_ref"] = ref
		return ev
	}
	if d := e.feed(withRef("b1", "old_age", nidB, "SHARED", 1))["b1"]; d.Action != domain.ActionAdmit {
		t.Fatalf("b1: %+v", d)
	}
	if d := e.feed(withRef("a1", "widow", nidA, "A-WIDOW", 2))["a1"]; d.Action != domain.ActionAdmit {
		t.Fatalf("a1: %+v", d)
	}
	a2 := e.feed(withRef("a2", "old_age", nidA, "SHARED", 3))["a2"]
	if v := fmt.Sprint(a2.Action, " ", a2.Rules); v != "BLOCK [MULTI_PROGRAMME REF_CONFLICT]" {
		t.Fatalf("a2: %s", v)
	}
	r := e.call(review.RoleSupervisor, http.MethodPost, alertPath(domain.AlertID("a2", domain.RuleMultiProgramme))+"/decision",
		map[string]any{"decision": "release", "reason": "lawful exception"})
	mustStatus(t, "override", r, http.StatusOK)
	if _, err := e.relay.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.agreeing("the override", []string{nidA, nidB})
	pay := payment("p1", "old_age", "", "")
	delete(pay, "nid")
	pay["beneficiary_ref"], pay["wallet"] = "SHARED", "017"+nidB[len(nidB)-8:]
	d := e.feed(pay)["p1"]
	if _, want := e.index.Identify(&domain.Event{Type: domain.TypeEnrolment, Person: &domain.Person{NID: nidB}}); d.PersonID != want || d.Action != domain.ActionAdmit {
		t.Fatalf("payment by the ref: %s %v to %s, want ADMIT to its holder %s", d.Action, d.Rules, d.PersonID, want)
	}
}

// TestPaymentByRefInTheBatchOfItsEnrolment pays by beneficiary ref in the
// batch that enrols the ref's person: the payment finds the person, as it
// would in the next batch, whatever the ref's first enrolment was decided.
func TestPaymentByRefInTheBatchOfItsEnrolment(t *testing.T) {
	e := newEnv(t)
	const nidA, nidB = "1200000021", "1200000022"
	withRef := func(id, nid, ref string, hour int) map[string]any {
		ev := enrolledAt(id, "vgd", nid, hour)
		ev["beneficiary_ref"] = ref
		return ev
	}
	byRef := func(id, ref, nid string) map[string]any {
		p := payment(id, "vgd", "", "017"+nid[len(nid)-8:])
		delete(p, "nid")
		p["beneficiary_ref"] = ref
		return p
	}
	got := e.feed(byRef("early", "REF-A", nidA), withRef("a1", nidA, "REF-A", 1), byRef("p1", "REF-A", nidA),
		// B names A's ref: the ref stays A's, and pays A.
		withRef("b1", nidB, "REF-A", 2), byRef("p2", "REF-A", nidA))
	_, pidA := e.index.Identify(&domain.Event{Type: domain.TypeEnrolment, Person: &domain.Person{NID: nidA}})
	want := map[string]string{
		"early": "BLOCK [UNKNOWN_PAYEE] ", // before the enrolment
		"a1":    "ADMIT [] " + pidA,
		"p1":    "ADMIT [] " + pidA,
		"b1":    "HOLD [REF_CONFLICT] ",
		"p2":    "BLOCK [DOUBLE_PAYMENT] " + pidA,
	}
	for id, w := range want {
		d := got[id]
		v := fmt.Sprint(d.Action, " ", d.Rules, " ")
		if d.Action != domain.ActionHold && id != "early" {
			v += d.PersonID
		}
		if v != w {
			t.Errorf("%s: %s, want %s", id, v, w)
		}
	}
}
