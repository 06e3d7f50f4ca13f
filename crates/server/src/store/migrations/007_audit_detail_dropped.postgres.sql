-- The audit trail's detail (the change in words) was never read: the history
-- is told from the action and the old and new values.
ALTER TABLE audit_log DROP COLUMN detail;
