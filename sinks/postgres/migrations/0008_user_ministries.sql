-- A user may be bound to ministries: they then see only the programmes
-- those ministries own (codes from the policy file). None: every programme.
ALTER TABLE users ADD COLUMN ministries text[] NOT NULL DEFAULT '{}';
