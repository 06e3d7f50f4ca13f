-- Statements also go to the platform's billing webhook (--platform-webhook-url),
-- signed with its own secret and kept out of the owners' delivery log.
ALTER TABLE outbox ADD COLUMN to_platform BOOLEAN NOT NULL DEFAULT false;
