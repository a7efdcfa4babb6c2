-- The outbox carries alerts, and payments the items they gave.
--
-- The outbox carries alerts as well as decisions: an alert raised by a
-- distributor's scan, by a refused scan or by the reconciliation, which
-- no Kafka batch publishes, is written to it in the transaction that
-- raises it, once, and relayed to the alerts topic. A row carries a
-- decision, alerts, or both.
ALTER TABLE outbox ALTER COLUMN decision DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN alerts jsonb;

-- The items a hand-out gave (rice_kg …), as given or, for a scan, the
-- programme's entitlement; NULL when none were named.
ALTER TABLE payments ADD COLUMN items jsonb;
