-- A backfill's checkpoint: how far through its records, in the order it
-- decides them, a backfill of one content has come. run_key names the
-- content (a hash of its records' hashes, never a record), so that the
-- same command over the same files resumes where it stopped.
CREATE TABLE backfill_runs (
    run_key     text PRIMARY KEY,
    files       text NOT NULL,
    total       bigint NOT NULL,
    done        bigint NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
