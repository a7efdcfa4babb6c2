package benchmarks

import (
	"context"
	"runtime"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/domain"
)

func numCPU() int { return runtime.NumCPU() }

// Counts are one rule's confusion counts over a run's events.
type Counts struct {
	TP, FP, FN int
}

// Precision, Recall and F1 of the counts; 1 when there is nothing to find
// and nothing was found.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN).
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Accuracy compares recorded decisions with the ground truth: per rule code,
// overall (every rule code of every event, micro-averaged), and the share of
// events given the expected action. POSSIBLE_PERSON is an alert for a
// reviewer, not a decision the truth names, so it is counted apart (its
// false positives are reported, not scored).
type Accuracy struct {
	Rules          map[string]*Counts
	Overall        Counts
	Events         int
	Missing        int // events with no recorded decision
	ActionsCorrect int
}

// Score compares the recorded rules and actions of the truth's events.
func Score(truth map[string]synth.Truth, rules map[string][]string, actions map[string]domain.Action) Accuracy {
	a := Accuracy{Rules: map[string]*Counts{}}
	get := func(r string) *Counts {
		c := a.Rules[r]
		if c == nil {
			c = &Counts{}
			a.Rules[r] = c
		}
		return c
	}
	for id, t := range truth {
		a.Events++
		got, ok := rules[id]
		if !ok {
			a.Missing++
		}
		if actions[id] == t.Action {
			a.ActionsCorrect++
		}
		for _, r := range t.Rules {
			if slices.Contains(got, r) {
				get(r).TP++
				a.Overall.TP++
			} else {
				get(r).FN++
				a.Overall.FN++
			}
		}
		for _, r := range got {
			if !slices.Contains(t.Rules, r) {
				get(r).FP++
				if r != domain.RulePossiblePerson {
					a.Overall.FP++
				}
			}
		}
	}
	return a
}

// ReadDecisions reads the rules and action recorded for the given events
// from table (decisions or bl_decisions).
func ReadDecisions(ctx context.Context, pool *pgxpool.Pool, table string, ids []string) (map[string][]string, map[string]domain.Action, error) {
	rules, actions := map[string][]string{}, map[string]domain.Action{}
	for chunk := range slices.Chunk(ids, 50_000) {
		rows, err := pool.Query(ctx, "SELECT event_id, rules, action FROM "+table+" WHERE event_id = ANY($1)", chunk)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id, act string
			var rs []string
			if err := rows.Scan(&id, &rs, &act); err != nil {
				rows.Close()
				return nil, nil, err
			}
			rules[id], actions[id] = rs, domain.Action(act)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return rules, actions, nil
}
