-- wirefeed store, SQLite. Times are fixed-width UTC text ('2017-11-28T09:00:00.000000Z') so they sort as instants.
-- docs are the orjson encoding of the contract (EnrichedStory, DuplicateRecord, Rejection).

-- Current version of each uri: the newest version that is not a kill notice.
CREATE TABLE stories (
    id             INTEGER PRIMARY KEY,
    uri            TEXT    NOT NULL UNIQUE,
    version        INTEGER NOT NULL,
    content_is_kill INTEGER NOT NULL DEFAULT 0,
    kill_version   INTEGER,             -- highest kill received; withdrawn while kill_version >= version
    withdrawn_at   TEXT,
    agency         TEXT    NOT NULL,
    headline       TEXT    NOT NULL,
    language       TEXT,
    urgency        INTEGER,
    focus_country  TEXT,
    verdict        TEXT    NOT NULL,
    cluster_id     TEXT    NOT NULL,
    versioncreated TEXT    NOT NULL,
    received_at    TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    doc            BLOB    NOT NULL
);
CREATE INDEX stories_time ON stories (versioncreated, uri);
CREATE INDEX stories_agency ON stories (agency, versioncreated);
CREATE INDEX stories_focus ON stories (focus_country);
CREATE INDEX stories_cluster ON stories (cluster_id);

-- Every version received.
CREATE TABLE story_versions (
    uri            TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    is_kill        INTEGER NOT NULL,
    verdict        TEXT    NOT NULL,
    cluster_id     TEXT    NOT NULL,
    submission_id  TEXT    NOT NULL,
    content_hash   TEXT    NOT NULL,
    versioncreated TEXT    NOT NULL,
    stored_at      TEXT    NOT NULL,
    doc            BLOB    NOT NULL,
    PRIMARY KEY (uri, version)
) WITHOUT ROWID;

-- Tags of the current version.
CREATE TABLE story_countries (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    code     TEXT    NOT NULL,
    is_focus INTEGER NOT NULL,
    mentions INTEGER NOT NULL,
    score    REAL    NOT NULL,
    PRIMARY KEY (story_id, code)
) WITHOUT ROWID;
CREATE INDEX story_countries_code ON story_countries (code, story_id);

CREATE TABLE story_blocs (
    story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    code     TEXT    NOT NULL,
    explicit INTEGER NOT NULL,
    PRIMARY KEY (story_id, code)
) WITHOUT ROWID;
CREATE INDEX story_blocs_code ON story_blocs (code, story_id);

-- Full-text index of the current version; rowid = stories.id.
CREATE VIRTUAL TABLE stories_fts USING fts5 (headline, body, tokenize = 'unicode61');

-- Copies dedupe kept out of wire.enriched.
CREATE TABLE duplicates (
    uri           TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    submission_id TEXT    NOT NULL,
    agency        TEXT    NOT NULL,
    headline      TEXT    NOT NULL,
    verdict       TEXT    NOT NULL,
    duplicate_of  TEXT,
    cluster_id    TEXT    NOT NULL,
    similarity    REAL,
    detected_at   TEXT    NOT NULL,
    doc           BLOB    NOT NULL,
    PRIMARY KEY (uri, version, submission_id)
) WITHOUT ROWID;
CREATE INDEX duplicates_cluster ON duplicates (cluster_id);

-- Queryable copy of the DLQ. rejection_key: submission_id, or a digest of the original bytes when there is none.
CREATE TABLE rejections (
    rejection_key    TEXT    NOT NULL,
    stage            TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    submission_id    TEXT,
    agency           TEXT,
    rejected_at      TEXT    NOT NULL,
    doc              BLOB    NOT NULL,
    PRIMARY KEY (rejection_key, stage, reason)
) WITHOUT ROWID;
CREATE INDEX rejections_time ON rejections (rejected_at);

-- Agency API keys for the ingest gateway (hashes only).
CREATE TABLE agency_keys (
    key_id     TEXT NOT NULL PRIMARY KEY,
    agency     TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX agency_keys_agency ON agency_keys (agency);
