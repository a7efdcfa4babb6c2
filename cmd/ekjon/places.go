package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ekjon/ekjon/domain"
)

const placesUsage = `Usage:
  ekjon places check FILE   read a places file (upazilas and unions by BBS code)
                            and name each problem with its line
`

// cmdPlaces checks a places file.
func cmdPlaces(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprint(stderr, placesUsage)
		return errUsage
	}
	g, err := domain.LoadPlacesFile(args[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errPlaces
	}
	upazilas, unions := g.Places(domain.LevelUpazila), g.Places(domain.LevelUnion)
	districts := map[string]bool{}
	for _, u := range upazilas {
		districts[u.Parent] = true
	}
	fmt.Fprintf(stdout, "%s: ok, %d upazilas in %d of the 64 districts, %d unions\n", args[1], len(upazilas), len(districts), len(unions))
	for _, n := range g.Notes {
		fmt.Fprintf(stdout, "%s:%d: note: %s\n", args[1], n.Line, n.Msg)
	}
	return nil
}

// errPlaces is a places file that did not pass; the problems are printed.
var errPlaces = fmt.Errorf("the places file has problems")
