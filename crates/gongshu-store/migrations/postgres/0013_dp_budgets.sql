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
