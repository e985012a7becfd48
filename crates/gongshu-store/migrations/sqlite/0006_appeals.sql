-- Appeals (申诉, S-2.5b), provider–operator disputes (争议协调, S-2.5a),
-- inspections with their verified audit samples and findings (监督检查,
-- S-3.3.2d), security incidents (安全事件) and flags of prohibited
-- behaviour (S-3.3.4).
--
-- SQLite flavour. postgres/0006_appeals.sql must describe the same tables,
-- columns, constraints and indexes; only the column types differ
-- (timestamps TEXT, dates TEXT 'YYYY-MM-DD', integers INTEGER). Dates are
-- Asia/Shanghai calendar dates.

CREATE TABLE appeals (
    id             TEXT NOT NULL PRIMARY KEY,
    appellant_org  TEXT NOT NULL REFERENCES organisations (id),
    filed_by       TEXT NOT NULL REFERENCES users (id),
    filed_at       TEXT NOT NULL,
    subject_kind   TEXT NOT NULL CHECK (subject_kind IN ('market_entry', 'data_use', 'egress')),
    subject_id     TEXT NOT NULL,
    -- Whether the subject was found and checked to concern the appellant.
    subject_checked INTEGER NOT NULL CHECK (subject_checked IN (0, 1)),
    decided_on     TEXT NOT NULL,
    filing_deadline TEXT NOT NULL,
    grounds        TEXT NOT NULL,
    -- Handling deadline of the agency; NULL while the calendar is unpublished.
    due_on         TEXT,
    status         TEXT NOT NULL CHECK (status IN ('submitted', 'upheld', 'overturned', 'withdrawn')),
    reasons        TEXT,
    decided_by     TEXT REFERENCES users (id),
    decided_at     TEXT,
    version        INTEGER NOT NULL CHECK (version >= 1),
    CHECK (status IN ('submitted', 'withdrawn') OR reasons IS NOT NULL)
) STRICT;

CREATE INDEX appeals_status_idx ON appeals (status);

CREATE TABLE disputes (
    id                 TEXT NOT NULL PRIMARY KEY,
    raised_by_org      TEXT NOT NULL REFERENCES organisations (id),
    raised_by          TEXT NOT NULL REFERENCES users (id),
    raised_at          TEXT NOT NULL,
    against_org        TEXT NOT NULL REFERENCES organisations (id),
    subject            TEXT NOT NULL CHECK (subject IN ('authorization', 'use')),
    description        TEXT NOT NULL,
    due_on             TEXT,
    status             TEXT NOT NULL CHECK (status IN ('open', 'assessing', 'assessed', 'resolved')),
    assessment_body    TEXT,
    assessment_commissioned_on TEXT,
    assessment_report_ref TEXT,
    assessment_reported_on TEXT,
    outcome            TEXT,
    resolved_by        TEXT REFERENCES users (id),
    resolved_at        TEXT,
    version            INTEGER NOT NULL CHECK (version >= 1),
    CHECK (raised_by_org <> against_org),
    CHECK (status <> 'resolved' OR outcome IS NOT NULL)
) STRICT;

CREATE INDEX disputes_status_idx ON disputes (status);

CREATE TABLE inspections (
    id            TEXT NOT NULL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('random', 'targeted')),
    inspected_org TEXT NOT NULL REFERENCES organisations (id),
    scope         TEXT NOT NULL,
    -- Seed and size of the audit-record sample (random inspections).
    sample_seed   TEXT,
    sample_size   INTEGER,
    status        TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_by     TEXT NOT NULL REFERENCES users (id),
    opened_at     TEXT NOT NULL,
    conclusion    TEXT,
    closed_by     TEXT REFERENCES users (id),
    closed_at     TEXT,
    version       INTEGER NOT NULL CHECK (version >= 1),
    CHECK (kind = 'targeted' OR sample_seed IS NOT NULL)
) STRICT;

-- One verification result per sampled audit record.
CREATE TABLE inspection_samples (
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    ledger_index  INTEGER NOT NULL CHECK (ledger_index >= 0),
    action_code   TEXT NOT NULL,
    result        TEXT NOT NULL CHECK (result IN ('verified', 'failed')),
    detail        TEXT NOT NULL,
    PRIMARY KEY (inspection_id, ledger_index)
) STRICT;

CREATE TABLE inspection_findings (
    id             TEXT NOT NULL PRIMARY KEY,
    inspection_id  TEXT NOT NULL REFERENCES inspections (id),
    severity       TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'serious')),
    rule_id        TEXT NOT NULL,
    description    TEXT NOT NULL,
    found_by       TEXT NOT NULL REFERENCES users (id),
    found_at       TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'rectified')),
    rectification  TEXT,
    rectified_by   TEXT REFERENCES users (id),
    rectified_at   TEXT,
    version        INTEGER NOT NULL CHECK (version >= 1),
    CHECK (status = 'open' OR rectification IS NOT NULL)
) STRICT;

CREATE INDEX inspection_findings_inspection_idx ON inspection_findings (inspection_id);

CREATE TABLE incidents (
    id             TEXT NOT NULL PRIMARY KEY,
    concerned_org  TEXT NOT NULL REFERENCES organisations (id),
    recorded_by_org TEXT NOT NULL REFERENCES organisations (id),
    recorded_by    TEXT NOT NULL REFERENCES users (id),
    recorded_at    TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category IN (
                       'data_leak', 'tampering', 'loss', 'unauthorized_access', 'attack', 'other')),
    severity       TEXT NOT NULL CHECK (severity IN ('general', 'major', 'serious', 'critical')),
    discovered_at  TEXT NOT NULL,
    affected_data  TEXT NOT NULL,
    measures       TEXT NOT NULL,
    report_due_on  TEXT,
    status         TEXT NOT NULL CHECK (status IN ('recorded', 'reported', 'closed')),
    report         TEXT,
    reported_by    TEXT REFERENCES users (id),
    reported_at    TEXT,
    closed_by      TEXT REFERENCES users (id),
    closed_at      TEXT,
    version        INTEGER NOT NULL CHECK (version >= 1),
    CHECK (status = 'recorded' OR report IS NOT NULL)
) STRICT;

-- Prohibited behaviour (S-3.3.4-1..4) flagged on an organisation.
CREATE TABLE org_flags (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    behaviour   TEXT NOT NULL CHECK (behaviour IN (
                    'misuse', 'raw_data_export', 'outside_scope', 'abuse_of_dominance')),
    finding_id  TEXT NOT NULL REFERENCES inspection_findings (id),
    note        TEXT NOT NULL,
    flagged_by  TEXT NOT NULL REFERENCES users (id),
    flagged_at  TEXT NOT NULL,
    UNIQUE (finding_id, behaviour)
) STRICT;

CREATE INDEX org_flags_org_idx ON org_flags (org_id);
