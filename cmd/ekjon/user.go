package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
	"github.com/ekjon/ekjon/sinks/postgres"
)

const userUsage = `Usage:
  ekjon user add     -name NAME -role viewer|reviewer|supervisor|admin [-password-stdin]
                     [-ministries social_welfare,food]
  ekjon user add     -name NAME -role distributor -programmes P,… -areas A,… [-devices D,…]
  ekjon user token   -name NAME [-label LABEL]
  ekjon user token   -name NAME -revoke LABEL|TOKEN-ID|TOKEN
  ekjon user disable -name NAME

add creates a user; the password is read from EKJON_USER_PASSWORD or, with
-password-stdin, from the first line of standard input (at least 10
characters). The first user must be an admin. token prints a new API token
for a machine client; only its hash is stored, so keep the printed value.
A distributor serves only the programmes and areas given, and only from
the devices given if any; * allows every one. An area is a division,
district, upazila or union by BBS code or name in any script, and covers
every place inside it; write its level when the name is also another
level's (division:Dhaka; a bare Dhaka is the district). Upazilas and
unions are known from the places file (-places-file, EKJON_PLACES_FILE);
an area not known, or shared by two places, serves only places written
exactly so, and add warns of it. Its token serves the scan API alone.
Its id (the token's first 12 characters, said on standard error) names it
later. token -revoke revokes the user's live tokens with that label, or
the one with that id, or that whole token. disable disables a user: its
sessions end and its tokens are revoked at once. Every change is audited.
The database is the one in EKJON_DATABASE_URL (see ekjon settings).
`

func cmdUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "token" && args[0] != "disable") {
		fmt.Fprint(stderr, userUsage)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("ekjon user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "username")
	role := fs.String("role", "", "viewer, reviewer, supervisor or admin")
	label := fs.String("label", "", "what the token is for")
	revoke := fs.String("revoke", "", "with token: revoke the user's live tokens with this label, id or whole token")
	programmes := fs.String("programmes", "", "distributor: programme codes, comma-separated, or *")
	areas := fs.String("areas", "", "distributor: divisions, districts, upazilas or unions (BBS codes or names, optionally level:name), comma-separated, or *")
	placesFile := fs.String("places-file", "", "with -areas: the places file naming upazilas and unions (default: EKJON_PLACES_FILE)")
	devices := fs.String("devices", "", "distributor: device ids, comma-separated; empty allows any")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input")
	ministries := fs.String("ministries", "", "with add: ministry codes (comma-separated, from the policy file) whose programmes alone the user sees; none: all")
	policyFile := fs.String("policy-file", "", "with add -ministries: the policy file naming the ministries (default: EKJON_POLICY_FILE, then the embedded one)")
	dbURL := fs.String("database-url", "", "PostgreSQL URL (default: EKJON_DATABASE_URL, then the ekjon run default)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *dbURL == "" {
		*dbURL = getenv("EKJON_DATABASE_URL")
	}
	if *dbURL == "" {
		*dbURL = app.DefaultConfig().Postgres.URL
	}
	*name = strings.TrimSpace(*name)
	if *name == "" || len(*name) > 64 || strings.ContainsAny(*name, " /\t") {
		return errors.New("-name: required, at most 64 characters, no spaces or slashes")
	}
	store, err := postgres.Open(ctx, *dbURL, 2)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	who := "cli"
	if u := getenv("USER"); u != "" {
		who += ":" + u
	}
	actor := review.Actor{Username: who, Role: review.RoleAdmin, Address: "local"}
	switch sub {
	case "add":
		if !review.ValidRole(*role) {
			return errors.New("-role: must be viewer, reviewer, supervisor, admin or distributor")
		}
		if *role == review.RoleDistributor && (*programmes == "" || *areas == "") {
			return errors.New("-programmes and -areas: required for a distributor")
		}
		n, err := store.UserCount(ctx)
		if err != nil {
			return err
		}
		if n == 0 && *role != review.RoleAdmin {
			return errors.New("the first user must be an admin (-role admin)")
		}
		pw := getenv("EKJON_USER_PASSWORD")
		if *stdin {
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			pw = strings.TrimRight(line, "\r\n")
		}
		if pw == "" {
			return errors.New("no password: set EKJON_USER_PASSWORD or use -password-stdin")
		}
		h, err := api.HashPassword(pw)
		if err != nil {
			return err
		}
		scope, err := userMinistries(*ministries, *policyFile, getenv)
		if err != nil {
			return err
		}
		var areaList []domain.ScopeArea
		if *role == review.RoleDistributor {
			if areaList, err = userAreas(*areas, *placesFile, getenv); err != nil {
				return err
			}
		}
		if err := store.CreateUser(ctx, review.User{Username: *name, Role: *role, PasswordHash: h, Ministries: scope}, actor); err != nil {
			if domain.KindOf(err) == domain.KindConflict {
				return fmt.Errorf("user %q exists", *name)
			}
			return err
		}
		if *role == review.RoleDistributor {
			sc := domain.DistributorScope{Programmes: splitList(*programmes), Areas: splitList(*areas), Devices: splitList(*devices)}
			if err := store.SetDistributorScope(ctx, *name, sc); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "user %s added with role %s\n", *name, *role)
		if len(scope) > 0 {
			fmt.Fprintf(stdout, "  sees the programmes of %s\n", strings.Join(scope, ", "))
		}
		for _, a := range areaList {
			if a.Level == "" {
				fmt.Fprintf(stderr, "warning: area %s: give a BBS code, a level (district:NAME, upazila:NAME) or a places file naming it\n", a)
				continue
			}
			fmt.Fprintf(stdout, "  serves %s %s, %s\n", a.Level, a.Place.Code, a.Place.Label())
		}
		if len(areaList) == 0 && *role == review.RoleDistributor {
			fmt.Fprintln(stdout, "  serves every area")
		}
	case "token":
		if _, err := store.User(ctx, *name); err != nil {
			return fmt.Errorf("user %q: %w", *name, err)
		}
		if *revoke != "" {
			revoked, err := store.RevokeTokens(ctx, *name, *revoke, api.HashToken(*revoke), actor)
			if err != nil {
				return err
			}
			for _, t := range revoked {
				fmt.Fprintf(stderr, "revoked token id %s (label %q, made %s)\n", orNone(t.ID), t.Label, t.CreatedAt.UTC().Format("2006-01-02 15:04"))
			}
			fmt.Fprintf(stdout, "%d %s of %s revoked\n", len(revoked), plural(len(revoked), "token", "tokens"), *name)
			return nil
		}
		tok, hash := api.NewToken(api.TokenPrefix)
		id := api.TokenID(tok)
		if err := store.CreateToken(ctx, review.APIToken{Hash: hash, Username: *name, Label: *label, ID: id}, actor); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token id %s: revoke it with ekjon user token -name %s -revoke %s\n", id, *name, id)
		fmt.Fprintln(stdout, tok)
	case "disable":
		sessions, tokens, err := store.DisableUser(ctx, *name, actor)
		if err != nil {
			return fmt.Errorf("user %q: %w", *name, err)
		}
		fmt.Fprintf(stdout, "user %s disabled: %d %s ended, %d %s revoked\n", *name,
			sessions, plural(sessions, "session", "sessions"), tokens, plural(tokens, "token", "tokens"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// userMinistries reads -ministries: codes the policy file knows, so that a
// misspelt ministry does not leave a user seeing nothing without a word.
func userMinistries(list, policyFile string, getenv func(string) string) ([]string, error) {
	codes := app.SplitList(list)
	if len(codes) == 0 {
		return nil, nil
	}
	if policyFile == "" {
		policyFile = getenv("EKJON_POLICY_FILE")
	}
	policy := domain.DefaultPolicy()
	if policyFile != "" {
		var err error
		if policy, err = domain.LoadPolicyFile(policyFile); err != nil {
			return nil, err
		}
	}
	for _, c := range codes {
		if _, ok := policy.Ministry(c); !ok {
			var known []string
			for _, m := range policy.Ministries {
				known = append(known, m.Code)
			}
			return nil, fmt.Errorf("-ministries: %q is not a ministry of the policy (%s)", c, strings.Join(known, ", "))
		}
	}
	return codes, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// userAreas reads a distributor's areas through the gazetteer of the
// places file (-places-file, else EKJON_PLACES_FILE, else divisions and
// districts alone), none when they include *. An area it does not know or
// cannot tell from another place is kept, to be warned of: it serves
// only places written as it is, as it always has, and without a places
// file every upazila is such an area.
func userAreas(areas, placesFile string, getenv func(string) string) ([]domain.ScopeArea, error) {
	if placesFile == "" {
		placesFile = getenv("EKJON_PLACES_FILE")
	}
	g := domain.NewGazetteer()
	if placesFile != "" {
		var err error
		if g, err = domain.LoadPlacesFile(placesFile); err != nil {
			return nil, fmt.Errorf("-places-file: %w", err)
		}
	}
	var out []domain.ScopeArea
	for _, a := range splitList(areas) {
		if strings.TrimSpace(a) == "*" {
			return nil, nil
		}
		out = append(out, g.ScopeArea(a))
	}
	return out, nil
}
