-- Running totals per workspace and billing cycle, updated in the same
-- transaction as each usage record, so neither the cap check nor a billing
-- read has to sum the cycle's usage rows: their cost stays flat as usage grows.
CREATE TABLE cycle_totals (
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    cycle_start      TEXT NOT NULL,
    included_e4      INTEGER NOT NULL DEFAULT 0,
    prepaid_e4       INTEGER NOT NULL DEFAULT 0,
    flex_e4          INTEGER NOT NULL DEFAULT 0,
    flex_cost_cents  INTEGER NOT NULL DEFAULT 0,
    -- The latest settings version under which usage was refused at the cap.
    blocked_version  INTEGER,
    PRIMARY KEY (workspace_id, cycle_start)
) WITHOUT ROWID;

INSERT INTO cycle_totals (workspace_id, cycle_start, included_e4, prepaid_e4, flex_e4, flex_cost_cents)
SELECT workspace_id, cycle_start, SUM(included_e4), SUM(prepaid_e4), SUM(flex_e4), SUM(flex_cost_cents)
  FROM usage_events GROUP BY workspace_id, cycle_start;

INSERT INTO cycle_totals (workspace_id, cycle_start, blocked_version)
SELECT workspace_id, cycle_start, MAX(flex_version) FROM blocked_usage WHERE true
 GROUP BY workspace_id, cycle_start
    ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET blocked_version = excluded.blocked_version;

-- Nothing sums usage by cycle any more; one index fewer to write per record.
DROP INDEX usage_events_by_cycle;
