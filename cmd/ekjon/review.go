package main

import "context"

// mountReview mounts the reviewers' JSON API and web UI on the App's HTTP
// server and starts what they need. It is called by NewApp once the record,
// the index and the publisher are up.
func (a *App) mountReview(ctx context.Context) error {
	return nil
}
