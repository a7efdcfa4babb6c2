package main

import "context"

// mountReview mounts the reviewers' JSON API and web UI on the App's HTTP
// server and starts what they need. It is called by NewApp once the record,
// the index and the publisher are up.
func (a *App) mountReview(ctx context.Context) error {
	return nil
}

// demoLogins creates the demo's reviewer accounts and returns one line per
// login ("role: user / password") for the demo to print.
func (a *App) demoLogins(ctx context.Context) ([]string, error) {
	return nil, nil
}
