package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ekjon/ekjon/benchmarks/eval"
)

// pairQuality scores a backfill's clusters CSV against the truth ekjon gen
// wrote for its file: for each duplicate rule, the pairs it flagged
// (record, matched record) and how many are one true person; for each
// injected pattern, how many of its records the backfill linked to
// another record of their person (by a shared person id or a FUZZY_PERSON
// match). The records rejected are left out of both.
func pairQuality(w io.Writer, clustersPath, truthPath string) error {
	tf, err := os.Open(truthPath)
	if err != nil {
		return err
	}
	defer tf.Close()
	person, pattern := map[string]string{}, map[string]string{}
	for t, err := range eval.ReadTruth(tf) {
		if err != nil {
			return fmt.Errorf("truth: %w", err)
		}
		person[t.EventID], pattern[t.EventID] = t.PersonID, string(t.Label)
	}
	cf, err := os.Open(clustersPath)
	if err != nil {
		return err
	}
	defer cf.Close()
	r := csv.NewReader(cf)
	head, err := r.Read()
	if err != nil || strings.Join(head, ",") != "record_id,person_id,action,rule,score,matched_record_id" {
		return errors.New("truth: --clusters is not a clusters CSV")
	}
	type row struct{ person, rules, matched string }
	rows := map[string]row{}
	var order []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if _, ok := person[rec[0]]; !ok || rec[2] == "REJECTED" {
			continue
		}
		if _, dup := rows[rec[0]]; !dup {
			rows[rec[0]] = row{rec[1], rec[3], rec[5]}
			order = append(order, rec[0])
		}
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		root := find(p)
		parent[x] = root
		return root
	}
	union := func(a, b string) { parent[find(a)] = find(b) }
	for _, id := range order {
		rw := rows[id]
		union(id, "person:"+rw.person)
		if slices.Contains(strings.Split(rw.rules, "+"), "FUZZY_PERSON") {
			if _, ok := rows[rw.matched]; ok {
				union(id, rw.matched)
			}
		}
	}
	fmt.Fprintf(w, "pairs against the truth (%d records decided):\n", len(order))
	for _, rule := range []string{"DUP_NID", "MULTI_PROGRAMME", "FUZZY_PERSON", "POSSIBLE_PERSON"} {
		flagged, correct := 0, 0
		for _, id := range order {
			rw := rows[id]
			if rw.matched != "" && slices.Contains(strings.Split(rw.rules, "+"), rule) {
				flagged++
				if person[rw.matched] == person[id] {
					correct++
				}
			}
		}
		fmt.Fprintf(w, "  %-16s flagged %7d  correct %7d  precision %.4f\n", rule, flagged, correct, ratio(correct, flagged))
	}
	records := map[string][]string{}
	for _, id := range order {
		records[person[id]] = append(records[person[id]], id)
	}
	for _, p := range []string{"dup_nid", "multi_programme", "fuzzy_dup"} {
		due, found := 0, 0
		for _, id := range order {
			if pattern[id] != p {
				continue
			}
			due++
			for _, o := range records[person[id]] {
				if o != id && find(o) == find(id) {
					found++
					break
				}
			}
		}
		fmt.Fprintf(w, "  recall %-16s %7d of %7d = %.4f\n", p, found, due, ratio(found, due))
	}
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
