package main

import (
	"context"
	"fmt"

	"github.com/ekjon/ekjon/api"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/sinks/postgres"
)

// mountReview mounts the reviewers' JSON API and web UI on the App's HTTP
// server and starts what they need. It is called by NewApp once the record,
// the index and the publisher are up.
func (a *App) mountReview(ctx context.Context) error {
	relay := postgres.NewRelay(a.Store, a.pub, a.Index, a.log.With("part", "outbox-relay"), a.Registry)
	rc := api.DefaultConfig()
	rc.SecureCookies, rc.SessionTTL = a.cfg.SecureCookie, a.cfg.SessionTTL
	rv, err := api.NewReview(a.Store, relay.Notify, a.log.With("part", "review"), a.Registry, rc)
	if err != nil {
		return err
	}
	rv.Mount(a.server.Router)
	a.background = append(a.background, relay.Run)
	return nil
}

// demoLogins creates the demo's reviewer accounts and returns one line per
// login ("role: user / password") for the demo to print.
func (a *App) demoLogins(ctx context.Context) ([]string, error) {
	// One account per role. The demo's data is synthetic and its passwords
	// are printed, so they protect nothing.
	users := []struct{ name, role, password string }{
		{"reviewer", api.RoleReviewer, "reviewer-demo-1"},
		{"supervisor", api.RoleSupervisor, "supervisor-demo-1"},
		{"viewer", api.RoleViewer, "viewer-demo-1"},
		{"admin", api.RoleAdmin, "admin-demo-1"},
	}
	var out []string
	for _, u := range users {
		h, err := api.HashPassword(u.password)
		if err != nil {
			return nil, err
		}
		err = a.Store.CreateUser(ctx, postgres.User{Username: u.name, Role: u.role, PasswordHash: h},
			postgres.Actor{Username: "ekjon-demo", Role: api.RoleAdmin})
		if err != nil && domain.KindOf(err) != domain.KindConflict {
			return nil, fmt.Errorf("demo user %s: %w", u.name, err)
		}
		out = append(out, fmt.Sprintf("%-11s password %-18s (%s)", u.name, u.password, u.role))
	}
	return out, nil
}
