-- 出域审核 (egress review, SANDBOX-RULES.md R5): release requests, their
-- files by revision, and reviewers' decisions. A change of files is a new
-- revision; decisions name the revision they approve, so approvals of an
-- earlier revision never count.
CREATE TABLE release_requests (
    id             TEXT NOT NULL PRIMARY KEY,
    requester_org  TEXT NOT NULL REFERENCES organisations (id),
    requested_by   TEXT NOT NULL REFERENCES users (id),
    title          TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    -- The SQL that produced the files and the disclosure-control report.
    sql_text       TEXT NOT NULL,
    report         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'withdrawn')),
    revision       INTEGER NOT NULL CHECK (revision >= 1),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    closed_at      TEXT,
    version        INTEGER NOT NULL
) STRICT;

CREATE INDEX release_requests_org_idx ON release_requests (requester_org);

CREATE TABLE release_files (
    request_id TEXT NOT NULL REFERENCES release_requests (id),
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL CHECK (media_type IN ('text/csv', 'application/json')),
    content    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    PRIMARY KEY (request_id, revision, name)
) STRICT;

CREATE TABLE release_decisions (
    request_id  TEXT NOT NULL REFERENCES release_requests (id),
    reviewer    TEXT NOT NULL REFERENCES users (id),
    reviewer_org TEXT NOT NULL REFERENCES organisations (id),
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    verdict     TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reason      TEXT,
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (request_id, reviewer, revision)
) STRICT;
