-- Statements: what each ended billing cycle came to, once per workspace and
-- cycle (the unique key), for the platform to charge. A workspace keeps the
-- cycle it has open, so the closer finds ended ones by index and a usage
-- record sees at no cost that its workspace's cycle has ended.
ALTER TABLE workspaces ADD COLUMN open_cycle_start DATE;
ALTER TABLE workspaces ADD COLUMN open_cycle_end DATE;
CREATE INDEX workspaces_by_open_cycle_end ON workspaces (open_cycle_end);

CREATE TABLE statements (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    cycle_start      DATE NOT NULL,
    cycle_end        DATE NOT NULL,
    included_e4      BIGINT NOT NULL,
    prepaid_e4       BIGINT NOT NULL,
    flex_e4          BIGINT NOT NULL,
    flex_cost_cents  BIGINT NOT NULL,
    cap_cents        BIGINT,
    by_feature       TEXT NOT NULL,
    closed_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, cycle_start)
);
