-- Amounts are integers: money in cents, credits in ten-thousandths (e4),
-- so SQLite's SUM stays exact and no amount ever passes through a float.
CREATE TABLE workspaces (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    plan_name        TEXT NOT NULL,
    plan_interval    TEXT NOT NULL CHECK (plan_interval IN ('month', 'year')),
    plan_anchor      TEXT NOT NULL,             -- first day of the first billing cycle
    included_e4      INTEGER NOT NULL CHECK (included_e4 >= 0),
    flex_rate_cents  INTEGER NOT NULL CHECK (flex_rate_cents > 0),
    prepaid_rate_cents INTEGER NOT NULL CHECK (prepaid_rate_cents > 0),
    prepaid_e4       INTEGER NOT NULL DEFAULT 0 CHECK (prepaid_e4 >= 0),
    flex_enabled     INTEGER NOT NULL DEFAULT 0 CHECK (flex_enabled IN (0, 1)),
    flex_cap_cents   INTEGER CHECK (flex_cap_cents IS NULL OR flex_cap_cents >= 100),
    flex_version     INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);

CREATE TABLE memberships (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE sessions (
    token      TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE usage_events (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    idempotency_key  TEXT NOT NULL,
    cycle_start      TEXT NOT NULL,
    credits_e4       INTEGER NOT NULL,
    included_e4      INTEGER NOT NULL,
    prepaid_e4       INTEGER NOT NULL,
    flex_e4          INTEGER NOT NULL,
    flex_cost_cents  INTEGER NOT NULL,
    recorded_at      TEXT NOT NULL,
    UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX usage_events_by_cycle ON usage_events (workspace_id, cycle_start);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id),
    user_id      INTEGER REFERENCES users(id),
    action       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    at           TEXT NOT NULL
);
