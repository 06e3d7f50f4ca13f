-- Usage refused because it would pass the flex cap. Nothing is drawn for it;
-- the first refusal under each version of the settings is kept, so the page
-- can say that work is being blocked.
CREATE TABLE blocked_usage (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces(id),
    cycle_start     TEXT NOT NULL,
    flex_version    INTEGER NOT NULL,   -- the settings in force when it was refused
    credits_e4      INTEGER NOT NULL,
    at              TEXT NOT NULL,
    UNIQUE (workspace_id, cycle_start, flex_version)
);
