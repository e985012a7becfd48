-- Differential-privacy budgets (SANDBOX-RULES R4.7): one global budget per
-- dataset and quarter, shared by all requesters, spent in millionths of ρ
-- (zCDP). A spend is one guarded UPDATE, so concurrent queries never
-- overspend. Released DP answers are kept per query key: an identical
-- query gets the same noisy answer back instead of fresh noise.
CREATE TABLE dp_budgets (
    dataset_id  TEXT NOT NULL,
    period      TEXT NOT NULL,
    spent_micro BIGINT NOT NULL DEFAULT 0 CHECK (spent_micro >= 0),
    PRIMARY KEY (dataset_id, period)
);

CREATE TABLE dp_answers (
    cache_key  TEXT NOT NULL PRIMARY KEY,
    result     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Training views (R5.4): sampled, de-identified extracts of one granted
-- table, stored in the vault under their id; visible to the owning
-- organisation only while it holds a live grant on the source dataset.
CREATE TABLE training_views (
    id             TEXT NOT NULL PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    source_dataset TEXT NOT NULL,
    source_table   TEXT NOT NULL,
    table_name     TEXT NOT NULL,
    fraction_ppm   BIGINT NOT NULL,
    rows_kept      BIGINT NOT NULL,
    persons_kept   BIGINT NOT NULL,
    columns        TEXT NOT NULL,
    created_by     TEXT NOT NULL REFERENCES users (id),
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, table_name)
);

-- The data authority's budget per dataset and quarter, where it differs
-- from the default (ρ = 1); every change is audited with its reason.
CREATE TABLE dp_budget_settings (
    dataset_id  TEXT NOT NULL PRIMARY KEY,
    total_micro BIGINT NOT NULL CHECK (total_micro > 0),
    reason      TEXT NOT NULL,
    set_by      TEXT NOT NULL REFERENCES users (id),
    set_at      TIMESTAMPTZ NOT NULL
);
