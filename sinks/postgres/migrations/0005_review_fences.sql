-- The review's fences: what keeps reviewers' changes to the index in step
-- with rebuilds.

-- The index generation a review's transaction saw, holding the generation
-- lock shared (see Store.ReviewAlert): the relay applies the row's index
-- change only once the index is ready at this generation or a later one,
-- whose rebuild read a record that holds the review.
ALTER TABLE outbox ADD COLUMN generation bigint NOT NULL DEFAULT 0;

-- Failed logins, counted where every instance of the API sees them: per
-- account and client, and per client (see api's login throttle). The key
-- is a digest, so the table names no account and no address.
CREATE TABLE login_failures (
    key      text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0,
    last_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_last ON login_failures (last_at);

-- An API token's id: its first characters, printed when it is made, which
-- name it for revocation without opening anything (only its hash opens).
-- Tokens made before have none, and are revoked by label or whole.
ALTER TABLE api_tokens ADD COLUMN token_id text NOT NULL DEFAULT '';
