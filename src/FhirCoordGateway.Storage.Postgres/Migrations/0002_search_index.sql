-- The search index: one table per parameter type, rows only for current, non-deleted versions, every lookup
-- index ending in res_id (ids first, bodies last). Parameter ids (sp_id) and token keys are 32/64-bit XxHash3
-- values computed by the gateway (SearchKeys.cs). See docs/adr/0004-search-index.md.

DROP TABLE search_token;

-- Default order and keyset paging of a type; _lastUpdated search and sort.
CREATE INDEX resource_type_res_id ON resource (res_type, res_id) WHERE NOT deleted;
CREATE INDEX resource_type_last_updated ON resource (res_type, last_updated, res_id) WHERE NOT deleted;

-- Token: h_sv = hash(sp_id, system, code) (system '' when the element has none), h_v = hash(sp_id, code),
-- h_s = hash(sp_id, system) when there is a system.
CREATE TABLE sp_token (
    res_id bigint NOT NULL,
    sp_id  integer NOT NULL,
    h_sv   bigint NOT NULL,
    h_v    bigint NOT NULL,
    h_s    bigint
);
CREATE INDEX sp_token_sv ON sp_token (h_sv, res_id);
CREATE INDEX sp_token_v ON sp_token (h_v, res_id);
CREATE INDEX sp_token_s ON sp_token (h_s, res_id) WHERE h_s IS NOT NULL;
CREATE INDEX sp_token_res ON sp_token (res_id, sp_id);

-- String: norm is the folded value (StringFold), LIKE 'X%' is a btree range under "C"; h_exact = hash(sp_id, value as written).
CREATE TABLE sp_string (
    res_id  bigint NOT NULL,
    sp_id   integer NOT NULL,
    norm    text COLLATE "C" NOT NULL,
    h_exact bigint NOT NULL
);
CREATE INDEX sp_string_norm ON sp_string (sp_id, norm, res_id);
CREATE INDEX sp_string_exact ON sp_string (h_exact, res_id);
CREATE INDEX sp_string_res ON sp_string (res_id, sp_id);

-- Date: closed range [lo, hi] at the value's precision; open ends are -infinity/infinity.
CREATE TABLE sp_date (
    res_id    bigint NOT NULL,
    sp_id     integer NOT NULL,
    lo        timestamptz NOT NULL,
    hi        timestamptz NOT NULL,
    long_span boolean NOT NULL
);
CREATE INDEX sp_date_lo ON sp_date (sp_id, lo, res_id);
CREATE INDEX sp_date_hi ON sp_date (sp_id, hi, res_id);
CREATE INDEX sp_date_res ON sp_date (res_id, sp_id);

CREATE TABLE sp_number (
    res_id bigint NOT NULL,
    sp_id  integer NOT NULL,
    lo     numeric NOT NULL,
    hi     numeric NOT NULL
);
CREATE INDEX sp_number_lo ON sp_number (sp_id, lo, res_id);
CREATE INDEX sp_number_res ON sp_number (res_id, sp_id);

-- Quantity: h_sc = hash(system|code), h_c = hash(code), h_u = hash(unit) (all with sp_id); lo/hi null when unbounded.
CREATE TABLE sp_quantity (
    res_id bigint NOT NULL,
    sp_id  integer NOT NULL,
    lo     numeric,
    hi     numeric,
    h_sc   bigint,
    h_c    bigint,
    h_u    bigint
);
CREATE INDEX sp_quantity_lo ON sp_quantity (sp_id, lo, res_id);
CREATE INDEX sp_quantity_res ON sp_quantity (res_id, sp_id);

CREATE TABLE sp_uri (
    res_id bigint NOT NULL,
    sp_id  integer NOT NULL,
    uri    text COLLATE "C" NOT NULL
);
CREATE INDEX sp_uri_uri ON sp_uri (sp_id, uri, res_id);
CREATE INDEX sp_uri_res ON sp_uri (res_id, sp_id);

-- Reference: relative ones by type and id, resolved to the target's res_id at write time (or when the target is
-- created later); absolute and canonical ones by url.
CREATE TABLE sp_reference (
    res_id        bigint NOT NULL,
    sp_id         integer NOT NULL,
    target_type   text COLLATE "C",
    target_id     text COLLATE "C",
    target_res_id bigint,
    url           text COLLATE "C"
);
CREATE INDEX sp_reference_target ON sp_reference (target_res_id, sp_id, res_id);
CREATE INDEX sp_reference_type_id ON sp_reference (target_id, target_type, sp_id, res_id);
CREATE INDEX sp_reference_url ON sp_reference (url, sp_id, res_id) WHERE url IS NOT NULL;
CREATE INDEX sp_reference_unresolved ON sp_reference (target_type, target_id) WHERE target_res_id IS NULL AND target_id IS NOT NULL;
CREATE INDEX sp_reference_res ON sp_reference (res_id, sp_id);

-- Composite: k1sv/k1v = first component token (as h_sv/h_v), then the second component's token, number or date range.
CREATE TABLE sp_composite (
    res_id bigint NOT NULL,
    sp_id  integer NOT NULL,
    k1sv   bigint NOT NULL,
    k1v    bigint NOT NULL,
    k2sv   bigint,
    k2v    bigint,
    lo     numeric,
    hi     numeric,
    dlo    timestamptz,
    dhi    timestamptz
);
CREATE INDEX sp_composite_sv ON sp_composite (k1sv, res_id);
CREATE INDEX sp_composite_v ON sp_composite (k1v, res_id);
CREATE INDEX sp_composite_res ON sp_composite (res_id, sp_id);

-- Reindex jobs ($reindex): progress per job, processed in res_id batches.
CREATE TABLE reindex_job (
    job_id       uuid PRIMARY KEY,
    status       text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    resource_type text COLLATE "C",
    last_res_id  bigint NOT NULL DEFAULT 0,
    max_res_id   bigint NOT NULL,
    processed    bigint NOT NULL DEFAULT 0,
    total        bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    error        text
);
