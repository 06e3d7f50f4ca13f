-- Flex spend per workspace and day (UTC), updated in the same transaction as
-- each usage record, for the forecast and the chart: a cycle has at most 366
-- rows here, however much usage it has.
CREATE TABLE daily_flex (
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    day              DATE NOT NULL,
    flex_cost_cents  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day)
);

INSERT INTO daily_flex (workspace_id, day, flex_cost_cents)
SELECT workspace_id, (recorded_at AT TIME ZONE 'UTC')::date, SUM(flex_cost_cents)
  FROM usage_events WHERE flex_cost_cents > 0
 GROUP BY workspace_id, (recorded_at AT TIME ZONE 'UTC')::date;
