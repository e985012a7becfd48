-- Sandbox queries run as jobs (long queries): accepted jobs are rows here
-- before they run, so none is lost: a job still `running` when the
-- process starts was cut off by a crash or restart and becomes
-- `interrupted`. Results are released (disclosure-controlled) rows only.
CREATE TABLE sandbox_jobs (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    sql_text    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    result      TEXT,
    error_code  TEXT,
    error       TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
) STRICT;

CREATE INDEX sandbox_jobs_user_idx ON sandbox_jobs (user_id, created_at);
