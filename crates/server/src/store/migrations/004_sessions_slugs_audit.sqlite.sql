-- Sessions are stored by the SHA-256 of their token and expire when idle as
-- well as at the end of their lifetime. Rows from before held the token
-- itself: they are removed (everyone signs in once more).
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Workspace slugs are 1 to 63 lowercase letters, digits and dashes, as the
-- server checks them at the edge.
CREATE TRIGGER workspaces_slug_insert BEFORE INSERT ON workspaces
WHEN length(NEW.slug) NOT BETWEEN 1 AND 63 OR NEW.slug GLOB '*[^a-z0-9-]*'
BEGIN SELECT RAISE(ABORT, 'workspace slugs are 1 to 63 of a-z, 0-9 and -'); END;
CREATE TRIGGER workspaces_slug_update BEFORE UPDATE OF slug ON workspaces
WHEN length(NEW.slug) NOT BETWEEN 1 AND 63 OR NEW.slug GLOB '*[^a-z0-9-]*'
BEGIN SELECT RAISE(ABORT, 'workspace slugs are 1 to 63 of a-z, 0-9 and -'); END;

-- The audit trail says what each change replaced: the old and the new value.
ALTER TABLE audit_log ADD COLUMN old_value TEXT;
ALTER TABLE audit_log ADD COLUMN new_value TEXT;
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);
