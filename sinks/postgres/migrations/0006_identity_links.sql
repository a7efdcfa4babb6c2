-- One person, however a clerk wrote their number: the index links each
-- identity number (the core of an NID, which its 13- and 17-digit forms
-- share; a smart-card number; a birth registration number) to the first
-- person claiming it. The record keeps the links so that a rebuilt index
-- links each number to the person the live one did. link is the number's
-- keyed hash, never the number; core marks the person's NID core.
CREATE TABLE identity_links (
    link      text PRIMARY KEY,
    person_id text NOT NULL,
    core      boolean NOT NULL DEFAULT false,
    event_id  text NOT NULL
);
CREATE INDEX identity_links_person ON identity_links (person_id);

-- Records made before: nothing to recompute here. Keys are keyed hashes
-- and the secret is not the database's; a person keeps the id it has (a
-- 17-digit NID's is the hash of all 17 digits). The index's layout
-- changed with this migration, so the first worker rebuilds it, and the
-- rebuild links each enrolled person's numbers, as enrolled, to the
-- person (the core of a 17-digit NID included), where no recorded link
-- names another: the 13-digit form then finds the person enrolled under
-- the 17-digit one.
