-- Joint reviews (联合审核) and the two workflows built on them: data demands
-- (数据需求申请, S-4b) with the data grants they create, and secondary-market
-- entries (二级市场准入, S-3.3.2a/b).
--
-- SQLite flavour. postgres/0003_joint_reviews.sql must describe the same
-- tables, columns, constraints and indexes; only the column types differ
-- (timestamps TEXT, dates TEXT 'YYYY-MM-DD', integers INTEGER). JSON arrays
-- (columns, attachments) are stored as TEXT written by the app.

CREATE TABLE joint_reviews (
    id            TEXT NOT NULL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('data_demand', 'market_entry')),
    applicant_org TEXT NOT NULL REFERENCES organisations (id),
    submitted_by  TEXT NOT NULL REFERENCES users (id),
    submitted_at  TEXT NOT NULL,
    -- The organisation that must co-sign before review (S-4b), if any.
    co_signer_org TEXT REFERENCES organisations (id),
    co_signed_by  TEXT REFERENCES users (id),
    co_signed_at  TEXT,
    status        TEXT NOT NULL CHECK (status IN (
                      'draft', 'submitted', 'co_signed', 'under_review',
                      'approved', 'rejected', 'withdrawn')),
    closed_at     TEXT,
    version       INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

CREATE INDEX joint_reviews_kind_status_idx ON joint_reviews (kind, status);

-- Required review parties, one row per organisation.
CREATE TABLE review_parties (
    review_id TEXT NOT NULL REFERENCES joint_reviews (id),
    party_org TEXT NOT NULL REFERENCES organisations (id),
    -- Comma-separated PartyRole codes.
    roles     TEXT NOT NULL,
    position  INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (review_id, party_org)
) STRICT;

-- One decision per party: the primary key makes a second decision for the
-- same party (a race) fail as a duplicate.
CREATE TABLE review_decisions (
    review_id  TEXT NOT NULL,
    party_org  TEXT NOT NULL,
    decided_by TEXT NOT NULL REFERENCES users (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reason     TEXT,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (review_id, party_org),
    FOREIGN KEY (review_id, party_org) REFERENCES review_parties (review_id, party_org),
    CHECK (verdict = 'approve' OR reason IS NOT NULL)
) STRICT;

CREATE TABLE data_demands (
    id          TEXT NOT NULL PRIMARY KEY REFERENCES joint_reviews (id),
    scenario    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    sector      TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    CHECK (valid_from <= valid_until)
) STRICT;

CREATE TABLE data_demand_items (
    demand_id    TEXT NOT NULL REFERENCES data_demands (id),
    dataset_id   TEXT NOT NULL,
    provider_org TEXT NOT NULL REFERENCES organisations (id),
    -- JSON array of column names.
    columns      TEXT NOT NULL,
    position     INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (demand_id, dataset_id)
) STRICT;

-- What the sandbox lets a grantee read: created only by an approved demand.
CREATE TABLE data_grants (
    id            TEXT NOT NULL PRIMARY KEY,
    grantee_org   TEXT NOT NULL REFERENCES organisations (id),
    dataset_id    TEXT NOT NULL,
    provider_org  TEXT NOT NULL REFERENCES organisations (id),
    -- JSON array of column names.
    columns       TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    source_demand TEXT NOT NULL REFERENCES data_demands (id),
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    UNIQUE (source_demand, dataset_id)
) STRICT;

CREATE INDEX data_grants_grantee_org_idx ON data_grants (grantee_org);

CREATE TABLE market_entries (
    id                     TEXT NOT NULL PRIMARY KEY REFERENCES joint_reviews (id),
    sector                 TEXT NOT NULL,
    qualification          TEXT NOT NULL,
    compliance             TEXT NOT NULL,
    technical_security     TEXT NOT NULL,
    -- JSON array of attachment references.
    attachments            TEXT NOT NULL,
    data_source_org        TEXT NOT NULL REFERENCES organisations (id),
    -- The no-re-licensing undertaking (S-3.3.2b), signed after approval.
    undertaking_version    TEXT,
    undertaking_signed_by  TEXT REFERENCES users (id),
    undertaking_signed_at  TEXT,
    admitted_at            TEXT,
    CHECK (admitted_at IS NULL OR undertaking_signed_at IS NOT NULL)
) STRICT;
