-- The REST API: tokens, installation settings, idempotency keys, and what
-- API-managed monitors need beyond config-managed ones.

CREATE TABLE tokens (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,            -- tok_...
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,            -- sha256 hex of the secret; the secret is never stored
    permissions   TEXT NOT NULL,                   -- JSON: {"monitors": ["read", ...], ...}
    metadata      TEXT NOT NULL DEFAULT '{}',
    expires_at    INTEGER,                         -- Unix ms, NULL = never
    last_used_at  INTEGER,
    revoked_at    INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    key            TEXT PRIMARY KEY,               -- one key, one token: another token reusing it is a 409
    token_id       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,                  -- method, path and body of the first request
    status         INTEGER,                        -- NULL while the first request runs
    body           BLOB,
    created_at     INTEGER NOT NULL
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

ALTER TABLE monitors ADD COLUMN paused_at INTEGER;
ALTER TABLE monitors ADD COLUMN resume_at INTEGER;
ALTER TABLE monitors ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
