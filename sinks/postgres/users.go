package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/review"
)

// CreateUser adds a user and audits it in one transaction. The error is of
// KindConflict when the username is taken.
func (s *Store) CreateUser(ctx context.Context, u review.User, actor review.Actor) error {
	return classify("postgres: create user", pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ministries := u.Ministries
		if ministries == nil {
			ministries = []string{}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, role, password_hash, ministries) VALUES ($1, $2, $3, $4, $5)`,
			u.Username, u.DisplayName, u.Role, u.PasswordHash, ministries); err != nil {
			return err
		}
		after := map[string]any{"role": u.Role}
		if len(u.Ministries) > 0 {
			after["ministries"] = u.Ministries
		}
		return insertAudit(ctx, tx, review.AuditEntry{Actor: actor.Username, Role: actor.Role, Action: "user:add",
			ObjectKind: "user", ObjectID: u.Username, Address: actor.Address}, nil, after)
	}))
}

// UserCount returns how many users exist, so the first admin can be made
// without one.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, classify("postgres: count users", err)
}

// User returns one user; KindNotFound when unknown.
func (s *Store) User(ctx context.Context, username string) (review.User, error) {
	var u review.User
	err := s.pool.QueryRow(ctx, `SELECT username, display_name, role, password_hash, disabled, created_at, ministries
		FROM users WHERE username = $1`, username).
		Scan(&u.Username, &u.DisplayName, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.Ministries)
	return u, classify("postgres: read user", err)
}

// CreateToken stores a new API token of t.Username (its hash, never the
// token) and audits it.
func (s *Store) CreateToken(ctx context.Context, t review.APIToken, actor review.Actor) error {
	return classify("postgres: create token", pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (token_hash, username, label, token_id) VALUES ($1, $2, $3, $4)`,
			t.Hash, t.Username, t.Label, t.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, review.AuditEntry{Actor: actor.Username, Role: actor.Role, Action: "token:add",
			ObjectKind: "user", ObjectID: t.Username, Reason: t.Label, Address: actor.Address}, nil, map[string]string{"token_id": t.ID})
	}))
}

// RevokeTokens revokes every unrevoked API token of username whose label
// or id is which, or whose hash is hash (of which, when it is a whole
// token), each with an audit entry, and returns them. None matching is of
// KindNotFound.
func (s *Store) RevokeTokens(ctx context.Context, username, which, hash string, actor review.Actor) ([]review.APIToken, error) {
	var out []review.APIToken
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE api_tokens SET revoked_at = now()
			WHERE username = $1 AND revoked_at IS NULL AND (label = $2 OR (token_id <> '' AND token_id = $2) OR token_hash = $3)
			RETURNING token_hash, username, label, token_id, created_at`, username, which, hash)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t review.APIToken
			if err := rows.Scan(&t.Hash, &t.Username, &t.Label, &t.ID, &t.CreatedAt); err != nil {
				rows.Close()
				return err
			}
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return domain.Errorf(domain.KindNotFound, "postgres: revoke token", "no live token of %s has the label or id %q", username, which)
		}
		for _, t := range out {
			if err := insertAudit(ctx, tx, review.AuditEntry{Actor: actor.Username, Role: actor.Role, Action: "token:revoke",
				ObjectKind: "user", ObjectID: username, Reason: t.Label, Address: actor.Address},
				map[string]string{"token_id": t.ID, "created_at": t.CreatedAt.UTC().Format(time.RFC3339)}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, classify("postgres: revoke token", err)
	}
	return out, nil
}

// DisableUser disables username, ends its sessions and revokes its API
// tokens, in one transaction with an audit entry, so that nothing of the
// user's works from its commit on (sessions and tokens of a disabled user
// are refused anyway; ended and revoked, they stay so if the user is ever
// enabled again). It returns how many sessions it ended and tokens it
// revoked. An unknown user is of KindNotFound.
func (s *Store) DisableUser(ctx context.Context, username string, actor review.Actor) (sessions, tokens int, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var was bool
		if err := tx.QueryRow(ctx, `SELECT disabled FROM users WHERE username = $1 FOR UPDATE`, username).Scan(&was); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = true WHERE username = $1`, username); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE username = $1`, username)
		if err != nil {
			return err
		}
		sessions = int(tag.RowsAffected())
		if tag, err = tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL`, username); err != nil {
			return err
		}
		tokens = int(tag.RowsAffected())
		return insertAudit(ctx, tx, review.AuditEntry{Actor: actor.Username, Role: actor.Role, Action: "user:disable",
			ObjectKind: "user", ObjectID: username, Address: actor.Address},
			map[string]bool{"disabled": was}, map[string]any{"disabled": true, "sessions_ended": sessions, "tokens_revoked": tokens})
	})
	return sessions, tokens, classify("postgres: disable user", err)
}

// TokenUser returns the enabled user owning the unrevoked token with this
// hash, with their distributor scope (see DistributorScope; empty when
// none is set) read in the same query; KindNotFound otherwise.
func (s *Store) TokenUser(ctx context.Context, tokenHash string) (review.User, error) {
	var u review.User
	var sc domain.DistributorScope
	err := s.pool.QueryRow(ctx, `SELECT u.username, u.display_name, u.role, u.disabled, u.created_at, u.ministries,
			d.programmes, d.areas, d.devices
		FROM api_tokens t JOIN users u USING (username) LEFT JOIN distributor_scopes d ON d.username = u.username
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled`, tokenHash).
		Scan(&u.Username, &u.DisplayName, &u.Role, &u.Disabled, &u.CreatedAt, &u.Ministries, &sc.Programmes, &sc.Areas, &sc.Devices)
	u.Scope = &sc
	return u, classify("postgres: read token", err)
}

// CreateSession stores a browser session by the hash of its cookie.
func (s *Store) CreateSession(ctx context.Context, tokenHash, username, csrf, address string, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, username, csrf_token, address, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, tokenHash, username, csrf, address, expires)
	return classify("postgres: create session", err)
}

// Session returns the enabled user of an unexpired session and the
// session's CSRF token; KindNotFound otherwise.
func (s *Store) Session(ctx context.Context, tokenHash string, now time.Time) (review.User, string, error) {
	var (
		u    review.User
		csrf string
	)
	err := s.pool.QueryRow(ctx, `SELECT u.username, u.display_name, u.role, u.disabled, u.created_at, u.ministries, s.csrf_token
		FROM sessions s JOIN users u USING (username)
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, tokenHash, now).
		Scan(&u.Username, &u.DisplayName, &u.Role, &u.Disabled, &u.CreatedAt, &u.Ministries, &csrf)
	return u, csrf, classify("postgres: read session", err)
}

// DeleteSession ends a session, and sweeps expired ones while at it.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string, now time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1 OR expires_at < $2`, tokenHash, now)
	return classify("postgres: delete session", err)
}

// UpdateLoginFailures changes the failed-login counts of keys in one
// transaction that holds their rows locked (see review.Users). The rows
// are created and locked in key order, so that two attempts on
// overlapping keys cannot deadlock.
func (s *Store) UpdateLoginFailures(ctx context.Context, keys []string, forgetBefore time.Time,
	fn func(map[string]review.LoginFailures) map[string]review.LoginFailures) error {
	keys = slices.Sorted(slices.Values(keys))
	keys = slices.Compact(keys)
	return classify("postgres: login failures", pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE last_at < $1`, forgetBefore); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO login_failures (key) SELECT k FROM unnest($1::text[]) AS k ORDER BY k
			ON CONFLICT (key) DO NOTHING`, keys); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT key, failures, last_at FROM login_failures WHERE key = ANY($1)
			ORDER BY key FOR UPDATE`, keys)
		if err != nil {
			return err
		}
		cur := make(map[string]review.LoginFailures, len(keys))
		for rows.Next() {
			var (
				k string
				f review.LoginFailures
			)
			if err := rows.Scan(&k, &f.Count, &f.Last); err != nil {
				rows.Close()
				return err
			}
			if f.Count > 0 {
				cur[k] = f
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		next := fn(cur)
		for _, k := range keys {
			f := next[k]
			if f.Count <= 0 {
				if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, k); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE login_failures SET failures = $2, last_at = $3 WHERE key = $1`, k, f.Count, f.Last); err != nil {
				return err
			}
		}
		return nil
	}))
}
