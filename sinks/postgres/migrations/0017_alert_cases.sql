-- Cases of alerts: the SHARED_CONTACT alerts of the persons tied to one
-- phone or wallet are one case for a reviewer, not one alert per event.
--
-- case_id is the number's keyed hash (never the number). While a case's
-- first alert is unresolved, a later alert of the case that admitted its
-- event joins it: it is recorded closed, its resolution naming the case's
-- alert, and it is not published again; the case page lists every alert
-- of the case. An alert that held its event stays open on its own, since
-- each held event needs a reviewer's ruling, and is listed with the case.
ALTER TABLE alerts ADD COLUMN case_id text;
CREATE INDEX alerts_case ON alerts (case_id, created_at) WHERE case_id IS NOT NULL;
