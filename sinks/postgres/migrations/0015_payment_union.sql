-- The union a hand-out was made in, by BBS code where the gazetteer
-- knows it (as given otherwise), beside its district and upazila: a
-- location may name its union, and a distributor may be bound to one.
ALTER TABLE payments ADD COLUMN union_name text NOT NULL DEFAULT '';
