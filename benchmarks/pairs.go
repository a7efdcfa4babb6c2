package benchmarks

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/benchmarks/eval"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
)

// ReadDecided reads what ekjon's record holds of the given enrolments, in
// their order, as eval.CountPairs counts them: the person each was filed
// under, FUZZY_PERSON as a hold and POSSIBLE_PERSON as an alert, each with
// the person it names (the decision's, else the alert's). An enrolment
// rejected, blocked by an exact rule or without a decision files no
// person. The record keeps no candidates, so blocking is not counted.
//
// The first registry records are the registry loaded before the stream:
// they file persons but are not counted (eval.Decided.Registry).
func ReadDecided(ctx context.Context, pool *pgxpool.Pool, recs []synth.Record, registry int) ([]eval.Decided, error) {
	ds := make([]eval.Decided, 0, len(recs))
	at := map[string]int{}
	for _, r := range recs {
		if r.Type != domain.TypeEnrolment {
			continue
		}
		at[r.EventID] = len(ds)
		ds = append(ds, eval.Decided{EventID: r.EventID, Cluster: r.Truth.PersonID, Label: eval.Label(r.Truth.Pattern),
			Registry: len(ds) < registry})
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.EventID
	}
	const q = `SELECT d.event_id, d.action, d.rules, COALESCE(d.person_id, ''),
	COALESCE(NULLIF(d.matched_person_id, ''), (SELECT a.matched_person_id FROM alerts a
		WHERE a.event_id = d.event_id AND a.rule = $2 AND a.matched_person_id IS NOT NULL LIMIT 1), '')
	FROM decisions d WHERE d.event_id = ANY($1)`
	for chunk := range slices.Chunk(ids, 50_000) {
		rows, err := pool.Query(ctx, q, chunk, domain.RulePossiblePerson)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, action, person, matched string
			var rules []string
			if err := rows.Scan(&id, &action, &rules, &person, &matched); err != nil {
				rows.Close()
				return nil, err
			}
			d := &ds[at[id]]
			if action == string(domain.ActionRejected) || slices.Contains(rules, domain.RuleDupNID) ||
				slices.Contains(rules, domain.RuleMultiProgramme) {
				continue
			}
			d.PersonID = person
			switch {
			case slices.Contains(rules, domain.RuleFuzzyPerson):
				d.Flag, d.Matched = eval.FlagHold, matched
			case slices.Contains(rules, domain.RulePossiblePerson):
				d.Flag, d.Matched = eval.FlagAlert, matched
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ds, nil
}
