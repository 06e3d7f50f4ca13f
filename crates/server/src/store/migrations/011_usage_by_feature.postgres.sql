-- What used the credits: each usage record's feature (`other` when it named
-- none, as every record before this step), and running totals per workspace,
-- cycle and feature, updated in the same transaction as each record, so the
-- breakdown costs the same however much usage the cycle has.
ALTER TABLE usage_events ADD COLUMN feature TEXT NOT NULL DEFAULT 'other';

CREATE TABLE feature_totals (
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    cycle_start      DATE NOT NULL,
    feature          TEXT NOT NULL,
    credits_e4       BIGINT NOT NULL DEFAULT 0,
    flex_e4          BIGINT NOT NULL DEFAULT 0,
    flex_cost_cents  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, cycle_start, feature)
);

INSERT INTO feature_totals (workspace_id, cycle_start, feature, credits_e4, flex_e4, flex_cost_cents)
SELECT workspace_id, cycle_start, 'other', SUM(credits_e4), SUM(flex_e4), SUM(flex_cost_cents)
  FROM usage_events GROUP BY workspace_id, cycle_start;
