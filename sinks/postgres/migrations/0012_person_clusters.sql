-- Persons as clusters. A person id names the records of one identity (an
-- NID and the numbers linked to it): records linked by an exact
-- identifier (DUP_NID, MULTI_PROGRAMME, the same identity link) share it
-- already. A cluster joins the person ids that are one human: a
-- FUZZY_PERSON match (the matcher's match above the hold threshold) or a
-- reviewer's "same person" is an edge between two persons, and a cluster
-- is a connected component of the live edges. Its id is the person id of
-- its oldest member, the one recorded first (seq): adding a person never
-- changes it; a merge keeps the older of the two. A reviewer's "not the
-- same person" (match_judgements) removes the edges that join the two
-- and no later edge may join them again: it is refused, and kept as
-- refused.
--
-- cluster_id is the person's cluster, NULL for a person alone (its
-- cluster is itself), so that recording a person costs nothing more.
-- Records made before have no edges: their persons start alone until
-- `ekjon migrate --link-history` (Store.LinkHistory) adds the edges of
-- their FUZZY_PERSON decisions and reviewers' rulings.
CREATE SEQUENCE persons_seq;
ALTER TABLE persons ADD COLUMN seq bigint, ADD COLUMN cluster_id text;
UPDATE persons p SET seq = o.n
FROM (SELECT person_id, row_number() OVER (ORDER BY created_at, person_id) AS n FROM persons) o
WHERE o.person_id = p.person_id;
SELECT setval('persons_seq', COALESCE((SELECT max(seq) FROM persons), 0) + 1, false);
ALTER TABLE persons ALTER COLUMN seq SET DEFAULT nextval('persons_seq'), ALTER COLUMN seq SET NOT NULL;
ALTER SEQUENCE persons_seq OWNED BY persons.seq;
CREATE INDEX persons_cluster ON persons (cluster_id) WHERE cluster_id IS NOT NULL;

-- The edges between persons: kind is fuzzy (event_id's FUZZY_PERSON
-- decision matched person_b) or same_person (a reviewer's ruling on
-- alert_id). state is live, removed (by a "not the same person") or
-- refused (it would have joined two persons judged not the same).
CREATE TABLE cluster_edges (
    edge_id    bigserial PRIMARY KEY,
    person_a   text NOT NULL,
    person_b   text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('fuzzy', 'same_person')),
    state      text NOT NULL CHECK (state IN ('live', 'removed', 'refused')),
    event_id   text NOT NULL DEFAULT '',
    alert_id   text NOT NULL DEFAULT '',
    score      double precision,
    decided_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ended_at   timestamptz,
    ended_by   text NOT NULL DEFAULT ''
);
CREATE INDEX cluster_edges_a ON cluster_edges (person_a);
CREATE INDEX cluster_edges_b ON cluster_edges (person_b);

-- What became of clusters: a merge (cluster_id took in other_id), a split
-- (other_id left cluster_id), a refused edge (edge_id would have joined
-- cluster_id and other_id). persons names every person id concerned, so
-- that a person's cluster finds its history.
CREATE TABLE cluster_history (
    history_id bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('merge', 'split', 'refused')),
    cluster_id text NOT NULL,
    other_id   text NOT NULL,
    edge_id    bigint,
    persons    text[] NOT NULL,
    event_id   text NOT NULL DEFAULT '',
    alert_id   text NOT NULL DEFAULT '',
    actor      text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX cluster_history_persons ON cluster_history USING gin (persons);

-- "Not the same person" is looked up from either side.
CREATE INDEX match_judgements_not_same_a ON match_judgements (person_a) WHERE verdict = 'not_same';
CREATE INDEX match_judgements_not_same_b ON match_judgements (person_b) WHERE verdict = 'not_same';
