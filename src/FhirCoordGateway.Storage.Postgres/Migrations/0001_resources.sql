-- Generic resource storage: one table for the current version of every resource of every type,
-- one for superseded versions, the change log, and the first search index table (tokens).
-- See docs/adr/0002-storage-schema.md.

CREATE TABLE resource (
    res_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    res_type     text COLLATE "C" NOT NULL,
    fhir_id      text COLLATE "C" NOT NULL,
    version      integer NOT NULL,
    last_updated timestamptz NOT NULL,
    deleted      boolean NOT NULL,
    body         text COMPRESSION lz4,          -- FHIR JSON as served; NULL for a deletion tombstone
    CONSTRAINT resource_type_id UNIQUE (res_type, fhir_id)
);

-- Every version that is no longer current (the current one stays in "resource").
CREATE TABLE resource_history (
    res_id       bigint NOT NULL,
    version      integer NOT NULL,
    last_updated timestamptz NOT NULL,
    deleted      boolean NOT NULL,
    body         text COMPRESSION lz4,
    PRIMARY KEY (res_id, version)
);

-- One row per write, in the same transaction as the write: drives history, and later subscriptions
-- and document routing (outbox).
CREATE TABLE change_log (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    res_id       bigint NOT NULL,
    res_type     text COLLATE "C" NOT NULL,
    fhir_id      text COLLATE "C" NOT NULL,
    version      integer NOT NULL,
    operation    text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    changed_at   timestamptz NOT NULL
);
CREATE INDEX change_log_type_seq ON change_log (res_type, seq);
CREATE INDEX change_log_resource_seq ON change_log (res_id, seq);
CREATE INDEX change_log_changed_at ON change_log (changed_at);

-- Token search values of current, non-deleted versions.
CREATE TABLE search_token (
    res_id  bigint NOT NULL,
    param   text COLLATE "C" NOT NULL,
    system  text COLLATE "C",
    code    text COLLATE "C" NOT NULL
);
CREATE INDEX search_token_value ON search_token (param, code, system, res_id);
CREATE INDEX search_token_resource ON search_token (res_id);
