-- Authorization agreements (授权运营协议, S-3.3.3): the current revision of
-- each agreement, the opinions collected for each revision, and the
-- superseded revisions (version history of S-2.4 changes).
--
-- SQLite flavour. postgres/0002_agreements.sql must describe the same tables,
-- columns, constraints and indexes; only the column types differ:
--   timestamps  TEXT (RFC 3339, UTC)      dates  TEXT (YYYY-MM-DD)
--   integers    INTEGER (64-bit)
-- Dates are Asia/Shanghai calendar dates; ISO text compares like the date.

CREATE TABLE agreements (
    id              TEXT NOT NULL PRIMARY KEY,
    -- The one operator the agreement authorizes (整体授权, S-2.1).
    operator_org_id TEXT NOT NULL REFERENCES organisations (id),
    -- The implementing agency that concludes it (responsible for filing).
    agency_org_id   TEXT NOT NULL REFERENCES organisations (id),
    status          TEXT NOT NULL CHECK (status IN (
                        'draft', 'opinions_collected', 'decided', 'signed',
                        'filed', 'expired', 'terminated')),
    -- Revision of the clauses: 1, then +1 per change after drafting.
    revision        INTEGER NOT NULL CHECK (revision >= 1),
    -- The 13 clauses (S-3.3.3c) as JSON, in gongshu-domain's input form.
    clauses         TEXT NOT NULL,
    term_start      TEXT NOT NULL,
    term_end        TEXT NOT NULL CHECK (term_end >= term_start),
    -- 三重一大 collective decision of this revision.
    decided_on      TEXT,
    decision_ref    TEXT,
    decided_by      TEXT REFERENCES users (id),
    signed_on       TEXT,
    -- signed_on + 10 working days (S-3.3.3b); NULL while the calendar of
    -- that year is not published.
    filing_due_on   TEXT,
    filed_on        TEXT,
    -- Receipt number of the city data bureau.
    filing_receipt  TEXT,
    -- The agreement this one renews (S-2.2b).
    renewal_of      TEXT REFERENCES agreements (id),
    created_by      TEXT NOT NULL REFERENCES users (id),
    -- Author of the current revision's clauses; may not decide it.
    drafted_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

CREATE INDEX agreements_status_idx ON agreements (status);
CREATE INDEX agreements_renewal_of_idx ON agreements (renewal_of);

-- Opinions of sector regulators and supervisors (S-3.3.3a), per revision.
CREATE TABLE agreement_opinions (
    id           TEXT NOT NULL PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    revision     INTEGER NOT NULL CHECK (revision >= 1),
    from_org_id  TEXT NOT NULL REFERENCES organisations (id),
    received_on  TEXT NOT NULL,
    opinion      TEXT NOT NULL,
    recorded_by  TEXT NOT NULL REFERENCES users (id),
    recorded_at  TEXT NOT NULL
) STRICT;

CREATE INDEX agreement_opinions_agreement_idx ON agreement_opinions (agreement_id, revision);

-- Superseded revisions, as they stood when a change replaced them (S-2.4).
CREATE TABLE agreement_revisions (
    agreement_id   TEXT NOT NULL REFERENCES agreements (id),
    revision       INTEGER NOT NULL CHECK (revision >= 1),
    status         TEXT NOT NULL,
    clauses        TEXT NOT NULL,
    decided_on     TEXT,
    decision_ref   TEXT,
    signed_on      TEXT,
    filed_on       TEXT,
    filing_receipt TEXT,
    superseded_by  TEXT NOT NULL REFERENCES users (id),
    superseded_at  TEXT NOT NULL,
    PRIMARY KEY (agreement_id, revision)
) STRICT;
