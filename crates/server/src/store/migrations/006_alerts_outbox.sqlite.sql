-- Alerts that reach people. A workspace's webhook endpoint and its signing
-- secret; the outbox of alerts to deliver, written in the same transaction as
-- the usage record or change that raised them; every delivery attempt; and
-- which threshold alerts a cycle has raised (each once per cycle).
CREATE TABLE webhooks (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    event_id        TEXT NOT NULL UNIQUE,      -- webhook-id: the same for every attempt
    channel         TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    event_type      TEXT NOT NULL,
    target          TEXT NOT NULL,              -- the webhook URL or the email address
    payload         TEXT NOT NULL,              -- the JSON body, as sent
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT,                       -- NULL once delivered or given up
    delivered_at    TEXT,
    gave_up_at      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_by_workspace ON outbox (workspace_id, id);

CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox(id),
    at          TEXT NOT NULL,
    status_code INTEGER,
    error       TEXT
);
CREATE INDEX delivery_attempts_by_outbox ON delivery_attempts (outbox_id, id);

CREATE TABLE alerts_raised (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    cycle_start  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, cycle_start, event_type)
) WITHOUT ROWID;
