package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// fuzzyMatch is an enrolment of person that the matcher held as a
// FUZZY_PERSON match of matched.
func fuzzyMatch(id, person, matched string) domain.Outcome {
	// A programme of its own, as the record keeps one live enrolment of
	// a person in a programme.
	o := enrolment(id, person, "p-"+id, domain.ActionHold, domain.RuleFuzzyPerson)
	o.Decision.MatchedPerson, o.Decision.Score = matched, 9.5
	for i := range o.Alerts {
		o.Alerts[i].MatchedPerson, o.Alerts[i].Score = matched, 9.5
	}
	return o
}

// possibleMatch is enrolment id of person admitted with a POSSIBLE_PERSON
// alert naming matched: no edge until a reviewer says "same person".
func possibleMatch(id, person, matched string) domain.Outcome {
	o := enrolment(id, person, "oaa", domain.ActionAdmit, domain.RulePossiblePerson)
	o.Decision.MatchedPerson = matched
	o.Alerts = []domain.Alert{{AlertID: domain.AlertID(id, domain.RulePossiblePerson), EventID: id, Rule: domain.RulePossiblePerson,
		Action: domain.ActionAdmit, Programme: "oaa", PersonID: person, MatchedPerson: matched, CreatedAt: decidedAt}}
	return o
}

// mustWrite writes outs, one batch, as the pipeline does: again while
// the record says the failure is transient.
func mustWrite(tb testing.TB, s *postgres.Store, outs ...domain.Outcome) {
	tb.Helper()
	for try := 0; ; try++ {
		_, err := s.Write(context.Background(), outs, 0)
		if err == nil {
			return
		}
		if domain.KindOf(err) != domain.KindTransient || try > 20 {
			tb.Fatalf("write: %v", err)
		}
	}
}

func clusterOf(t *testing.T, s *postgres.Store, persons ...string) map[string]string {
	t.Helper()
	got, err := s.ClusterIDs(context.Background(), persons)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wantClusters(t *testing.T, s *postgres.Store, want map[string]string) {
	t.Helper()
	var ps []string
	for p := range want {
		ps = append(ps, p)
	}
	got := clusterOf(t, s, ps...)
	for p, c := range want {
		if got[p] != c {
			t.Errorf("person %s: cluster %q, want %q", p, got[p], c)
		}
	}
}

// rule applies ruling r to the alert of event eventID's rule as a
// supervisor.
func rule(t *testing.T, s *postgres.Store, eventID, ruleCode string, r review.Ruling) {
	t.Helper()
	sup := review.Actor{Username: "sup", Role: review.RoleSupervisor}
	_, _, err := s.ReviewAlert(context.Background(), domain.AlertID(eventID, ruleCode), sup, "checked the records",
		func(l *review.Locked) (review.Plan, error) { return review.PlanRuling(l, sup, r, nil, decidedAt) })
	if err != nil {
		t.Fatalf("%s on %s: %v", r, eventID, err)
	}
}

func TestClusterOfFuzzyMatchesKeepsTheOldestID(t *testing.T) {
	s := mustStore(t)
	ctx := context.Background()
	// P1 and P3 are recorded first; P2 matches P1, P4 matches P3: two
	// clusters, each named by its oldest member.
	mustWrite(t, s, enrolment("e1", "P1", "oaa", domain.ActionAdmit), enrolment("e3", "P3", "oaa", domain.ActionAdmit))
	mustWrite(t, s, fuzzyMatch("e2", "P2", "P1"))
	mustWrite(t, s, fuzzyMatch("e4", "P4", "P3"))
	wantClusters(t, s, map[string]string{"P1": "P1", "P2": "P1", "P3": "P3", "P4": "P3"})
	// The same NID enrolled again is the same person id: it joins
	// nothing new and changes no id.
	mustWrite(t, s, enrolment("e5", "P4", "wid", domain.ActionBlock, domain.RuleMultiProgramme))
	wantClusters(t, s, map[string]string{"P1": "P1", "P2": "P1", "P3": "P3", "P4": "P3"})
	// P4 matches P2: the two clusters merge and the older id survives,
	// whichever side the match came from.
	mustWrite(t, s, fuzzyMatch("e6", "P4", "P2"))
	wantClusters(t, s, map[string]string{"P1": "P1", "P2": "P1", "P3": "P1", "P4": "P1"})

	c, err := s.Cluster(ctx, "P4")
	if err != nil {
		t.Fatal(err)
	}
	if c.ClusterID != "P1" || !slices.Equal(c.Persons, []string{"P1", "P3", "P2", "P4"}) {
		t.Errorf("cluster %s of persons %v, want P1 of P1 P3 P2 P4 (in the order recorded)", c.ClusterID, c.Persons)
	}
	if len(c.Members) != 6 {
		t.Errorf("%d records, want 6", len(c.Members))
	}
	kinds := map[string]int{}
	for _, e := range c.Edges {
		kinds[e.Kind+"/"+e.State]++
		// P4's later records are linked to its first by the NID.
		if e.Kind == review.EdgeExact && (e.MatchedRecordID != "e4" || e.RecordID == "e5" && !slices.Equal(e.Rules, []string{domain.RuleMultiProgramme})) {
			t.Errorf("exact edge %+v, want e5 and e6 to e4, e5 by MULTI_PROGRAMME", e)
		}
	}
	if kinds["fuzzy/live"] != 3 || kinds["exact/live"] != 2 {
		t.Errorf("edges by kind %v, want 3 live fuzzy and 2 exact", kinds)
	}
	var merges []string
	for _, h := range c.History {
		merges = append(merges, h.Kind+":"+h.ClusterID+"<"+h.OtherID)
	}
	if !slices.Equal(merges, []string{"merge:P1<P2", "merge:P3<P4", "merge:P1<P3"}) {
		t.Errorf("history %v", merges)
	}
	// A redelivered batch adds no edge and no history.
	mustWrite(t, s, fuzzyMatch("e6", "P4", "P2"))
	if again, _ := s.Cluster(ctx, "P1"); len(again.Edges) != len(c.Edges) || len(again.History) != len(c.History) {
		t.Errorf("a redelivery changed the cluster: %d edges, %d history; was %d, %d", len(again.Edges), len(again.History), len(c.Edges), len(c.History))
	}
}

// TestNotSameSplitsAndIsNeverUndone: a reviewer's "not the same person"
// removes the edges joining the two, along every path, splits the
// cluster, and no later match or exact record joins them again.
func TestNotSameSplitsAndIsNeverUndone(t *testing.T) {
	s := mustStore(t)
	ctx := context.Background()
	mustWrite(t, s, enrolment("e1", "P1", "oaa", domain.ActionAdmit))
	mustWrite(t, s, fuzzyMatch("e2", "P2", "P1"))
	mustWrite(t, s, fuzzyMatch("e3", "P3", "P2"))
	mustWrite(t, s, fuzzyMatch("e4", "P3", "P1"))
	wantClusters(t, s, map[string]string{"P1": "P1", "P2": "P1", "P3": "P1"})

	// P2 is not P1: the direct edge goes, and so does the newest edge of
	// the path P1-P3-P2 that would keep them joined.
	rule(t, s, "e2", domain.RuleFuzzyPerson, review.RulingNotSame)
	wantClusters(t, s, map[string]string{"P1": "P1", "P2": "P2", "P3": "P2"})
	c, err := s.Cluster(ctx, "P3")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, e := range c.Edges {
		if e.Kind == review.EdgeFuzzy {
			states[e.RecordID] = e.State
		}
	}
	if states["e2"] != review.EdgeRemoved || states["e3"] != review.EdgeLive || states["e4"] != review.EdgeRemoved {
		t.Errorf("edge states %v: want e2 and e4 removed, e3 live", states)
	}
	if h := c.History[len(c.History)-1]; h.Kind != review.HistorySplit || h.ClusterID != "P1" || h.OtherID != "P2" || h.Actor != "sup" {
		t.Errorf("last history entry %+v, want P2 split from P1 by sup", h)
	}

	// The matcher (through P3, in P2's cluster) and a later exact record
	// of P2 do not join P1 again: the edge is refused and kept.
	mustWrite(t, s, fuzzyMatch("e5", "P3", "P1"))
	mustWrite(t, s, enrolment("e6", "P2", "wid", domain.ActionBlock, domain.RuleMultiProgramme))
	wantClusters(t, s, map[string]string{"P1": "P1", "P2": "P2", "P3": "P2"})
	c, _ = s.Cluster(ctx, "P1")
	refused := 0
	for _, e := range c.Edges {
		if e.RecordID == "e5" && e.State == review.EdgeRefused {
			refused++
		}
	}
	if h := c.History[len(c.History)-1]; refused != 1 || h.Kind != review.HistoryRefused || h.EventID != "e5" {
		t.Errorf("the match e5 should be refused and recorded: %d refused, last history %+v", refused, h)
	}

	// A "same person" ruling is an edge too: P4, only possibly P2, is
	// judged the same and joins P2's cluster, whose id stays.
	mustWrite(t, s, enrolment("e7", "P4", "oaa", domain.ActionAdmit))
	mustWrite(t, s, possibleMatch("e8", "P5", "P4"))
	wantClusters(t, s, map[string]string{"P4": "P4", "P5": "P5"})
	rule(t, s, "e8", domain.RulePossiblePerson, review.RulingSame)
	wantClusters(t, s, map[string]string{"P4": "P4", "P5": "P4"})
}

// TestClustersDoNotDependOnEdgeOrder adds one set of fuzzy edges in
// several orders and batchings: every order gives the same clusters
// under the same ids (the oldest member's).
func TestClustersDoNotDependOnEdgeOrder(t *testing.T) {
	const persons = 30
	r := rand.New(rand.NewPCG(3, 4))
	type edge struct{ a, b int }
	var edges []edge
	for range 24 {
		a, b := r.IntN(persons), r.IntN(persons)
		if a != b {
			edges = append(edges, edge{a, b})
		}
	}
	// The expected clusters: components, named by their least person.
	parent := make([]int, persons)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	for _, e := range edges {
		a, b := find(e.a), find(e.b)
		parent[max(a, b)] = min(a, b)
	}
	want := map[string]string{}
	for i := range persons {
		want[fmt.Sprintf("P%02d", i)] = fmt.Sprintf("P%02d", find(i))
	}
	for trial := range 3 {
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			s := mustStore(t)
			var first []domain.Outcome
			for i := range persons {
				first = append(first, enrolment(fmt.Sprintf("e%02d", i), fmt.Sprintf("P%02d", i), "oaa", domain.ActionAdmit))
			}
			mustWrite(t, s, first...)
			order := slices.Clone(edges)
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			var batch []domain.Outcome
			for i, e := range order {
				batch = append(batch, fuzzyMatch(fmt.Sprintf("m%02d", i), fmt.Sprintf("P%02d", e.a), fmt.Sprintf("P%02d", e.b)))
				if len(batch) == trial+1 || i == len(order)-1 {
					mustWrite(t, s, batch...)
					batch = nil
				}
			}
			wantClusters(t, s, want)
		})
	}
}

// TestConcurrentEdgesKeepClustersWhole adds edges between a few persons
// from many goroutines at once, each in its own transaction: every
// person's stored cluster must be its component over the live edges,
// named by its oldest member, and no edge lost.
func TestConcurrentEdgesKeepClustersWhole(t *testing.T) {
	s := mustStore(t)
	ctx := context.Background()
	const persons, workers, each = 24, 8, 12
	var first []domain.Outcome
	for i := range persons {
		first = append(first, enrolment(fmt.Sprintf("e%02d", i), fmt.Sprintf("P%02d", i), "oaa", domain.ActionAdmit))
	}
	mustWrite(t, s, first...)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for k := range each {
				a, b := r.IntN(persons), r.IntN(persons)
				if a == b {
					b = (a + 1) % persons
				}
				// Two edges a batch, so that a transaction locks
				// several roots.
				c := r.IntN(persons)
				mustWrite(t, s, fuzzyMatch(fmt.Sprintf("w%d-%d-a", w, k), fmt.Sprintf("P%02d", a), fmt.Sprintf("P%02d", b)),
					fuzzyMatch(fmt.Sprintf("w%d-%d-b", w, k), fmt.Sprintf("P%02d", c), fmt.Sprintf("P%02d", (c+5)%persons)))
			}
		}()
	}
	wg.Wait()

	var live int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM cluster_edges WHERE state = 'live'").Scan(&live); err != nil {
		t.Fatal(err)
	}
	if live != workers*each*2 {
		t.Errorf("%d live edges, want %d", live, workers*each*2)
	}
	rows, err := s.Pool().Query(ctx, "SELECT person_a, person_b FROM cluster_edges WHERE state = 'live'")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(p string) string {
		if _, ok := parent[p]; !ok {
			parent[p] = p
		}
		for parent[p] != p {
			p = parent[p]
		}
		return p
	}
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		ra, rb := find(a), find(b)
		if ra != rb {
			// Person ids were recorded in their numeric order.
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	rows.Close()
	want := map[string]string{}
	for i := range persons {
		p := fmt.Sprintf("P%02d", i)
		want[p] = find(p)
	}
	wantClusters(t, s, want)
	var merges int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM cluster_history WHERE kind = 'merge'").Scan(&merges); err != nil {
		t.Fatal(err)
	}
	roots := map[string]bool{}
	for _, c := range want {
		roots[c] = true
	}
	if merges != persons-len(roots) {
		t.Errorf("%d merges recorded, want %d (persons less clusters)", merges, persons-len(roots))
	}
}

// TestLinkHistoryBuildsTheStreamsClusters: a record kept before persons
// were clusters has no edges, and its persons stand alone. Linking its
// history (FUZZY_PERSON decisions and reviewers' rulings) gives the
// clusters the stream would have built, "not the same person" included;
// run again, it adds nothing.
func TestLinkHistoryBuildsTheStreamsClusters(t *testing.T) {
	s := mustStore(t)
	ctx := context.Background()
	mustWrite(t, s, enrolment("e1", "P1", "oaa", domain.ActionAdmit))
	mustWrite(t, s, fuzzyMatch("e2", "P2", "P1"))
	mustWrite(t, s, fuzzyMatch("e3", "P3", "P2"))
	mustWrite(t, s, fuzzyMatch("e4", "P4", "P1"))
	rule(t, s, "e4", domain.RuleFuzzyPerson, review.RulingNotSame)
	mustWrite(t, s, fuzzyMatch("e5", "P4", "P3")) // refused: P4 is not P1
	mustWrite(t, s, enrolment("e6", "P6", "oaa", domain.ActionAdmit))
	mustWrite(t, s, possibleMatch("e7", "P7", "P6"))
	rule(t, s, "e7", domain.RulePossiblePerson, review.RulingSame)
	persons := []string{"P1", "P2", "P3", "P4", "P6", "P7"}
	want := clusterOf(t, s, persons...)
	if want["P3"] != "P1" || want["P4"] != "P4" || want["P7"] != "P6" {
		t.Fatalf("the stream built %v; the test expects P1-P2-P3, P4 alone, P6-P7", want)
	}

	if _, err := s.Pool().Exec(ctx, `TRUNCATE cluster_edges, cluster_history; UPDATE persons SET cluster_id = NULL`); err != nil {
		t.Fatal(err)
	}
	if got := clusterOf(t, s, "P3"); got["P3"] != "P3" {
		t.Fatalf("without edges P3 is in %q", got["P3"])
	}
	n, err := s.LinkHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 { // e2, e3, e4, e5 and the ruling on e7
		t.Errorf("linked %d edges, want 5", n)
	}
	wantClusters(t, s, want)
	if n, err := s.LinkHistory(ctx); err != nil || n != 0 {
		t.Errorf("linked again: %d edges (%v), want none", n, err)
	}
	wantClusters(t, s, want)
}
