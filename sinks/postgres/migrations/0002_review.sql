-- The review service: people and their rights, reviewers' actions on alerts
-- and decisions, the audit trail, the outbox that carries revised decisions
-- back to the pipeline, and the match judgements the matcher respects.

-- A reviewer's outcome replaces the pipeline's verdict on the event's one
-- row; the original stays in the audit row's "before".
ALTER TABLE decisions ADD COLUMN revised_by text;

-- revision grows with every action so that a form or client acting on a
-- stale view gets a conflict instead of overwriting a newer action.
ALTER TABLE alerts
    ADD COLUMN revision    integer NOT NULL DEFAULT 0,
    ADD COLUMN resolution  text,
    ADD COLUMN resolved_by text,
    ADD COLUMN resolved_at timestamptz;

-- The queue lists unresolved alerts oldest first, filtered by rule,
-- programme, district or assignee, with keyset pagination on
-- (created_at, alert_id). These indexes give that order directly.
CREATE INDEX alerts_active ON alerts (created_at, alert_id) WHERE status <> 'closed';
CREATE INDEX alerts_active_rule ON alerts (rule, created_at, alert_id) WHERE status <> 'closed';
CREATE INDEX alerts_active_district ON alerts (district, created_at, alert_id) WHERE status <> 'closed';
CREATE INDEX alerts_active_programme ON alerts (programme, created_at, alert_id) WHERE status <> 'closed';
CREATE INDEX alerts_assignee ON alerts (assignee, created_at, alert_id) WHERE assignee IS NOT NULL;
CREATE INDEX alerts_created ON alerts (created_at, alert_id);
CREATE INDEX alerts_event ON alerts (event_id);
CREATE INDEX enrolments_event_person ON enrolments (person_id, enrolled_at);

CREATE TABLE users (
    username      text PRIMARY KEY,
    display_name  text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('viewer', 'reviewer', 'supervisor', 'admin')),
    password_hash text NOT NULL DEFAULT '',   -- bcrypt; '' means no password login
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Machine clients authenticate with a bearer token; only its SHA-256 is kept.
CREATE TABLE api_tokens (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username),
    label       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Browser sessions; the cookie holds a random token whose SHA-256 is kept.
CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    username    text NOT NULL REFERENCES users (username),
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    address     text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Every action by a person: who, when, what, why and from where. Rows are
-- never changed or removed.
CREATE TABLE audit (
    audit_id    bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,
    role        text NOT NULL DEFAULT '',
    action      text NOT NULL,
    object_kind text NOT NULL DEFAULT '',
    object_id   text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    address     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_object ON audit (object_kind, object_id, at);
CREATE INDEX audit_actor ON audit (actor, at);

CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();

-- Revised decisions to publish, written in the reviewer's transaction and
-- relayed at least once; index_op carries the change the matching index
-- must make before the decision is announced.
CREATE TABLE outbox (
    outbox_id  bigserial PRIMARY KEY,
    event_id   text NOT NULL,
    decision   jsonb NOT NULL,
    index_op   jsonb,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at    timestamptz,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (outbox_id) WHERE sent_at IS NULL;

-- A reviewer's judgement on whether two persons are one, keyed by the
-- unordered pair (person_a < person_b). The matcher respects it.
CREATE TABLE match_judgements (
    person_a   text NOT NULL,
    person_b   text NOT NULL,
    verdict    text NOT NULL CHECK (verdict IN ('same', 'not_same')),
    alert_id   text NOT NULL DEFAULT '',
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_a, person_b),
    CHECK (person_a < person_b)
);
