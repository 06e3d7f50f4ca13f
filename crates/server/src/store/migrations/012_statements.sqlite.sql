-- Statements: what each ended billing cycle came to, once per workspace and
-- cycle (the unique key), for the platform to charge. A workspace keeps the
-- cycle it has open, so the closer finds ended ones by index and a usage
-- record sees at no cost that its workspace's cycle has ended.
ALTER TABLE workspaces ADD COLUMN open_cycle_start TEXT;
ALTER TABLE workspaces ADD COLUMN open_cycle_end TEXT;
CREATE INDEX workspaces_by_open_cycle_end ON workspaces (open_cycle_end);

CREATE TABLE statements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    cycle_start      TEXT NOT NULL,
    cycle_end        TEXT NOT NULL,
    included_e4      INTEGER NOT NULL,
    prepaid_e4       INTEGER NOT NULL,
    flex_e4          INTEGER NOT NULL,
    flex_cost_cents  INTEGER NOT NULL,
    cap_cents        INTEGER,
    by_feature       TEXT NOT NULL,
    closed_at        TEXT NOT NULL,
    UNIQUE (workspace_id, cycle_start)
);
