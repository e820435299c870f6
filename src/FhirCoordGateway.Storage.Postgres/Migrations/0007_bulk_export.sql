-- Bulk Data $export (issue 8, docs/adr/0015): each export's request and state, and its ndjson output files.
-- Deleting an export (DELETE on its status URL) deletes its files with it.

CREATE TABLE export_job (
    job_id           uuid PRIMARY KEY,
    status           text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    owner            text,                          -- the kick-off token's client (NULL when security is off)
    request          jsonb NOT NULL,                -- level, group, types, _since, kick-off URL, the requester's access
    transaction_time timestamptz NOT NULL,          -- output holds no version written after it
    progress         text,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE export_file (
    job_id        uuid NOT NULL REFERENCES export_job (job_id) ON DELETE CASCADE,
    file_no       integer NOT NULL,
    resource_type text COLLATE "C" NOT NULL,        -- OperationOutcome for error files
    is_error      boolean NOT NULL,
    line_count    integer NOT NULL,
    body          text NOT NULL,                    -- ndjson, one resource per line
    PRIMARY KEY (job_id, file_no)
);
