package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// Persons as clusters (migration 0012). A person id is one identity;
// a cluster joins person ids by fuzzy and same_person edges. Each person
// row names its cluster (cluster_id, NULL for a person alone), which is
// the person id of the cluster's oldest member (least seq). Adding an
// edge is a union of the two stored roots; a "not the same person"
// removes edges and recomputes the one component it cut. Both run inside
// the transaction that records the decision or the ruling, with the
// roots' person rows locked in person id order, so that two transactions
// changing one cluster run one after the other.

// clusterEdge is an edge a batch or a ruling adds between two persons.
type clusterEdge struct {
	a, b             string
	kind             string
	eventID, alertID string
	actor            string
	score            pgtype.Float8
}

// addEdge adds the fuzzy edge of a decision that matched another person
// above the hold threshold.
func (b *batchRows) addEdge(d *domain.Decision) {
	if d.PersonID == "" || d.MatchedPerson == "" || d.PersonID == d.MatchedPerson ||
		d.Action == domain.ActionRejected || !slices.Contains(d.Rules, domain.RuleFuzzyPerson) {
		return
	}
	b.edges = append(b.edges, clusterEdge{a: d.PersonID, b: d.MatchedPerson, kind: review.EdgeFuzzy, eventID: d.EventID,
		score: pgtype.Float8{Float64: d.Score, Valid: true}})
}

// maxRootTries bounds how often lockRoots reads the roots again after a
// merge or split elsewhere moved them while it waited.
const maxRootTries = 50

// lockRoots locks the roots of the clusters of persons, in person id
// order, and returns each person's root, the roots' seq, and the persons
// without a row. A root that stopped being one while it waited for the
// lock (another transaction merged or split its cluster) is let go, by
// rolling back to a savepoint, and the roots are read again.
func lockRoots(ctx context.Context, tx pgx.Tx, persons []string) (root map[string]string, seq map[string]int64, missing []string, err error) {
	for try := 0; try < maxRootTries; try++ {
		if _, err := tx.Exec(ctx, "SAVEPOINT cluster_roots"); err != nil {
			return nil, nil, nil, err
		}
		root, seq, missing, ok, err := tryLockRoots(ctx, tx, persons)
		if err != nil {
			return nil, nil, nil, err
		}
		if ok {
			_, err := tx.Exec(ctx, "RELEASE SAVEPOINT cluster_roots")
			return root, seq, missing, err
		}
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT cluster_roots"); err != nil {
			return nil, nil, nil, err
		}
	}
	return nil, nil, nil, domain.Errorf(domain.KindTransient, "postgres: lock clusters", "the clusters kept changing for %d tries", maxRootTries)
}

func tryLockRoots(ctx context.Context, tx pgx.Tx, persons []string) (map[string]string, map[string]int64, []string, bool, error) {
	root := make(map[string]string, len(persons))
	if err := scanPairs(ctx, tx, `SELECT person_id, COALESCE(cluster_id, person_id) FROM persons WHERE person_id = ANY($1)`,
		func(p, r string) { root[p] = r }, persons); err != nil {
		return nil, nil, nil, false, err
	}
	var missing []string
	roots := map[string]bool{}
	for _, p := range persons {
		if r, ok := root[p]; ok {
			roots[r] = true
		} else if !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	ids := make([]string, 0, len(roots))
	for r := range roots {
		ids = append(ids, r)
	}
	sort.Strings(ids)
	rows, err := tx.Query(ctx, `SELECT person_id, COALESCE(cluster_id, person_id), seq FROM persons
		WHERE person_id = ANY($1) ORDER BY person_id FOR UPDATE`, ids)
	if err != nil {
		return nil, nil, nil, false, err
	}
	seq := make(map[string]int64, len(ids))
	stale := false
	for rows.Next() {
		var p, r string
		var n int64
		if err := rows.Scan(&p, &r, &n); err != nil {
			rows.Close()
			return nil, nil, nil, false, err
		}
		seq[p] = n
		stale = stale || p != r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, false, err
	}
	if stale || len(seq) != len(ids) {
		return nil, nil, nil, false, nil
	}
	// The persons' own rows may have moved before the roots were locked.
	again := map[string]string{}
	if err := scanPairs(ctx, tx, `SELECT person_id, COALESCE(cluster_id, person_id) FROM persons WHERE person_id = ANY($1)`,
		func(p, r string) { again[p] = r }, persons); err != nil {
		return nil, nil, nil, false, err
	}
	for p, r := range again {
		if r != root[p] {
			return nil, nil, nil, false, nil
		}
	}
	return root, seq, missing, true, nil
}

func scanPairs(ctx context.Context, q querier, sql string, fn func(a, b string), args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

// clusterState is the clusters an operation holds locked, in memory.
type clusterState struct {
	root    map[string]string   // person -> root
	members map[string][]string // root -> persons
	seq     map[string]int64    // root -> seq
	notSame map[string][]string // person -> persons judged not the same
}

// loadClusters reads the members of the locked roots and the "not the
// same person" judgements on them.
func loadClusters(ctx context.Context, tx pgx.Tx, roots []string, seq map[string]int64) (*clusterState, error) {
	st := &clusterState{root: map[string]string{}, members: map[string][]string{}, seq: seq, notSame: map[string][]string{}}
	var all []string
	if err := scanPairs(ctx, tx, `SELECT person_id, COALESCE(cluster_id, person_id) FROM persons
		WHERE cluster_id = ANY($1) OR person_id = ANY($1) ORDER BY seq`, func(p, r string) {
		st.root[p] = r
		st.members[r] = append(st.members[r], p)
		all = append(all, p)
	}, roots); err != nil {
		return nil, err
	}
	err := scanPairs(ctx, tx, `SELECT person_a, person_b FROM match_judgements
		WHERE verdict = 'not_same' AND (person_a = ANY($1) OR person_b = ANY($1))`, func(a, b string) {
		st.notSame[a] = append(st.notSame[a], b)
		st.notSame[b] = append(st.notSame[b], a)
	}, all)
	return st, err
}

// constrained reports whether a member of cluster ra was judged not the
// same as a member of cluster rb.
func (st *clusterState) constrained(ra, rb string) bool {
	small, other := ra, rb
	if len(st.members[ra]) > len(st.members[rb]) {
		small, other = rb, ra
	}
	for _, p := range st.members[small] {
		for _, q := range st.notSame[p] {
			if st.root[q] == other {
				return true
			}
		}
	}
	return false
}

// linkPersons adds edges in tx, in order: each joins the clusters of its
// two persons (the older root survives and the merge is kept in the
// history), unless a member of one was judged not the same as a member
// of the other, when the edge is kept as refused. An edge naming a person
// the record does not hold is kept as refused too.
func linkPersons(ctx context.Context, tx pgx.Tx, edges []clusterEdge) error {
	if len(edges) == 0 {
		return nil
	}
	var persons []string
	for _, e := range edges {
		persons = append(persons, e.a, e.b)
	}
	root, seq, missing, err := lockRoots(ctx, tx, persons)
	if err != nil {
		return err
	}
	roots := make([]string, 0, len(seq))
	for r := range seq {
		roots = append(roots, r)
	}
	st, err := loadClusters(ctx, tx, roots, seq)
	if err != nil {
		return err
	}
	for p, r := range root {
		st.root[p] = r
	}
	var (
		ed   edgeRows
		hist historyRows
	)
	moved := map[string]bool{}
	for _, e := range edges {
		state := review.EdgeLive
		ra, rb := st.root[e.a], st.root[e.b]
		switch {
		case slices.Contains(missing, e.a) || slices.Contains(missing, e.b):
			state = review.EdgeRefused
		case ra == rb:
		case st.constrained(ra, rb):
			state = review.EdgeRefused
			hist.add(review.HistoryRefused, ra, rb, len(ed.a), e, e.a, e.b)
		default:
			win, lose := ra, rb
			if st.seq[rb] < st.seq[ra] {
				win, lose = rb, ra
			}
			for _, p := range st.members[lose] {
				st.root[p] = win
				moved[p] = true
			}
			moved[win] = true
			st.members[win] = append(st.members[win], st.members[lose]...)
			delete(st.members, lose)
			hist.add(review.HistoryMerge, win, lose, len(ed.a), e, e.a, e.b)
		}
		ed.add(e, state)
	}
	ids, err := ed.insert(ctx, tx)
	if err != nil {
		return err
	}
	if err := hist.insert(ctx, tx, ids); err != nil {
		return err
	}
	return setRoots(ctx, tx, st, moved)
}

// setRoots writes the cluster of the persons moved: NULL for a person
// alone.
func setRoots(ctx context.Context, tx pgx.Tx, st *clusterState, moved map[string]bool) error {
	if len(moved) == 0 {
		return nil
	}
	var ps []string
	var rs []pgtype.Text
	for p := range moved {
		r := st.root[p]
		ps = append(ps, p)
		rs = append(rs, pgtype.Text{String: r, Valid: len(st.members[r]) > 1})
	}
	_, err := tx.Exec(ctx, `UPDATE persons p SET cluster_id = t.r FROM unnest($1::text[], $2::text[]) AS t(p, r)
		WHERE p.person_id = t.p`, ps, rs)
	return err
}

type edgeRows struct {
	a, b, kind, state, event, alert, actor []string
	score                                  []pgtype.Float8
}

func (r *edgeRows) add(e clusterEdge, state string) {
	r.a, r.b, r.kind, r.state = append(r.a, e.a), append(r.b, e.b), append(r.kind, e.kind), append(r.state, state)
	r.event, r.alert, r.actor = append(r.event, e.eventID), append(r.alert, e.alertID), append(r.actor, e.actor)
	r.score = append(r.score, e.score)
}

// insert writes the edges and returns their ids, in order.
func (r *edgeRows) insert(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	rows, err := tx.Query(ctx, `INSERT INTO cluster_edges (person_a, person_b, kind, state, event_id, alert_id, decided_by, score)
		SELECT a, b, kind, state, ev, al, actor, score
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[])
			WITH ORDINALITY AS t(a, b, kind, state, ev, al, actor, score, ord)
		ORDER BY ord RETURNING edge_id`, r.a, r.b, r.kind, r.state, r.event, r.alert, r.actor, r.score)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	slices.Sort(ids) // a bigserial: in insertion order
	return ids, nil
}

type historyRows struct {
	kind, cluster, other, event, alert, actor []string
	edge                                      []int // index into the edges inserted, -1 for none
	persons                                   [][]string
}

func (h *historyRows) add(kind, cluster, other string, edge int, e clusterEdge, persons ...string) {
	ps := []string{cluster, other}
	for _, p := range persons {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	h.kind, h.cluster, h.other = append(h.kind, kind), append(h.cluster, cluster), append(h.other, other)
	h.event, h.alert, h.actor = append(h.event, e.eventID), append(h.alert, e.alertID), append(h.actor, e.actor)
	h.edge, h.persons = append(h.edge, edge), append(h.persons, ps)
}

func (h *historyRows) insert(ctx context.Context, tx pgx.Tx, edgeIDs []int64) error {
	if len(h.kind) == 0 {
		return nil
	}
	edges := make([]pgtype.Int8, len(h.edge))
	for i, k := range h.edge {
		if k >= 0 && k < len(edgeIDs) {
			edges[i] = pgtype.Int8{Int64: edgeIDs[k], Valid: true}
		}
	}
	var b pgx.Batch
	for i := range h.kind {
		b.Queue(`INSERT INTO cluster_history (kind, cluster_id, other_id, edge_id, persons, event_id, alert_id, actor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, h.kind[i], h.cluster[i], h.other[i], edges[i], h.persons[i],
			h.event[i], h.alert[i], h.actor[i])
	}
	return tx.SendBatch(ctx, &b).Close()
}

// judgeCluster applies a reviewer's judgement of persons a and b, made
// on alert alertID by actor, to the clusters: "same person" adds an edge;
// "not the same person" removes the edges that join them and splits
// their cluster. It runs in the ruling's transaction, after the
// judgement is stored.
func judgeCluster(ctx context.Context, tx pgx.Tx, verdict, a, b, alertID, eventID, actor string) error {
	e := clusterEdge{a: a, b: b, kind: review.EdgeSamePerson, alertID: alertID, eventID: eventID, actor: actor}
	switch verdict {
	case domain.JudgementSame:
		return linkPersons(ctx, tx, []clusterEdge{e})
	case domain.JudgementNotSame:
		return splitPersons(ctx, tx, e)
	}
	return nil
}

// liveEdge is a live edge of a cluster being split.
type liveEdge struct {
	id   int64
	a, b string
}

// splitPersons separates persons e.a and e.b, judged not the same: it
// removes the live edges between them and then, while a path of live
// edges still joins them, the newest edge of the shortest such path; the
// component is recomputed and each part is named by its oldest member
// (the part holding the old root keeps its id). Each part split off is
// kept in the history.
func splitPersons(ctx context.Context, tx pgx.Tx, e clusterEdge) error {
	root, _, missing, err := lockRoots(ctx, tx, []string{e.a, e.b})
	if err != nil || len(missing) > 0 || root[e.a] != root[e.b] {
		return err
	}
	c := root[e.a]
	var members []string
	pseq := map[string]int64{}
	rows, err := tx.Query(ctx, `SELECT person_id, seq FROM persons WHERE cluster_id = $1 OR person_id = $1 ORDER BY seq`, c)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p string
		var n int64
		if err := rows.Scan(&p, &n); err != nil {
			rows.Close()
			return err
		}
		members = append(members, p)
		pseq[p] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT edge_id, person_a, person_b FROM cluster_edges
		WHERE state = 'live' AND person_a = ANY($1) ORDER BY edge_id`, members)
	if err != nil {
		return err
	}
	var live []liveEdge
	for rows.Next() {
		var le liveEdge
		if err := rows.Scan(&le.id, &le.a, &le.b); err != nil {
			rows.Close()
			return err
		}
		live = append(live, le)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	removed := map[int64]bool{}
	for _, le := range live {
		if (le.a == e.a && le.b == e.b) || (le.a == e.b && le.b == e.a) {
			removed[le.id] = true
		}
	}
	for {
		path := shortestPath(live, removed, e.a, e.b)
		if path == nil {
			break
		}
		removed[slices.Max(path)] = true
	}
	var ids []int64
	for id := range removed {
		ids = append(ids, id)
	}
	if _, err := tx.Exec(ctx, `UPDATE cluster_edges SET state = 'removed', ended_at = clock_timestamp(), ended_by = $2
		WHERE edge_id = ANY($1)`, ids, e.actor); err != nil {
		return err
	}
	// The parts: components of the members over the edges left.
	comp := components(members, live, removed)
	st := &clusterState{root: map[string]string{}, members: map[string][]string{}}
	moved := map[string]bool{}
	var hist historyRows
	for _, part := range comp {
		r := part[0]
		for _, p := range part {
			if pseq[p] < pseq[r] {
				r = p
			}
		}
		st.members[r] = part
		for _, p := range part {
			st.root[p] = r
			moved[p] = true
		}
		if r != c {
			hist.add(review.HistorySplit, c, r, -1, e, e.a, e.b)
		}
	}
	if err := hist.insert(ctx, tx, nil); err != nil {
		return err
	}
	return setRoots(ctx, tx, st, moved)
}

// shortestPath returns the ids of the edges of a shortest path of edges
// not removed from a to b, or nil when there is none.
func shortestPath(edges []liveEdge, removed map[int64]bool, a, b string) []int64 {
	adj := map[string][]liveEdge{}
	for _, e := range edges {
		if !removed[e.id] {
			adj[e.a] = append(adj[e.a], e)
			adj[e.b] = append(adj[e.b], e)
		}
	}
	via := map[string]liveEdge{a: {}}
	queue := []string{a}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == b {
			var path []int64
			for p != a {
				e := via[p]
				path = append(path, e.id)
				if e.a == p {
					p = e.b
				} else {
					p = e.a
				}
			}
			return path
		}
		for _, e := range adj[p] {
			q := e.a
			if q == p {
				q = e.b
			}
			if _, seen := via[q]; !seen {
				via[q] = e
				queue = append(queue, q)
			}
		}
	}
	return nil
}

// components returns the connected components of members over the edges
// not removed, each in members' order.
func components(members []string, edges []liveEdge, removed map[int64]bool) [][]string {
	parent := map[string]string{}
	var find func(string) string
	find = func(p string) string {
		for parent[p] != p {
			parent[p] = parent[parent[p]]
			p = parent[p]
		}
		return p
	}
	for _, p := range members {
		parent[p] = p
	}
	for _, e := range edges {
		if removed[e.id] {
			continue
		}
		if _, ok := parent[e.a]; !ok {
			continue
		}
		if _, ok := parent[e.b]; !ok {
			continue
		}
		parent[find(e.a)] = find(e.b)
	}
	idx := map[string]int{}
	var out [][]string
	for _, p := range members {
		r := find(p)
		i, ok := idx[r]
		if !ok {
			i = len(out)
			idx[r] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// ClusterIDs returns the cluster of each of persons the record holds:
// the person id of the cluster's oldest member.
func (s *Store) ClusterIDs(ctx context.Context, persons []string) (map[string]string, error) {
	out := make(map[string]string, len(persons))
	err := scanPairs(ctx, s.pool, `SELECT person_id, COALESCE(cluster_id, person_id) FROM persons WHERE person_id = ANY($1)`,
		func(p, c string) { out[p] = c }, persons)
	return out, classify("postgres: read clusters", err)
}

// Cluster returns the cluster of person personID: its members' records,
// the edges between them (exact edges derived from the person ids, the
// stored ones in every state) and its history. Identifiers are in clear;
// the API masks them. An unknown person is of KindNotFound.
func (s *Store) Cluster(ctx context.Context, personID string) (*review.ClusterView, error) {
	c := &review.ClusterView{PersonID: personID, Persons: []string{}, Members: []review.ClusterMember{},
		Edges: []review.ClusterEdge{}, History: []review.ClusterEvent{}}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT COALESCE(cluster_id, person_id) FROM persons WHERE person_id = $1`, personID).Scan(&c.ClusterID)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.Errorf(domain.KindNotFound, "postgres: read cluster", "no person %s", personID)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT person_id FROM persons WHERE cluster_id = $1 OR person_id = $1 ORDER BY seq`, c.ClusterID)
		if err != nil {
			return err
		}
		if c.Persons, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		if err := clusterMembers(ctx, tx, c); err != nil {
			return err
		}
		if err := clusterEdges(ctx, tx, c); err != nil {
			return err
		}
		return clusterHistory(ctx, tx, c)
	})
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, classify("postgres: read cluster", err)
	}
	return c, nil
}

func clusterMembers(ctx context.Context, tx pgx.Tx, c *review.ClusterView) error {
	rows, err := tx.Query(ctx, `SELECT `+enrolmentColumns+`, d.action, d.rules
		FROM enrolments e
		LEFT JOIN decision_keys k ON k.event_id = e.event_id
		LEFT JOIN decisions d ON d.event_id = k.event_id AND d.recorded_at = k.recorded_at
		WHERE e.person_id = ANY($1) ORDER BY e.enrolled_at, e.event_id`, c.Persons)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e      review.Enrolment
			rec    []byte
			action pgtype.Text
			rules  []string
		)
		if err := rows.Scan(&e.EventID, &e.PersonID, &e.Programme, &e.BeneficiaryRef, &e.Source, &e.Status,
			&e.WalletKey, &e.District, &e.EnrolledAt, &rec, &action, &rules); err != nil {
			return err
		}
		var p domain.Person
		if err := json.Unmarshal(rec, &p); err != nil {
			return err
		}
		m := review.ClusterMember{RecordID: e.EventID, PersonID: e.PersonID, Programme: e.Programme, Status: e.Status,
			Action: action.String, Rules: rules, NameBN: p.NameBN, NameEN: p.NameEN, DOB: p.DOB, NID: p.NID,
			BirthRegNo: p.BirthRegNo, Phone: p.Phone, District: e.District, EnrolledAt: e.EnrolledAt}
		if m.Rules == nil {
			m.Rules = []string{}
		}
		c.Members = append(c.Members, m)
	}
	return rows.Err()
}

// firstRecords returns each person's first record in the cluster.
func firstRecords(c *review.ClusterView) map[string]string {
	first := map[string]string{}
	for _, m := range c.Members {
		if _, ok := first[m.PersonID]; !ok {
			first[m.PersonID] = m.RecordID
		}
	}
	return first
}

func clusterEdges(ctx context.Context, tx pgx.Tx, c *review.ClusterView) error {
	first := firstRecords(c)
	for _, m := range c.Members {
		if f := first[m.PersonID]; f != m.RecordID {
			c.Edges = append(c.Edges, review.ClusterEdge{Kind: review.EdgeExact, State: review.EdgeLive, PersonA: m.PersonID,
				PersonB: m.PersonID, RecordID: m.RecordID, MatchedRecordID: f, Rules: m.Rules, At: m.EnrolledAt})
		}
	}
	rows, err := tx.Query(ctx, `SELECT edge_id, kind, state, person_a, person_b, event_id, alert_id, COALESCE(score, 0),
			decided_by, created_at, ended_at, ended_by
		FROM cluster_edges WHERE person_a = ANY($1) OR person_b = ANY($1) ORDER BY edge_id`, c.Persons)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e review.ClusterEdge
		var ended pgtype.Timestamptz
		if err := rows.Scan(&e.EdgeID, &e.Kind, &e.State, &e.PersonA, &e.PersonB, &e.RecordID, &e.AlertID, &e.Score,
			&e.DecidedBy, &e.At, &ended, &e.EndedBy); err != nil {
			return err
		}
		if ended.Valid {
			t := ended.Time
			e.EndedAt = &t
		}
		e.MatchedRecordID = first[e.PersonB]
		c.Edges = append(c.Edges, e)
	}
	return rows.Err()
}

func clusterHistory(ctx context.Context, tx pgx.Tx, c *review.ClusterView) error {
	rows, err := tx.Query(ctx, `SELECT kind, cluster_id, other_id, COALESCE(edge_id, 0), persons, event_id, alert_id, actor, at
		FROM cluster_history WHERE persons && $1::text[] ORDER BY history_id`, c.Persons)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h review.ClusterEvent
		if err := rows.Scan(&h.Kind, &h.ClusterID, &h.OtherID, &h.EdgeID, &h.Persons, &h.EventID, &h.AlertID, &h.Actor, &h.At); err != nil {
			return err
		}
		c.History = append(c.History, h)
	}
	return rows.Err()
}

// linkHistoryBatch is how many edges of the history one transaction links.
const linkHistoryBatch = 500

// LinkHistory gives a record kept before persons were clusters (migration
// 0012) the edges its history holds, as the stream would have added them:
// a fuzzy edge for each FUZZY_PERSON decision that matched another person,
// and a same_person edge for each reviewer's "same person", oldest first,
// each joining the two clusters unless a "not the same person" between
// them refuses it. It adds only what has no edge yet, so it may be run
// again, and stopped at any point: a run after it finishes the work. It
// returns how many edges it added.
func (s *Store) LinkHistory(ctx context.Context) (int, error) {
	const pending = `
		SELECT * FROM (
			SELECT d.decided_at AS at, d.event_id, '' AS alert_id, d.person_id AS a, d.matched_person_id AS b,
				'fuzzy' AS kind, d.score, '' AS actor
			FROM decisions d
			WHERE 'FUZZY_PERSON' = ANY(d.rules) AND d.action <> 'REJECTED'
				AND d.person_id IS NOT NULL AND d.matched_person_id IS NOT NULL AND d.person_id <> d.matched_person_id
				AND NOT EXISTS (SELECT 1 FROM cluster_edges e WHERE e.kind = 'fuzzy' AND e.event_id = d.event_id)
			UNION ALL
			SELECT j.decided_at, '', j.alert_id, j.person_a, j.person_b, 'same_person', NULL, j.decided_by
			FROM match_judgements j
			WHERE j.verdict = 'same' AND NOT EXISTS (SELECT 1 FROM cluster_edges e WHERE e.kind = 'same_person'
				AND ((e.person_a = j.person_a AND e.person_b = j.person_b) OR (e.person_a = j.person_b AND e.person_b = j.person_a)))
		) h ORDER BY at, event_id, alert_id, a, b`
	// The history is read once (a scan of every decision), then linked
	// in transactions of linkHistoryBatch edges.
	var edges []clusterEdge
	rows, err := s.pool.Query(ctx, pending)
	if err != nil {
		return 0, classify("postgres: link history", err)
	}
	for rows.Next() {
		var (
			e  clusterEdge
			at time.Time
		)
		if err := rows.Scan(&at, &e.eventID, &e.alertID, &e.a, &e.b, &e.kind, &e.score, &e.actor); err != nil {
			rows.Close()
			return 0, classify("postgres: link history", err)
		}
		edges = append(edges, e)
	}
	if err := rows.Err(); err != nil {
		return 0, classify("postgres: link history", err)
	}
	added := 0
	for len(edges) > 0 {
		part := edges[:min(len(edges), linkHistoryBatch)]
		if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return linkPersons(ctx, tx, part) }); err != nil {
			return added, classify("postgres: link history", err)
		}
		added += len(part)
		edges = edges[len(part):]
	}
	return added, nil
}
