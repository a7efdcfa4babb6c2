-- Allocations: what a cycle allots to each distributor in an area, by
-- beneficiary or as a count, and what each is due. The reconciliation of
-- allotted against handed-out aid reads these tables and payments, so any
-- worker or API process gives the same figures.

CREATE TABLE allocations (
    event_id       text PRIMARY KEY REFERENCES decision_keys (event_id),
    programme      text NOT NULL,
    cycle          text NOT NULL,
    distributor_id text NOT NULL,
    division       text NOT NULL DEFAULT '',
    district       text NOT NULL DEFAULT '',
    upazila        text NOT NULL DEFAULT '',
    union_name     text NOT NULL DEFAULT '',
    allotted       bigint NOT NULL,          -- beneficiaries listed, or the count
    listed         boolean NOT NULL,         -- beneficiaries are listed below
    amount         numeric(14,2) NOT NULL DEFAULT 0, -- per beneficiary
    items          jsonb,                    -- per beneficiary
    closes_at      timestamptz,
    occurred_at    timestamptz NOT NULL
);
CREATE INDEX allocations_cycle ON allocations (programme, cycle, distributor_id);

-- The beneficiaries an allocation lists, by beneficiary ref or card number
-- as the source wrote them.
CREATE TABLE allocation_beneficiaries (
    event_id       text NOT NULL REFERENCES allocations (event_id),
    programme      text NOT NULL,
    cycle          text NOT NULL,
    distributor_id text NOT NULL,
    ref            text NOT NULL,
    PRIMARY KEY (event_id, ref)
);
CREATE INDEX allocation_beneficiaries_ref ON allocation_beneficiaries (programme, cycle, ref);

-- Distributions by distributor, for the reconciliation and the scorecard.
CREATE INDEX payments_distributor ON payments (distributor_id, programme, cycle);

-- The facts behind an alert (counts, amounts, places), for the reviewer.
ALTER TABLE alerts ADD COLUMN evidence jsonb;
