-- Fences: what keeps the record right when the index is wrong, lost or
-- being rebuilt, and when an event id is used twice.

-- A keyed digest of the event's content, so that a second event under an
-- id already decided is told apart from a redelivery of the first. Empty
-- for decisions recorded before the digest was kept; those match any copy.
ALTER TABLE decisions ADD COLUMN digest text NOT NULL DEFAULT '';

-- The generation of the matching index. A rebuild takes it exclusively and
-- bumps it before reading the record; a batch records its decisions only
-- under the generation it decided against, holding it shared, so a batch
-- decided against an index that has since been cleared is refused and
-- decided again (see Store.Write and Store.BeginRebuild).
CREATE TABLE index_generation (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    generation bigint NOT NULL,
    bumped_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO index_generation (generation) VALUES (0);

-- One live enrolment per person and programme, whatever the index says.
-- Enrolments that an earlier supervisor's override left side by side are
-- retired, the latest kept, before the rule is made.
UPDATE enrolments e SET status = 'replaced'
WHERE e.status IN ('active', 'held', 'suspended')
  AND EXISTS (SELECT 1 FROM enrolments n
              WHERE n.person_id = e.person_id AND n.programme = e.programme
                AND n.status IN ('active', 'held', 'suspended')
                AND (n.enrolled_at, n.event_id) > (e.enrolled_at, e.event_id));
CREATE UNIQUE INDEX enrolments_live_once ON enrolments (person_id, programme)
    WHERE status IN ('active', 'held', 'suspended');
