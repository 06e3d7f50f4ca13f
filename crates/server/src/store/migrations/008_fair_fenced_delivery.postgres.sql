-- Deliveries are taken under a lease token (a fencing token): an attempt is
-- recorded only by the server that holds the lease, so two servers never both
-- record (or both retry) one alert. A workspace's due deliveries are found by
-- workspace, so the worker can take one per workspace, fairly.
ALTER TABLE outbox ADD COLUMN lease_token TEXT;
CREATE INDEX outbox_due_by_workspace ON outbox (workspace_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_finished ON outbox (created_at) WHERE next_attempt_at IS NULL;
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- Threshold alerts are raised once per cap and cycle: a new cap re-arms them.
CREATE TABLE alerts_raised_per_cap (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id),
    cycle_start  DATE NOT NULL,
    event_type   TEXT NOT NULL,
    cap_cents    BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, cycle_start, event_type, cap_cents)
);
INSERT INTO alerts_raised_per_cap (workspace_id, cycle_start, event_type, cap_cents)
    SELECT a.workspace_id, a.cycle_start, a.event_type, COALESCE(w.flex_cap_cents, 0)
      FROM alerts_raised a JOIN workspaces w ON w.id = a.workspace_id;
DROP TABLE alerts_raised;
ALTER TABLE alerts_raised_per_cap RENAME TO alerts_raised;

-- One row that `GET /readyz` writes: ready means the store takes a write.
CREATE TABLE readiness (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
);
INSERT INTO readiness (id, checked_at) VALUES (1, '');
