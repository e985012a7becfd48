-- Foundation state: organisations, users and their roles, console sessions,
-- API keys, and the searchable index of the audit log.
--
-- PostgreSQL flavour. sqlite/0001_foundation.sql must describe the same
-- tables, columns, constraints and indexes; only the column types differ:
--   timestamps  TIMESTAMPTZ
--   integers    BIGINT
--   bytes       BYTEA
-- Unique constraints keep PostgreSQL's default names (<table>_<column>_key);
-- src/error.rs maps those names to the same `what` SQLite reports.

CREATE TABLE organisations (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN (
                    'implementing_agency', 'data_bureau', 'operator', 'participant',
                    'data_source_unit', 'sector_regulator', 'finance_bureau',
                    'pricing_authority', 'security_regulator', 'platform_admin')),
    sector      TEXT,
    -- 统一社会信用代码 (GB 32100-2015); NULL for bodies registered without one.
    credit_code TEXT UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    version     BIGINT NOT NULL CHECK (version >= 1)
);

CREATE TABLE users (
    id             TEXT NOT NULL PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    -- The TOTP shared secret. Encrypting it at rest is not done here yet.
    totp_secret    BYTEA NOT NULL,
    -- The last accepted TOTP time step, so that a code is never accepted twice.
    totp_last_step BIGINT,
    failed_logins  BIGINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until   TIMESTAMPTZ,
    status         TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at     TIMESTAMPTZ NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 1)
);

CREATE INDEX users_org_id_idx ON users (org_id);

CREATE TABLE role_grants (
    user_id    TEXT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL CHECK (role IN (
                   'case_officer', 'reviewer', 'approver', 'admin')),
    granted_by TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, role)
);

CREATE TABLE sessions (
    -- Only a hash of the session token is stored; the token itself lives in
    -- the browser's cookie.
    id_hash         TEXT NOT NULL PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    csrf_token_hash TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id         TEXT NOT NULL PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations (id),
    key_hash   TEXT NOT NULL UNIQUE,
    -- The first characters of the key, shown in the console to tell keys apart.
    prefix     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE INDEX api_keys_org_id_idx ON api_keys (org_id);

-- One row per audit-log entry, for the inspection API's filters. The log
-- itself (Merkle tree, checkpoints) lives in gongshu-ledger's files; this
-- table is only an index into it and is append-only.
CREATE TABLE audit_index (
    ledger_index BIGINT NOT NULL PRIMARY KEY CHECK (ledger_index >= 0),
    occurred_at  TIMESTAMPTZ NOT NULL,
    action_code  TEXT NOT NULL,
    actor_user   TEXT,
    actor_org    TEXT,
    target_type  TEXT,
    target_id    TEXT,
    dataset      TEXT
);

CREATE INDEX audit_index_occurred_at_idx ON audit_index (occurred_at);
CREATE INDEX audit_index_actor_user_idx ON audit_index (actor_user, occurred_at);
CREATE INDEX audit_index_actor_org_idx ON audit_index (actor_org, occurred_at);
CREATE INDEX audit_index_action_code_idx ON audit_index (action_code, occurred_at);
CREATE INDEX audit_index_dataset_idx ON audit_index (dataset, occurred_at);
