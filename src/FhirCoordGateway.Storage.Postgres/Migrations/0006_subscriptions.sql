-- Subscriptions (issue 7, docs/adr/0014): the state of each Subscription as the server sees it, its numbered
-- events and every delivery attempt. The Subscription resource itself lives in "resource" like any other.

CREATE TABLE subscription (
    id                 text COLLATE "C" PRIMARY KEY,
    resource_version   integer NOT NULL,
    status             text NOT NULL,                 -- requested | active | error | off | deleted
    body               text,                          -- the Subscription version read (NULL once deleted)
    events_since_start bigint NOT NULL DEFAULT 0,     -- last event number given
    delivered_through  bigint NOT NULL DEFAULT 0,     -- last event number the subscriber acknowledged
    failures           integer NOT NULL DEFAULT 0,    -- failed attempts in a row
    wake_pending       boolean NOT NULL DEFAULT false,-- a delivery job is queued or scheduled
    last_sent_at       timestamptz,
    retry_at           timestamptz,
    last_error         text
);

-- One row per (subscription, change): the unique key makes a replayed change a no-op.
CREATE TABLE subscription_event (
    subscription_id text COLLATE "C" NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
    event_number    bigint NOT NULL,
    change_txn      numeric(20, 0) NOT NULL,
    change_seq      bigint NOT NULL,
    focus_type      text COLLATE "C" NOT NULL,
    focus_id        text COLLATE "C" NOT NULL,
    focus_version   integer NOT NULL,
    operation       text NOT NULL,
    occurred_at     timestamptz NOT NULL,                      -- the change's commit time (notification-event.timestamp)
    appended_at     timestamptz NOT NULL DEFAULT clock_timestamp(),-- when the consumer numbered it (lag diagnostics)
    PRIMARY KEY (subscription_id, event_number),
    CONSTRAINT subscription_event_change UNIQUE (subscription_id, change_txn, change_seq)
);

CREATE TABLE subscription_attempt (
    attempt_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id text COLLATE "C" NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
    kind            text NOT NULL,                    -- handshake | heartbeat | event-notification
    first_event     bigint,
    last_event      bigint,
    attempted_at    timestamptz NOT NULL,
    http_status     integer,
    error           text,
    succeeded       boolean NOT NULL,
    elapsed_ms      integer NOT NULL
);
CREATE INDEX subscription_attempt_by_subscription ON subscription_attempt (subscription_id, attempt_id DESC);
