-- Sessions are stored by the SHA-256 of their token and expire when idle as
-- well as at the end of their lifetime. Rows from before held the token
-- itself: they are removed (everyone signs in once more).
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ NOT NULL;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Workspace slugs are 1 to 63 lowercase letters, digits and dashes, as the
-- server checks them at the edge.
ALTER TABLE workspaces ADD CONSTRAINT workspaces_slug_shape
    CHECK (slug ~ '^[a-z0-9-]{1,63}$');

-- The audit trail says what each change replaced: the old and the new value.
ALTER TABLE audit_log ADD COLUMN old_value JSONB;
ALTER TABLE audit_log ADD COLUMN new_value JSONB;
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id);
