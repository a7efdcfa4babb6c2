-- Monthly partitions of the two tables that grow with every cycle: the
-- decisions (one row per event) and the payments (one per payment event,
-- some 12 million a month at national scale). Both are partitioned by
-- recorded_at, the server's clock when the row was written, so that every
-- write lands in the current month's partition, which
-- ekjon_ensure_partitions creates ahead (the migration creates this month
-- and the next two; each worker again on start and daily).
--
-- A partitioned table's unique constraints must include its partition key,
-- yet two guarantees are keyed on other columns. Each moves to a narrow
-- table that is not partitioned:
--   decision_keys   one row per event id ever decided: writes are
--                   idempotent on event_id (INSERT … ON CONFLICT DO
--                   NOTHING on it decides which attempt's decision
--                   stands), and it says which partition holds the
--                   decision, so that reading by event id probes one;
--   payment_claims  one row per admitted payment of a person, programme
--                   and cycle (kept by a trigger on payments): a second
--                   admitted payment of a claim fails with a unique
--                   violation, as the partial index payments_once did.
-- The rows of enrolments, payments, status_changes and alerts refer to
-- decision_keys instead of decisions.
--
-- Retention: ekjon_drop_months_before(cutoff) drops whole months of
-- decisions and payments recorded before cutoff; docs/capacity.md gives
-- the retention (84 months, the audit period). decision_keys and
-- payment_claims are kept: a redelivery of an event whose month is gone is
-- still recognised, and a cycle once paid stays paid.

CREATE TABLE decision_keys (
    event_id    text PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO decision_keys (event_id, recorded_at) SELECT event_id, recorded_at FROM decisions;

ALTER TABLE enrolments DROP CONSTRAINT enrolments_event_id_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_event_id_fkey;
ALTER TABLE status_changes DROP CONSTRAINT status_changes_event_id_fkey;
ALTER TABLE alerts DROP CONSTRAINT alerts_event_id_fkey;
ALTER TABLE enrolments ADD FOREIGN KEY (event_id) REFERENCES decision_keys (event_id);
ALTER TABLE status_changes ADD FOREIGN KEY (event_id) REFERENCES decision_keys (event_id);
ALTER TABLE alerts ADD FOREIGN KEY (event_id) REFERENCES decision_keys (event_id);

-- ekjon_ensure_partitions creates the monthly partitions of decisions and
-- payments from the month of since to ahead months after the current one,
-- those that do not exist yet. Workers call it concurrently; the advisory
-- lock makes them take turns.
CREATE FUNCTION ekjon_ensure_partitions(ahead integer, since timestamptz DEFAULT now())
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    m date;
    t text;
    n integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.ekjon_partitions'));
    FOREACH t IN ARRAY ARRAY['decisions', 'payments'] LOOP
        m := date_trunc('month', least(since, now()) AT TIME ZONE 'UTC')::date;
        WHILE m <= (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => ahead))::date LOOP
            IF to_regclass(quote_ident(current_schema()) || '.' || quote_ident(t || '_' || to_char(m, 'YYYY_MM'))) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                    t || '_' || to_char(m, 'YYYY_MM'), t,
                    (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                n := n + 1;
            END IF;
            m := (m + interval '1 month')::date;
        END LOOP;
    END LOOP;
    RETURN n;
END $$;

-- ekjon_drop_months_before drops the partitions of decisions and payments
-- whose month ends on or before cutoff, and returns their names.
CREATE FUNCTION ekjon_drop_months_before(cutoff timestamptz)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.ekjon_partitions'));
    FOR p IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class parent ON parent.oid = i.inhparent
        JOIN pg_namespace ns ON ns.oid = parent.relnamespace
        WHERE ns.nspname = current_schema() AND parent.relname IN ('decisions', 'payments')
          AND c.relname ~ '_[0-9]{4}_[0-9]{2}$'
          AND (to_date(right(c.relname, 7), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff
        ORDER BY 1
    LOOP
        EXECUTE format('DROP TABLE %I', p.relname);
        RETURN NEXT p.relname;
    END LOOP;
END $$;

-- decisions and payments, partitioned, with their rows copied.
ALTER TABLE decisions RENAME TO decisions_unpartitioned;
ALTER TABLE decisions_unpartitioned RENAME CONSTRAINT decisions_pkey TO decisions_unpartitioned_pkey;
DROP INDEX decisions_decided_at, decisions_person, decisions_rules;
CREATE TABLE decisions (LIKE decisions_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (recorded_at);
-- Reading by event id through decision_keys probes one partition by
-- this key (Store.Decisions, the pipeline's lookup of every batch); a
-- reviewer's read by event id alone uses its first column in each.
ALTER TABLE decisions ADD PRIMARY KEY (event_id, recorded_at);
-- The review dashboard's decisions per hour (Store.Stats:
-- WHERE decided_at >= $1).
CREATE INDEX decisions_decided_at ON decisions (decided_at);
-- A person's latest decisions (Store.Person: WHERE person_id = $1
-- ORDER BY decided_at DESC LIMIT 100).
CREATE INDEX decisions_person ON decisions (person_id, decided_at);
-- The GIN index on rules of 0001 is not carried over: no query reads
-- decisions by rule (alerts_rule serves the review queue), and it was
-- the dearest index to write.

CREATE TABLE payment_claims (
    person_id text NOT NULL,
    programme text NOT NULL,
    cycle     text NOT NULL,
    event_id  text NOT NULL,
    PRIMARY KEY (person_id, programme, cycle)
);
INSERT INTO payment_claims (person_id, programme, cycle, event_id)
    SELECT person_id, programme, cycle, event_id FROM payments WHERE action = 'ADMIT' AND person_id <> '';

ALTER TABLE payments RENAME TO payments_unpartitioned;
ALTER TABLE payments_unpartitioned RENAME CONSTRAINT payments_pkey TO payments_unpartitioned_pkey;
DROP INDEX payments_once;
ALTER TABLE payments_unpartitioned ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT clock_timestamp();
UPDATE payments_unpartitioned y SET recorded_at = k.recorded_at FROM decision_keys k WHERE k.event_id = y.event_id;
CREATE TABLE payments (LIKE payments_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (recorded_at);
-- A payment by its event id (a reviewer's ruling, the review page).
ALTER TABLE payments ADD PRIMARY KEY (event_id, recorded_at);
ALTER TABLE payments ADD FOREIGN KEY (event_id) REFERENCES decision_keys (event_id);

SELECT ekjon_ensure_partitions(2, coalesce(least(
    (SELECT min(recorded_at) FROM decisions_unpartitioned),
    (SELECT min(recorded_at) FROM payments_unpartitioned)), now()));
INSERT INTO decisions SELECT * FROM decisions_unpartitioned;
INSERT INTO payments SELECT * FROM payments_unpartitioned;
DROP TABLE decisions_unpartitioned;
DROP TABLE payments_unpartitioned;

-- The last line of defence against paying twice, whatever month the two
-- payments were recorded in: payment_claims holds the admitted payment of
-- each claim, and a second one is a unique violation. A ruling that turns
-- a payment into ADMIT claims it; one that turns it from ADMIT releases
-- it.
CREATE FUNCTION ekjon_claim_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.action = 'ADMIT' AND OLD.person_id <> '' THEN
        DELETE FROM payment_claims
        WHERE person_id = OLD.person_id AND programme = OLD.programme AND cycle = OLD.cycle AND event_id = OLD.event_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.action = 'ADMIT' AND NEW.person_id <> '' THEN
        INSERT INTO payment_claims (person_id, programme, cycle, event_id)
        VALUES (NEW.person_id, NEW.programme, NEW.cycle, NEW.event_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER payments_claim_insert AFTER INSERT ON payments
    FOR EACH ROW WHEN (NEW.action = 'ADMIT' AND NEW.person_id <> '') EXECUTE FUNCTION ekjon_claim_payment();
CREATE TRIGGER payments_claim_change AFTER UPDATE OF action, person_id, programme, cycle OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION ekjon_claim_payment();
