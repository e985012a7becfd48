-- Resource catalog and registration (数据资源目录与登记, REQUIREMENTS §6.1,
-- §4.6): one row per catalog resource with its §6.1 fields and classified
-- columns as JSON text (gongshu-domain's input form) and the dates of its
-- registration steps.
--
-- SQLite flavour. postgres/0008_catalog.sql must describe the same tables,
-- columns, constraints and indexes; only the column types differ:
--   timestamps  TEXT (RFC 3339, UTC)      dates  TEXT (YYYY-MM-DD)
--   integers    INTEGER (64-bit)

CREATE TABLE catalog_resources (
    id                  TEXT NOT NULL PRIMARY KEY,
    -- The data source unit that provides and maintains the resource.
    provider_org_id     TEXT NOT NULL REFERENCES organisations (id),
    name                TEXT NOT NULL,
    -- Every §6.1 field (JSON, without the columns).
    fields              TEXT NOT NULL,
    -- Columns with grade, personal-information flag and sandbox class (JSON).
    columns             TEXT NOT NULL,
    sharing_attribute   TEXT NOT NULL CHECK (sharing_attribute IN (
                            'unconditional', 'conditional', 'not_shared')),
    -- Highest column grade (就高从严); NULL while no column is graded.
    grade               TEXT CHECK (grade IN ('general_1', 'general_2', 'general_3',
                            'general_4', 'important', 'core')),
    reg_status          TEXT NOT NULL CHECK (reg_status IN (
                            'unregistered', 'submitted', 'accepted', 'reviewed',
                            'in_notice', 'registered', 'renewal_requested', 'rejected')),
    submitted_on        TEXT,
    submitted_by        TEXT REFERENCES users (id),
    accepted_on         TEXT,
    reviewed_on         TEXT,
    notice_start        TEXT,
    -- NULL while the calendar of that year is unpublished.
    notice_end          TEXT,
    registered_on       TEXT,
    valid_until         TEXT,
    -- 登记结果查询码.
    certificate_no      TEXT UNIQUE,
    reject_reason       TEXT,
    renewals            INTEGER NOT NULL CHECK (renewals >= 0),
    created_by          TEXT NOT NULL REFERENCES users (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

CREATE INDEX catalog_resources_provider ON catalog_resources (provider_org_id);
CREATE INDEX catalog_resources_reg_status ON catalog_resources (reg_status);
