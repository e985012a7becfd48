-- Resource catalog and registration (数据资源目录与登记, REQUIREMENTS §6.1,
-- §4.6): one row per catalog resource with its §6.1 fields and classified
-- columns as JSON text (gongshu-domain's input form) and the dates of its
-- registration steps.
--
-- PostgreSQL flavour. sqlite/0008_catalog.sql must describe the same tables,
-- columns, constraints and indexes; only the column types differ:
--   timestamps  TIMESTAMPTZ               dates  DATE
--   integers    BIGINT

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
    submitted_on        DATE,
    submitted_by        TEXT REFERENCES users (id),
    accepted_on         DATE,
    reviewed_on         DATE,
    notice_start        DATE,
    -- NULL while the calendar of that year is unpublished.
    notice_end          DATE,
    registered_on       DATE,
    valid_until         DATE,
    -- 登记结果查询码.
    certificate_no      TEXT UNIQUE,
    reject_reason       TEXT,
    renewals            BIGINT NOT NULL CHECK (renewals >= 0),
    created_by          TEXT NOT NULL REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             BIGINT NOT NULL CHECK (version >= 1)
);

CREATE INDEX catalog_resources_provider ON catalog_resources (provider_org_id);
CREATE INDEX catalog_resources_reg_status ON catalog_resources (reg_status);
