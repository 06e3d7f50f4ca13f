-- The notification thresholds the owners chose (whole percents of the cap,
-- for the webhook and e-mail), as a JSON array; 80 until they choose.
ALTER TABLE workspaces ADD COLUMN alert_thresholds TEXT NOT NULL DEFAULT '[80]';
