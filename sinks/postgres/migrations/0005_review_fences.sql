-- The review's fences: what keeps reviewers' changes to the index in step
-- with rebuilds.

-- The index generation a review's transaction saw, holding the generation
-- lock shared (see Store.ReviewAlert): the relay applies the row's index
-- change only once the index is ready at this generation or a later one,
-- whose rebuild read a record that holds the review.
ALTER TABLE outbox ADD COLUMN generation bigint NOT NULL DEFAULT 0;
