-- Government-guided pricing, billing, revenue sharing and the separate
-- account (专账) of the authorized operation (S-5.1, S-5.2, S-5.3, S-6.6).
-- Money is INTEGER fen; rates are exact decimal text written by the app.
-- The journal is append-only: triggers refuse UPDATE and DELETE, so a
-- correction can only be a reversal entry.
--
-- SQLite flavour. postgres/0015_finance.sql must describe the same
-- tables, columns, constraints and indexes; only the column types differ.

-- One regulatory year: the cost survey and the maximum allowed revenue
-- (最高准许收入) set by the pricing authority. One row per year: periods
-- cannot overlap.
CREATE TABLE pricing_periods (
    year                 INTEGER NOT NULL PRIMARY KEY,
    trial                INTEGER NOT NULL CHECK (trial IN (0, 1)),
    treasury_yield_pct   TEXT NOT NULL,
    yield_source         TEXT NOT NULL,
    markup_pct           TEXT NOT NULL,
    profit_base          TEXT NOT NULL CHECK (profit_base IN ('operating_cost', 'effective_assets')),
    -- The cost survey items and other inputs (JSON).
    inputs               TEXT NOT NULL,
    -- The worked computation (JSON MarBreakdown).
    breakdown            TEXT NOT NULL,
    prior_overage_fen    INTEGER NOT NULL CHECK (prior_overage_fen >= 0),
    mar_fen              INTEGER NOT NULL CHECK (mar_fen >= 0),
    set_by               TEXT NOT NULL REFERENCES users (id),
    set_org              TEXT NOT NULL REFERENCES organisations (id),
    set_at               TEXT NOT NULL
) STRICT;

-- Upper-limit fees (上限收费标准) per product and year; a revision adds a row.
CREATE TABLE price_caps (
    id              TEXT NOT NULL PRIMARY KEY,
    product_id      TEXT NOT NULL,
    year            INTEGER NOT NULL REFERENCES pricing_periods (year),
    cap_fen         INTEGER NOT NULL CHECK (cap_fen >= 0),
    forecast_units  INTEGER NOT NULL CHECK (forecast_units >= 0),
    -- The written report to the pricing authority and the data bureau.
    report_note     TEXT NOT NULL,
    set_by          TEXT NOT NULL REFERENCES users (id),
    set_at          TEXT NOT NULL
) STRICT;
CREATE INDEX price_caps_product_idx ON price_caps (product_id, year, set_at);

-- The operator's actual prices (具体收费标准), from a month's first day on.
CREATE TABLE product_prices (
    id              TEXT NOT NULL PRIMARY KEY,
    product_id      TEXT NOT NULL,
    effective_from  TEXT NOT NULL,
    -- JSON tiers [{from_units, unit_price}].
    schedule        TEXT NOT NULL,
    -- operator: set by the operator; lowered_to_cap: lowered by a new cap.
    origin          TEXT NOT NULL CHECK (origin IN ('operator', 'lowered_to_cap')),
    set_by          TEXT NOT NULL REFERENCES users (id),
    set_at          TEXT NOT NULL
) STRICT;
CREATE INDEX product_prices_product_idx ON product_prices (product_id, effective_from, set_at);

-- Revenue shares (收益分配) per product and/or scenario; both NULL is the
-- default rule.
CREATE TABLE share_rules (
    id              TEXT NOT NULL PRIMARY KEY,
    product_id      TEXT,
    scenario        TEXT,
    effective_from  TEXT NOT NULL,
    government_pct  TEXT NOT NULL,
    operator_pct    TEXT NOT NULL,
    market_pct      TEXT NOT NULL,
    set_by          TEXT NOT NULL REFERENCES users (id),
    set_at          TEXT NOT NULL
) STRICT;

-- Sector regulators' costs, paid from the government's share (S-5.2).
CREATE TABLE regulator_costs (
    id              TEXT NOT NULL PRIMARY KEY,
    month           TEXT NOT NULL,
    regulator_org   TEXT NOT NULL REFERENCES organisations (id),
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    memo            TEXT NOT NULL,
    recorded_by     TEXT NOT NULL REFERENCES users (id),
    recorded_at     TEXT NOT NULL
) STRICT;

-- The journal of the separate account: entries and their lines.
CREATE TABLE journal_entries (
    id              TEXT NOT NULL PRIMARY KEY,
    -- Posting order, gap-free per database.
    position        INTEGER NOT NULL UNIQUE CHECK (position >= 1),
    entry_date      TEXT NOT NULL,
    month           TEXT NOT NULL,
    memo            TEXT NOT NULL,
    -- What produced it: statement, credit_note, cost, reversal, share.
    source_kind     TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    -- The entry this one reverses; an entry is reversed at most once.
    reverses        TEXT UNIQUE REFERENCES journal_entries (id),
    total_fen       INTEGER NOT NULL CHECK (total_fen > 0),
    posted_by       TEXT NOT NULL REFERENCES users (id),
    posted_at       TEXT NOT NULL
) STRICT;
CREATE INDEX journal_entries_month_idx ON journal_entries (month, position);

CREATE TABLE journal_lines (
    entry_id        TEXT NOT NULL REFERENCES journal_entries (id),
    line_no         INTEGER NOT NULL CHECK (line_no >= 0),
    account         TEXT NOT NULL,
    debit_fen       INTEGER NOT NULL,
    credit_fen      INTEGER NOT NULL,
    PRIMARY KEY (entry_id, line_no),
    CHECK ((debit_fen > 0 AND credit_fen = 0) OR (credit_fen > 0 AND debit_fen = 0))
) STRICT;

-- Closed periods refuse new entries.
CREATE TABLE closed_months (
    month           TEXT NOT NULL PRIMARY KEY,
    closed_by       TEXT NOT NULL REFERENCES users (id),
    closed_at       TEXT NOT NULL
) STRICT;

-- Monthly statements (月度账单) per participant; one per month.
CREATE TABLE statements (
    id              TEXT NOT NULL PRIMARY KEY,
    participant_org TEXT NOT NULL REFERENCES organisations (id),
    month           TEXT NOT NULL,
    -- JSON lines: product, category, units, amount, shares.
    lines           TEXT NOT NULL,
    total_fen       INTEGER NOT NULL CHECK (total_fen >= 0),
    journal_entry   TEXT REFERENCES journal_entries (id),
    issued_by       TEXT NOT NULL REFERENCES users (id),
    issued_at       TEXT NOT NULL,
    UNIQUE (participant_org, month)
) STRICT;

-- Corrections (红字发票/贷项通知): never an edit of the statement.
CREATE TABLE credit_notes (
    id              TEXT NOT NULL PRIMARY KEY,
    statement_id    TEXT NOT NULL REFERENCES statements (id),
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    reason          TEXT NOT NULL,
    month           TEXT NOT NULL,
    journal_entry   TEXT NOT NULL REFERENCES journal_entries (id),
    issued_by       TEXT NOT NULL REFERENCES users (id),
    issued_at       TEXT NOT NULL
) STRICT;

-- Generated reports and disclosures (JSON content with its digest).
CREATE TABLE finance_reports (
    id              TEXT NOT NULL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN (
                        'annual_operation_report', 'agency_report',
                        'agency_disclosure', 'operator_disclosure')),
    year            INTEGER NOT NULL,
    content         TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    generated_by    TEXT NOT NULL REFERENCES users (id),
    generated_org   TEXT NOT NULL REFERENCES organisations (id),
    generated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX finance_reports_kind_idx ON finance_reports (kind, year, generated_at);

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: book a reversal instead'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: book a reversal instead'); END;
CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: book a reversal instead'); END;
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: book a reversal instead'); END;
