-- Versions of a catalog resource's dataset in the vault (S-6.4). A row
-- here is what makes a vault version visible: the vault writes the
-- encrypted file first, then this row commits with the load's audit
-- record, so a crash between the two leaves an invisible orphan, never a
-- half-loaded version. Quality holds counts and scores only, no values.
CREATE TABLE dataset_versions (
    resource_id   TEXT NOT NULL REFERENCES catalog_resources (id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    mode          TEXT NOT NULL CHECK (mode IN ('replace', 'append')),
    base_version  INTEGER NOT NULL CHECK (base_version >= 1),
    rows_loaded   INTEGER NOT NULL CHECK (rows_loaded >= 0),
    rows_rejected INTEGER NOT NULL CHECK (rows_rejected >= 0),
    bytes         INTEGER NOT NULL CHECK (bytes >= 0),
    sha256        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    encoding      TEXT NOT NULL,
    quality       TEXT NOT NULL,
    alerts        INTEGER NOT NULL CHECK (alerts >= 0),
    loaded_by     TEXT NOT NULL REFERENCES users (id),
    loaded_at     TEXT NOT NULL,
    PRIMARY KEY (resource_id, version)
) STRICT;
