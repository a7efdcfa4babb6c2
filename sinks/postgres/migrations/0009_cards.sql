-- Aid cards: one live card per person, issued when the person is first
-- admitted to any programme, replaced when lost, revoked when withdrawn.
-- The QR token is signed on demand from card_no and version, so the table
-- holds no key material. card_events is the append-only trail of who did
-- what to a card and why.

CREATE TABLE cards (
    card_no      text PRIMARY KEY,
    person_id    text NOT NULL,
    version      integer NOT NULL,
    status       text NOT NULL,          -- active, replaced, revoked
    issued_at    timestamptz NOT NULL,
    issued_by    text NOT NULL,          -- a user, or the event whose admission issued it
    issue_reason text NOT NULL DEFAULT '',
    ended_at     timestamptz,
    ended_by     text,
    end_reason   text,
    -- seq counts the card's changes; the index holds the card as of
    -- indexed_seq, so a card with seq > indexed_seq waits for the index.
    seq          bigint NOT NULL DEFAULT 1,
    indexed_seq  bigint NOT NULL DEFAULT 0
);
-- One live card per person, however many workers admit the person at once.
CREATE UNIQUE INDEX cards_one_active ON cards (person_id) WHERE status = 'active';
CREATE INDEX cards_person ON cards (person_id, version);
CREATE INDEX cards_unindexed ON cards (card_no) WHERE seq > indexed_seq;

CREATE TABLE card_events (
    card_event_id bigserial PRIMARY KEY,
    card_no       text NOT NULL REFERENCES cards (card_no),
    person_id     text NOT NULL,
    action        text NOT NULL,         -- issued, replaced, revoked
    actor         text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX card_events_card ON card_events (card_no, card_event_id);

-- What a distributor may hand out: programmes, areas (district or upazila,
-- as names or BBS codes) and devices; '*' allows every one.
CREATE TABLE distributor_scopes (
    username   text PRIMARY KEY,
    programmes text[] NOT NULL DEFAULT '{}',
    areas      text[] NOT NULL DEFAULT '{}',
    devices    text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Distributors log in to scan cards.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('viewer', 'reviewer', 'supervisor', 'admin', 'distributor'));
