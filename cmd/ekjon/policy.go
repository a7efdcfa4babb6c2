package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
)

const policyUsage = `Usage:
  ekjon policy check FILE   read a policy file and name each problem with its line
  ekjon policy default      print the embedded policy file, to start one's own from
`

// cmdPolicy checks a policy file or prints the embedded one.
func cmdPolicy(_ context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "default":
		_, err := stdout.Write(domain.DefaultPolicyYAML())
		return err
	case len(args) == 2 && args[0] == "check":
		p, err := domain.LoadPolicyFile(args[1])
		if err != nil {
			fmt.Fprintln(stderr, err)
			return errPolicy
		}
		if _, err := app.MatchModel(p); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", args[1], err)
			return errPolicy
		}
		writePolicySummary(stdout, args[1], p)
		return nil
	}
	fmt.Fprint(stderr, policyUsage)
	return errUsage
}

// errPolicy is a policy file that did not pass; the problems are printed.
var errPolicy = fmt.Errorf("the policy file has problems")

func writePolicySummary(w io.Writer, name string, p domain.Policy) {
	fmt.Fprintf(w, "%s: ok, version %s\n", name, p.Version)
	fmt.Fprintf(w, "  %d programmes, %d ministries, %d exclusive groups, max amount %v taka, wallet change window %d days\n",
		len(p.Programmes), len(p.Ministries), len(p.Exclusive), p.MaxAmount, p.RecentWalletChangeDays)
	if len(p.MatchWeights) > 0 {
		fmt.Fprintf(w, "  match weights: %d comparison levels replace the built-in m and u\n", len(p.MatchWeights))
	}
	for _, code := range p.Programmes {
		prog := p.Catalogue[code]
		var due []string
		if prog.Entitlement.Amount > 0 {
			due = append(due, fmt.Sprintf("%v taka", prog.Entitlement.Amount))
		}
		items := make([]string, 0, len(prog.Entitlement.Items))
		for item := range prog.Entitlement.Items {
			items = append(items, item)
		}
		sort.Strings(items)
		for _, item := range items {
			due = append(due, fmt.Sprintf("%v %s", prog.Entitlement.Items[item], item))
		}
		if len(due) == 0 {
			due = []string{"set by allocation"}
		}
		var rule []string
		if g := prog.Eligibility.Genders; len(g) > 0 {
			rule = append(rule, strings.Join(g, "/")+" only")
		}
		genders := make([]string, 0, len(prog.Eligibility.MinAge))
		for g := range prog.Eligibility.MinAge {
			genders = append(genders, g)
		}
		sort.Strings(genders)
		for _, g := range genders {
			rule = append(rule, fmt.Sprintf("%s %d+", g, prog.Eligibility.MinAge[g]))
		}
		if len(rule) == 0 {
			rule = []string{"anyone"}
		}
		fmt.Fprintf(w, "  %-20s %-9s %-22s %s\n", code, prog.Cycle, strings.Join(due, ", "), strings.Join(rule, ", "))
	}
}
