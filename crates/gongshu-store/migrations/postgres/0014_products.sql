-- Data products and services (数据产品和服务, S-3.3.4-3): one row per
-- product version, its review parties and decisions, subject consents
-- (数据主体授权) and the metered, fingerprinted calls of the product API.
--
-- PostgreSQL flavour. sqlite/0014_products.sql must describe the same
-- tables, columns, constraints and indexes; only the column types differ.

CREATE TABLE products (
    id                TEXT NOT NULL,
    version           BIGINT NOT NULL CHECK (version >= 1),
    owner_org         TEXT NOT NULL REFERENCES organisations (id),
    -- The ProductDefinition as JSON text written by the app.
    definition        TEXT NOT NULL,
    -- Sector whose regulator reviews compliance.
    sector            TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN (
                          'draft', 'in_review', 'approved', 'listed', 'suspended', 'retired')),
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_at        TIMESTAMPTZ NOT NULL,
    -- Submission round (1 at the first submission, +1 per resubmission).
    review_round      BIGINT NOT NULL CHECK (review_round >= 0),
    submitted_at      TIMESTAMPTZ,
    -- The automatic checks of the last submission (JSON).
    checks            TEXT,
    -- 登记结果查询码, given when listed (REQUIREMENTS §6.5).
    registration_code TEXT UNIQUE,
    listed_at         TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL,
    revision          BIGINT NOT NULL CHECK (revision >= 1),
    PRIMARY KEY (id, version)
);

-- At most one version of a product is offered (listed or suspended).
CREATE UNIQUE INDEX products_offered_idx ON products (id)
    WHERE status IN ('listed', 'suspended');

-- Required parties of a version's review.
CREATE TABLE product_parties (
    product_id TEXT NOT NULL,
    version    BIGINT NOT NULL,
    party_org  TEXT NOT NULL REFERENCES organisations (id),
    -- approval (implementing agency) or compliance (regulator, data bureau)
    role       TEXT NOT NULL CHECK (role IN ('approval', 'compliance')),
    position   BIGINT NOT NULL CHECK (position >= 0),
    PRIMARY KEY (product_id, version, party_org),
    FOREIGN KEY (product_id, version) REFERENCES products (id, version)
);

-- One decision per party and submission round: a race fails on the key.
CREATE TABLE product_decisions (
    product_id TEXT NOT NULL,
    version    BIGINT NOT NULL,
    round      BIGINT NOT NULL CHECK (round >= 1),
    party_org  TEXT NOT NULL,
    decided_by TEXT NOT NULL REFERENCES users (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reason     TEXT,
    decided_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (product_id, version, round, party_org),
    FOREIGN KEY (product_id, version, party_org)
        REFERENCES product_parties (product_id, version, party_org),
    CHECK (verdict = 'approve' OR reason IS NOT NULL)
);

-- A subject's consent to a participant (数据主体授权): the subject is kept
-- as its keyed pseudonym only.
CREATE TABLE subject_consents (
    id                TEXT NOT NULL PRIMARY KEY,
    participant_org   TEXT NOT NULL REFERENCES organisations (id),
    subject_kind      TEXT NOT NULL CHECK (subject_kind IN ('credit_code', 'resident_id', 'account')),
    subject_pseudonym TEXT NOT NULL,
    -- Masked identifier for display (e.g. 9113****2C39).
    subject_masked    TEXT NOT NULL,
    scenario          TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    valid_from        DATE NOT NULL,
    valid_until       DATE NOT NULL,
    evidence_sha256   TEXT NOT NULL,
    evidence_note     TEXT NOT NULL,
    recorded_by       TEXT NOT NULL REFERENCES users (id),
    recorded_at       TIMESTAMPTZ NOT NULL,
    revoked_at        TIMESTAMPTZ,
    revoked_by        TEXT REFERENCES users (id),
    revocation_reason TEXT,
    CHECK (valid_from <= valid_until),
    CHECK (revoked_at IS NULL OR revocation_reason IS NOT NULL)
);

CREATE INDEX subject_consents_lookup_idx ON subject_consents (participant_org, subject_pseudonym);

-- Delivered calls: written with the audit record, before the answer.
CREATE TABLE product_calls (
    id              TEXT NOT NULL PRIMARY KEY,
    product_id      TEXT NOT NULL,
    product_version BIGINT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES product_subscriptions (id),
    participant_org TEXT NOT NULL REFERENCES organisations (id),
    api_key_id      TEXT NOT NULL,
    scenario        TEXT NOT NULL,
    consent_id      TEXT REFERENCES subject_consents (id),
    called_at       TIMESTAMPTZ NOT NULL,
    -- Day of the call in Asia/Shanghai, for quotas and statements.
    call_day        DATE NOT NULL,
    units           BIGINT NOT NULL CHECK (units >= 0),
    price_fen       BIGINT NOT NULL CHECK (price_fen >= 0),
    result_sha256   TEXT NOT NULL,
    fingerprint     TEXT NOT NULL UNIQUE,
    -- Client network (IPv4 /24, IPv6 /48) for re-licensing signals.
    client_net      TEXT,
    FOREIGN KEY (product_id, product_version) REFERENCES products (id, version)
);

CREATE INDEX product_calls_quota_idx ON product_calls (subscription_id, call_day);

-- Derived assets (S-5.4): models, algorithms and reports developed from
-- public data, with the owner's limited IP and their provenance; nobody
-- owns the raw data they came from.
CREATE TABLE derived_assets (
    id            TEXT NOT NULL PRIMARY KEY,
    owner_org     TEXT NOT NULL REFERENCES organisations (id),
    kind          TEXT NOT NULL CHECK (kind IN ('model', 'algorithm', 'report')),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    -- JSON arrays of the products and grants it came from.
    products      TEXT NOT NULL,
    grants        TEXT NOT NULL,
    registered_by TEXT NOT NULL REFERENCES users (id),
    registered_at TIMESTAMPTZ NOT NULL
);
