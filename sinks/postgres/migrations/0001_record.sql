-- The system of record: one decision per event, the persons and their
-- enrolments, payments and status changes, and the alerts for reviewers.
-- The Redis index can always be rebuilt from these tables.

CREATE TABLE persons (
    person_id    text PRIMARY KEY,
    index_key    text NOT NULL,          -- keyed hash naming the person in the index
    id_kind      text NOT NULL,          -- nid, brn or ref
    nid          text NOT NULL DEFAULT '', -- personal data: masked by the API
    deceased_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_index_key ON persons (index_key);

CREATE TABLE decisions (
    event_id          text PRIMARY KEY,
    event_type        text NOT NULL DEFAULT '',
    source            text NOT NULL DEFAULT '',
    programme         text NOT NULL DEFAULT '',
    action            text NOT NULL,
    rules             text[] NOT NULL DEFAULT '{}',
    reason            text NOT NULL DEFAULT '',
    score             double precision,
    explanation       jsonb,
    person_id         text,
    matched_person_id text,
    occurred_at       timestamptz,
    decided_at        timestamptz NOT NULL,
    config_version    text NOT NULL,
    kafka_topic       text NOT NULL DEFAULT '',
    kafka_partition   integer NOT NULL DEFAULT 0,
    kafka_offset      bigint NOT NULL DEFAULT 0,
    kafka_time        timestamptz,
    recorded_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX decisions_decided_at ON decisions (decided_at);
CREATE INDEX decisions_person ON decisions (person_id);
CREATE INDEX decisions_rules ON decisions USING gin (rules);

CREATE TABLE enrolments (
    event_id        text PRIMARY KEY REFERENCES decisions (event_id),
    person_id       text NOT NULL,
    programme       text NOT NULL,
    beneficiary_ref text NOT NULL DEFAULT '',
    source          text NOT NULL DEFAULT '',
    status          text NOT NULL,       -- active, held, blocked, exited, suspended
    wallet_key      text NOT NULL DEFAULT '',
    record          jsonb NOT NULL,      -- the person as enrolled, normalised
    district        text NOT NULL DEFAULT '',
    enrolled_at     timestamptz NOT NULL
);
CREATE INDEX enrolments_person ON enrolments (person_id, programme);

CREATE TABLE payments (
    event_id       text PRIMARY KEY REFERENCES decisions (event_id),
    person_id      text NOT NULL DEFAULT '',
    programme      text NOT NULL,
    cycle          text NOT NULL,
    amount         numeric(14,2) NOT NULL,
    channel        text NOT NULL DEFAULT '',
    wallet_key     text NOT NULL DEFAULT '',
    distributor_id text NOT NULL DEFAULT '',
    device_id      text NOT NULL DEFAULT '',
    district       text NOT NULL DEFAULT '',
    upazila        text NOT NULL DEFAULT '',
    action         text NOT NULL,
    paid_at        timestamptz NOT NULL
);
-- The last line of defence against paying twice: even a lost index cannot
-- make the record hold two admitted payments for one person, programme and
-- cycle.
CREATE UNIQUE INDEX payments_once ON payments (person_id, programme, cycle)
    WHERE action = 'ADMIT' AND person_id <> '';

CREATE TABLE status_changes (
    event_id    text PRIMARY KEY REFERENCES decisions (event_id),
    person_id   text NOT NULL,
    status      text NOT NULL,
    programme   text NOT NULL DEFAULT '',
    wallet_key  text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL
);
CREATE INDEX status_changes_person ON status_changes (person_id, occurred_at);

CREATE TABLE alerts (
    alert_id          text PRIMARY KEY,
    event_id          text NOT NULL REFERENCES decisions (event_id),
    rule              text NOT NULL,
    action            text NOT NULL,
    programme         text NOT NULL DEFAULT '',
    district          text NOT NULL DEFAULT '',
    person_id         text,
    matched_person_id text,
    score             double precision,
    explanation       jsonb,
    status            text NOT NULL DEFAULT 'open', -- open, assigned, escalated, closed
    assignee          text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX alerts_queue ON alerts (status, created_at, alert_id);
CREATE INDEX alerts_rule ON alerts (rule, status);
