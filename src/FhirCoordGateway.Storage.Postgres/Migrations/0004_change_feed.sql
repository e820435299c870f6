-- The change log read as an outbox (docs/adr/0007-change-feed-outbox.md). Each entry records the id of the
-- transaction that wrote it; a consumer reads entries in (tx, seq) order, and only those whose transaction
-- id is below the oldest transaction still running, so no entry can appear later behind its position.
ALTER TABLE change_log ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX change_log_tx_seq ON change_log (tx, seq);

-- Each consumer's saved position.
CREATE TABLE change_feed_position (
    consumer  text COLLATE "C" PRIMARY KEY,
    tx        xid8 NOT NULL,
    seq       bigint NOT NULL,
    saved_at  timestamptz NOT NULL DEFAULT now()
);
