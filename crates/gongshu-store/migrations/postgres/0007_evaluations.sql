-- Evaluation and termination (评估与终止, S-7.2-3, S-3.3.5), and the
-- revision of an agreement in force that is pending approval (S-2.4).
--
-- PostgreSQL flavour. sqlite/0007_evaluations.sql must describe the same
-- tables, columns, constraints and indexes; only the column types differ:
--   timestamps  TIMESTAMPTZ               dates  DATE
--   integers    BIGINT
-- Dates are Asia/Shanghai calendar dates.

-- A changed revision of an agreement in force, going through opinions and
-- the collective decision again while the signed revision (in
-- `agreements`) stays in force; at most one per agreement. Its opinions
-- are in `agreement_opinions` under its revision number.
CREATE TABLE agreement_pending_revisions (
    agreement_id TEXT NOT NULL PRIMARY KEY REFERENCES agreements (id),
    revision     BIGINT NOT NULL CHECK (revision >= 2),
    status       TEXT NOT NULL CHECK (status IN ('draft', 'opinions_collected', 'decided')),
    clauses      TEXT NOT NULL,
    decided_on   DATE,
    decision_ref TEXT,
    decided_by   TEXT REFERENCES users (id),
    drafted_by   TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);

-- Periodic evaluations of the operator by the data bureau (S-7.2-3).
CREATE TABLE evaluations (
    id                         TEXT NOT NULL PRIMARY KEY,
    agreement_id               TEXT NOT NULL REFERENCES agreements (id),
    operator_org_id            TEXT NOT NULL REFERENCES organisations (id),
    period_start               DATE NOT NULL,
    period_end                 DATE NOT NULL CHECK (period_end >= period_start),
    evaluated_on               DATE NOT NULL,
    -- JSON array of {indicator, score, weight}.
    scores                     TEXT NOT NULL,
    -- Σ score × weight: hundredths of a point.
    total_hundredths           BIGINT NOT NULL CHECK (total_hundredths BETWEEN 0 AND 10000),
    grade                      TEXT NOT NULL CHECK (grade IN ('excellent', 'good', 'pass', 'fail')),
    status                     TEXT NOT NULL CHECK (status IN (
                                   'completed', 'rectifying', 'rectification_submitted', 'rectified')),
    findings                   TEXT NOT NULL,
    -- JSON array of requirement texts.
    requirements               TEXT NOT NULL,
    rectification_due_on       DATE,
    rectification_report       TEXT,
    rectification_submitted_on DATE,
    rectification_submitted_by TEXT REFERENCES users (id),
    review_note                TEXT,
    rectification_accepted_on  DATE,
    evaluated_by               TEXT NOT NULL REFERENCES users (id),
    created_at                 TIMESTAMPTZ NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL,
    version                    BIGINT NOT NULL CHECK (version >= 1),
    CHECK ((status = 'completed') = (rectification_due_on IS NULL))
);

CREATE INDEX evaluations_agreement_idx ON evaluations (agreement_id);

-- Terminations of the agreement in force (S-3.3.5).
CREATE TABLE terminations (
    id              TEXT NOT NULL PRIMARY KEY,
    agreement_id    TEXT NOT NULL REFERENCES agreements (id),
    operator_org_id TEXT NOT NULL REFERENCES organisations (id),
    trigger_code    TEXT NOT NULL CHECK (trigger_code IN (
                        'law_or_policy_change', 'not_operating_as_agreed', 'security_incident',
                        'findings_not_rectified', 'other_violation')),
    reasons         TEXT NOT NULL,
    -- The evaluation whose findings were not rectified, if any.
    evaluation_id   TEXT REFERENCES evaluations (id),
    status          TEXT NOT NULL CHECK (status IN ('proposed', 'rejected', 'effective', 'filed')),
    proposed_by     TEXT NOT NULL REFERENCES users (id),
    proposed_on     DATE NOT NULL,
    decided_by      TEXT REFERENCES users (id),
    decided_on      DATE,
    decision_note   TEXT,
    -- decided_on + 10 working days (S-3.3.5).
    filing_due_on   DATE,
    filed_on        DATE,
    filing_receipt  TEXT,
    -- JSON summary of what was revoked when it took effect.
    revoked         TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    version         BIGINT NOT NULL CHECK (version >= 1)
);

-- One termination proposed or in effect per agreement.
CREATE UNIQUE INDEX terminations_one_open_idx ON terminations (agreement_id)
    WHERE status <> 'rejected';

-- One destruction record per dataset of the terminated agreement's data
-- scope. `keys_pending_vault`: access is revoked, the keys still exist;
-- the vault will crypto-shred them. Nothing is destroyed before that.
CREATE TABLE termination_destructions (
    termination_id TEXT NOT NULL REFERENCES terminations (id),
    dataset_id     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('keys_pending_vault')),
    recorded_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (termination_id, dataset_id)
);
