-- Data-use applications of admitted secondary-market participants
-- (公共数据资源使用申请, S-2.5b, S-3.3.2a, S-2.1) with the product
-- subscriptions their approval creates, and external data imports
-- (外部数据导入, S-6.2-3, S-3.3.4-3) with the pending imports their approval
-- creates. Sandbox approvals reuse `data_grants` (0003): this migration
-- lets a grant come from a use application as well as from a data demand
-- (`source_kind`), checked by a trigger instead of the former foreign key.
--
-- SQLite flavour. postgres/0005_use_applications.sql must describe the
-- same tables, columns, constraints and indexes; only the column types
-- differ. JSON arrays are stored as TEXT written by the app; flags are
-- integers 0/1 on both backends.

CREATE TABLE use_applications (
    id            TEXT NOT NULL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('product_subscription', 'sandbox_access')),
    applicant_org TEXT NOT NULL REFERENCES organisations (id),
    submitted_by  TEXT NOT NULL REFERENCES users (id),
    submitted_at  TEXT NOT NULL,
    -- The admitted participant's market entry (S-3.3.2a) at submission.
    market_entry  TEXT NOT NULL REFERENCES market_entries (id),
    scenario      TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN (
                      'draft', 'submitted', 'under_review', 'approved', 'rejected', 'withdrawn')),
    closed_at     TEXT,
    -- A rejection may be appealed to the implementing agency (S-2.5b).
    appealable    INTEGER NOT NULL CHECK (appealable IN (0, 1)),
    version       INTEGER NOT NULL CHECK (version >= 1),
    CHECK (valid_from <= valid_until),
    CHECK (appealable = 0 OR status = 'rejected')
) STRICT;

CREATE INDEX use_applications_status_idx ON use_applications (status);

-- Required parties, one row per organisation.
CREATE TABLE use_application_parties (
    application_id TEXT NOT NULL REFERENCES use_applications (id),
    party_org      TEXT NOT NULL REFERENCES organisations (id),
    -- Comma-separated PartyRole codes.
    roles          TEXT NOT NULL,
    position       INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (application_id, party_org)
) STRICT;

-- One decision per party: a second one (a race) fails on the primary key.
CREATE TABLE use_application_decisions (
    application_id TEXT NOT NULL,
    party_org      TEXT NOT NULL,
    decided_by     TEXT NOT NULL REFERENCES users (id),
    verdict        TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reason         TEXT,
    decided_at     TEXT NOT NULL,
    PRIMARY KEY (application_id, party_org),
    FOREIGN KEY (application_id, party_org)
        REFERENCES use_application_parties (application_id, party_org),
    CHECK (verdict = 'approve' OR reason IS NOT NULL)
) STRICT;

-- Products of the operator asked for (product_subscription).
CREATE TABLE use_application_products (
    application_id TEXT NOT NULL REFERENCES use_applications (id),
    product_id     TEXT NOT NULL,
    position       INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (application_id, product_id)
) STRICT;

-- Datasets and columns asked for (sandbox_access).
CREATE TABLE use_application_datasets (
    application_id TEXT NOT NULL REFERENCES use_applications (id),
    dataset_id     TEXT NOT NULL,
    provider_org   TEXT NOT NULL REFERENCES organisations (id),
    -- JSON array of column names.
    columns        TEXT NOT NULL,
    position       INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (application_id, dataset_id)
) STRICT;

-- What an approved product_subscription application lets the participant use.
CREATE TABLE product_subscriptions (
    id                 TEXT NOT NULL PRIMARY KEY,
    subscriber_org     TEXT NOT NULL REFERENCES organisations (id),
    product_id         TEXT NOT NULL,
    scenario           TEXT NOT NULL,
    purpose            TEXT NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_until        TEXT NOT NULL,
    source_application TEXT NOT NULL REFERENCES use_applications (id),
    created_at         TEXT NOT NULL,
    revoked_at         TEXT,
    UNIQUE (source_application, product_id)
) STRICT;

CREATE INDEX product_subscriptions_subscriber_org_idx ON product_subscriptions (subscriber_org);

CREATE TABLE data_imports (
    id                    TEXT NOT NULL PRIMARY KEY,
    applicant_org         TEXT NOT NULL REFERENCES organisations (id),
    submitted_by          TEXT NOT NULL REFERENCES users (id),
    submitted_at          TEXT NOT NULL,
    description           TEXT NOT NULL,
    legal_basis           TEXT NOT NULL CHECK (legal_basis IN ('consent', 'contract', 'law')),
    legal_basis_reference TEXT,
    -- JSON array of data categories.
    data_categories       TEXT NOT NULL,
    personal_information  INTEGER NOT NULL CHECK (personal_information IN (0, 1)),
    sensitivity           TEXT NOT NULL CHECK (sensitivity IN ('general', 'important', 'core')),
    -- JSON array of the dataset ids it will be fused with.
    fuse_with             TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN (
                              'draft', 'submitted', 'approved', 'rejected', 'withdrawn')),
    decided_by            TEXT REFERENCES users (id),
    decided_at            TEXT,
    reason                TEXT,
    version               INTEGER NOT NULL CHECK (version >= 1),
    CHECK (personal_information = 0 OR legal_basis_reference IS NOT NULL),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
) STRICT;

CREATE INDEX data_imports_status_idx ON data_imports (status);

-- Created by an approved import: the future dataset the vault will load,
-- owned by the applicant, with its own classification.
CREATE TABLE pending_imports (
    id                   TEXT NOT NULL PRIMARY KEY,
    import_id            TEXT NOT NULL UNIQUE REFERENCES data_imports (id),
    owner_org            TEXT NOT NULL REFERENCES organisations (id),
    sensitivity          TEXT NOT NULL CHECK (sensitivity IN ('general', 'important', 'core')),
    personal_information INTEGER NOT NULL CHECK (personal_information IN (0, 1)),
    status               TEXT NOT NULL CHECK (status IN ('pending', 'loaded')),
    created_at           TEXT NOT NULL
) STRICT;

-- data_grants: a grant's source is a data demand (0003) or an approved
-- sandbox_access use application. SQLite cannot drop a foreign key, so the
-- table is rebuilt with the same columns, keys and index plus
-- `source_kind`; the trigger below replaces the foreign key.
CREATE TABLE data_grants_v5 (
    id            TEXT NOT NULL PRIMARY KEY,
    grantee_org   TEXT NOT NULL REFERENCES organisations (id),
    dataset_id    TEXT NOT NULL,
    provider_org  TEXT NOT NULL REFERENCES organisations (id),
    -- JSON array of column names.
    columns       TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_until   TEXT NOT NULL,
    -- The approved data demand or use application that created it.
    source_demand TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    source_kind   TEXT NOT NULL DEFAULT 'data_demand'
                  CHECK (source_kind IN ('data_demand', 'use_application')),
    UNIQUE (source_demand, dataset_id)
) STRICT;

INSERT INTO data_grants_v5 (id, grantee_org, dataset_id, provider_org, columns, purpose,
    valid_from, valid_until, source_demand, created_at, revoked_at, source_kind)
SELECT id, grantee_org, dataset_id, provider_org, columns, purpose,
    valid_from, valid_until, source_demand, created_at, revoked_at, 'data_demand'
FROM data_grants;

DROP TABLE data_grants;

ALTER TABLE data_grants_v5 RENAME TO data_grants;

CREATE INDEX data_grants_grantee_org_idx ON data_grants (grantee_org);

CREATE TRIGGER data_grants_source_exists BEFORE INSERT ON data_grants
WHEN (NEW.source_kind = 'data_demand'
      AND NOT EXISTS (SELECT 1 FROM data_demands WHERE id = NEW.source_demand))
  OR (NEW.source_kind = 'use_application'
      AND NOT EXISTS (SELECT 1 FROM use_applications
                      WHERE id = NEW.source_demand AND kind = 'sandbox_access'))
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: data_grants.source_demand');
END;
