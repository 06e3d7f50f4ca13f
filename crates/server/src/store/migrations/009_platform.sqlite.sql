-- The platform's provisioning API: prepaid credits it adds, once per order
-- (its idempotency key), and the audit trail's line for each, with the credits.
CREATE TABLE prepaid_grants (
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    idempotency_key TEXT NOT NULL,
    credits_e4      INTEGER NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (workspace_id, idempotency_key)
) WITHOUT ROWID;
ALTER TABLE audit_log ADD COLUMN credits_e4 INTEGER;
