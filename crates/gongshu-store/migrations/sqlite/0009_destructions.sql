-- Completion of the destruction records of a termination (S-3.3.5): the
-- vault's crypto-shredding certificate per dataset, or the finding that the
-- vault held no copy. The pending records in termination_destructions stay
-- as they were written; a row here completes one of them.
CREATE TABLE destruction_certificates (
    termination_id     TEXT NOT NULL REFERENCES terminations (id),
    dataset_id         TEXT NOT NULL,
    outcome            TEXT NOT NULL CHECK (outcome IN ('destroyed', 'no_copy_in_vault')),
    certificate_digest TEXT,
    versions           INTEGER NOT NULL CHECK (versions >= 0),
    completed_at       TEXT NOT NULL,
    PRIMARY KEY (termination_id, dataset_id)
) STRICT;
