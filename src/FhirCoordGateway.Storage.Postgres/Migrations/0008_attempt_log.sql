-- The last attempt started at each piece of outbound work (docs/adr/0008): a delivery job records it, committed, before
-- it contacts the peer, and writes the delivery Task once, with the outcome. A later attempt that finds a start made from
-- the Task's current version knows the earlier one died without recording its outcome, and asks the peer first.
CREATE TABLE attempt_log (
    work_key      text COLLATE "C" PRIMARY KEY,
    from_version  integer NOT NULL,
    attempt       integer NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now()
);
