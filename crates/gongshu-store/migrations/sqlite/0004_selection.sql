-- Operator selection (运营机构遴选, S-3.3.1, S-3.2.1, S-3.2.2) and
-- application scenarios (应用场景, S-6.3, S-2.1).
--
-- SQLite flavour. postgres/0004_selection.sql must describe the same tables,
-- columns, constraints and indexes; only the column types differ:
--   timestamps  TEXT (RFC 3339, UTC)      dates  TEXT (YYYY-MM-DD)
--   integers    INTEGER (64-bit)
-- Dates are Asia/Shanghai calendar dates; ISO text compares like the date.

CREATE TABLE selections (
    id                  TEXT NOT NULL PRIMARY KEY,
    -- The implementing agency that runs it.
    agency_org_id       TEXT NOT NULL REFERENCES organisations (id),
    title               TEXT NOT NULL,
    method              TEXT NOT NULL CHECK (method IN (
                            'open_tender', 'invited_tender', 'negotiation', 'selection')),
    status              TEXT NOT NULL CHECK (status IN ('open', 'publicity', 'finalised')),
    -- Who opened it; may not decide it.
    opened_by           TEXT NOT NULL REFERENCES users (id),
    -- The chosen candidate (a selection_candidates id) from the decision on.
    chosen_candidate_id TEXT,
    decided_on          TEXT,
    decided_by          TEXT REFERENCES users (id),
    -- decided_on + the publicity period in working days.
    publicity_ends_on   TEXT,
    -- Report to the county government.
    reported_on         TEXT,
    report_doc_no       TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

CREATE INDEX selections_status_idx ON selections (status);

CREATE TABLE selection_candidates (
    id            TEXT NOT NULL PRIMARY KEY,
    selection_id  TEXT NOT NULL REFERENCES selections (id),
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    credit_code   TEXT NOT NULL,
    -- The 14 qualification items recorded so far, JSON (gongshu-domain's
    -- ItemRecord list).
    assessment    TEXT NOT NULL,
    registered_by TEXT NOT NULL REFERENCES users (id),
    registered_at TEXT NOT NULL,
    assessed_by   TEXT REFERENCES users (id),
    assessed_at   TEXT,
    UNIQUE (selection_id, org_id)
) STRICT;

CREATE TABLE selection_objections (
    id           TEXT NOT NULL PRIMARY KEY,
    selection_id TEXT NOT NULL REFERENCES selections (id),
    -- The candidate the publicity was about.
    candidate_id TEXT NOT NULL REFERENCES selection_candidates (id),
    received_on  TEXT NOT NULL,
    objector     TEXT NOT NULL,
    content      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'upheld', 'dismissed')),
    resolution   TEXT,
    resolved_by  TEXT REFERENCES users (id),
    resolved_at  TEXT,
    recorded_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at  TEXT NOT NULL
) STRICT;

CREATE INDEX selection_objections_selection_idx ON selection_objections (selection_id);

CREATE TABLE scenarios (
    id               TEXT NOT NULL PRIMARY KEY,
    -- The sector regulator that planned it, and its sector.
    regulator_org_id TEXT NOT NULL REFERENCES organisations (id),
    sector           TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    priority         TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    status           TEXT NOT NULL CHECK (status IN (
                         'planned', 'plan_submitted', 'returned', 'approved', 'filed',
                         'cancelled')),
    planned_by       TEXT NOT NULL REFERENCES users (id),
    -- Filing with the county data bureau (S-2.1).
    filed_on         TEXT,
    filing_ref       TEXT,
    filed_by         TEXT REFERENCES users (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

CREATE INDEX scenarios_status_idx ON scenarios (status);

-- Each submission of the operator's plan, with the regulator's written review.
CREATE TABLE scenario_plans (
    id                  TEXT NOT NULL PRIMARY KEY,
    scenario_id         TEXT NOT NULL REFERENCES scenarios (id),
    round               INTEGER NOT NULL CHECK (round >= 1),
    operator_org_id     TEXT NOT NULL REFERENCES organisations (id),
    data_need           TEXT NOT NULL,
    compliance_measures TEXT NOT NULL,
    submitted_by        TEXT NOT NULL REFERENCES users (id),
    submitted_at        TEXT NOT NULL,
    verdict             TEXT CHECK (verdict IN ('approve', 'return')),
    comments            TEXT,
    reviewed_by         TEXT REFERENCES users (id),
    reviewed_at         TEXT,
    UNIQUE (scenario_id, round)
) STRICT;
