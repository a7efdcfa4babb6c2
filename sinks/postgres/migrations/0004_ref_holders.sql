-- Beneficiary refs have one holder: the first person to enrol with a
-- programme's ref holds it, and payments by the ref are theirs. The index
-- claims the ref when it decides the enrolment; holds_ref records which
-- enrolments it did so for (an enrolment held as REF_CONFLICT did not), so
-- that an index rebuilt from the record maps each ref to the person the
-- live index did.
ALTER TABLE enrolments ADD COLUMN holds_ref boolean NOT NULL DEFAULT false;

-- Enrolments recorded before refs were claimed: the first person to have
-- enrolled with the ref, not blocked, holds it, through each of their
-- enrolments naming it.
UPDATE enrolments e SET holds_ref = true
FROM (SELECT DISTINCT ON (programme, beneficiary_ref) programme, beneficiary_ref, person_id
      FROM enrolments
      WHERE beneficiary_ref <> '' AND status <> 'blocked'
      ORDER BY programme, beneficiary_ref, enrolled_at, event_id) first
WHERE e.programme = first.programme AND e.beneficiary_ref = first.beneficiary_ref
  AND e.person_id = first.person_id;

CREATE INDEX enrolments_ref_holders ON enrolments (programme, beneficiary_ref) WHERE holds_ref;
