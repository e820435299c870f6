-- The custom search parameters (profiles/) the index was last built with, by Type.code and a fingerprint of their
-- type and expression: at start-up a new or changed one is reported with the $reindex to run (ADR 0004).
CREATE TABLE search_param_state (
    param_key   text COLLATE "C" PRIMARY KEY,
    fingerprint text NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now()
);
