-- wirefeed store, PostgreSQL. Same logical schema as the SQLite one. docs are the contract's JSON as text, not
-- jsonb: jsonb refuses the \u0000 escape, and a story must never be refused for a character (cast doc::jsonb to query).

-- Current version of each uri: the newest version that is not a kill notice.
CREATE TABLE stories (
    id              bigserial   PRIMARY KEY,
    uri             text        NOT NULL UNIQUE,
    version         integer     NOT NULL,
    content_is_kill boolean     NOT NULL DEFAULT false,
    kill_version    integer,    -- highest kill received; withdrawn while kill_version >= version
    withdrawn_at    timestamptz,
    agency          text        NOT NULL,
    headline        text        NOT NULL,
    body_text       text        NOT NULL,
    language        text,
    urgency         integer,
    focus_country   text,
    verdict         text        NOT NULL,
    cluster_id      text        NOT NULL,
    versioncreated  timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    doc             text        NOT NULL,
    search          tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, headline), 'A')
        || setweight(to_tsvector('simple'::regconfig, body_text), 'B')
    ) STORED
);
CREATE INDEX stories_time ON stories (versioncreated, uri);
CREATE INDEX stories_agency ON stories (agency, versioncreated);
CREATE INDEX stories_focus ON stories (focus_country);
CREATE INDEX stories_cluster ON stories (cluster_id);
CREATE INDEX stories_search ON stories USING gin (search);

-- Every version received.
CREATE TABLE story_versions (
    uri            text        NOT NULL,
    version        integer     NOT NULL,
    is_kill        boolean     NOT NULL,
    verdict        text        NOT NULL,
    cluster_id     text        NOT NULL,
    submission_id  text        NOT NULL,
    content_hash   text        NOT NULL,
    versioncreated timestamptz NOT NULL,
    stored_at      timestamptz NOT NULL,
    doc            text        NOT NULL,
    PRIMARY KEY (uri, version)
);

-- Tags of the current version.
CREATE TABLE story_countries (
    story_id bigint  NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    code     text    NOT NULL,
    is_focus boolean NOT NULL,
    mentions integer NOT NULL,
    score    real    NOT NULL,
    PRIMARY KEY (story_id, code)
);
CREATE INDEX story_countries_code ON story_countries (code, story_id);

CREATE TABLE story_blocs (
    story_id bigint  NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    code     text    NOT NULL,
    explicit boolean NOT NULL,
    PRIMARY KEY (story_id, code)
);
CREATE INDEX story_blocs_code ON story_blocs (code, story_id);

-- Copies dedupe kept out of wire.enriched.
CREATE TABLE duplicates (
    uri           text        NOT NULL,
    version       integer     NOT NULL,
    submission_id text        NOT NULL,
    agency        text        NOT NULL,
    headline      text        NOT NULL,
    verdict       text        NOT NULL,
    duplicate_of  text,
    cluster_id    text        NOT NULL,
    similarity    double precision,
    detected_at   timestamptz NOT NULL,
    doc           text        NOT NULL,
    PRIMARY KEY (uri, version, submission_id)
);
CREATE INDEX duplicates_cluster ON duplicates (cluster_id);

-- Queryable copy of the DLQ. rejection_key: submission_id, or a digest of the original bytes when there is none.
CREATE TABLE rejections (
    rejection_key text        NOT NULL,
    stage         text        NOT NULL,
    reason        text        NOT NULL,
    submission_id text,
    agency        text,
    rejected_at   timestamptz NOT NULL,
    doc           text        NOT NULL,
    PRIMARY KEY (rejection_key, stage, reason)
);
CREATE INDEX rejections_time ON rejections (rejected_at);

-- Agency API keys for the ingest gateway (hashes only).
CREATE TABLE agency_keys (
    key_id     text        NOT NULL PRIMARY KEY,
    agency     text        NOT NULL,
    key_hash   text        NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX agency_keys_agency ON agency_keys (agency);
