-- When the current files revision of a release request was submitted: the
-- reviewers' time limit runs from it (a decision must not move it, a file
-- replacement restarts it).
ALTER TABLE release_requests ADD COLUMN revised_at TIMESTAMPTZ;
UPDATE release_requests SET revised_at = created_at;
ALTER TABLE release_requests ALTER COLUMN revised_at SET NOT NULL;
