-- Sign-in through OpenID Connect: each sign-in started, bound to the browser
-- that started it (a cookie holds the id; kept here as its SHA-256), with its
-- state, nonce and PKCE verifier, until the provider sends the person back.
CREATE TABLE sign_ins (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    next       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
-- The ID token a session was opened with, for the provider's sign-out.
ALTER TABLE sessions ADD COLUMN id_token TEXT;
