-- Heartbeats: cron jobs and timers ping upstatd; a missed deadline flips them.
-- Times are Unix milliseconds.

CREATE TABLE heartbeats (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,          -- hbt_...
    key             TEXT UNIQUE,                   -- YAML key; NULL when created over the API
    managed_by      TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name            TEXT NOT NULL,
    slug            TEXT NOT NULL,                 -- /ping/<ping key>/<slug>
    token           TEXT NOT NULL UNIQUE,          -- the ping UUID, lowercase
    spec            TEXT NOT NULL,                 -- JSON: schedule, grace, methods, severity, tags, ...
    metadata        TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'active',   -- or 'paused'
    current_state   TEXT NOT NULL DEFAULT 'new',      -- new, up, late, down
    state_since     INTEGER NOT NULL,
    last_ping_at    INTEGER,                       -- the last success, fail or start
    last_success_at INTEGER,                       -- what the next deadline counts from
    started_at      INTEGER,                       -- a /start not yet finished
    start_rid       TEXT,
    last_duration_ms INTEGER,                      -- of the last paired start and finish
    paused_at       INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX heartbeats_by_slug ON heartbeats (slug);

-- Every ping, numbered per heartbeat (n), the body kept up to pings.body_limit.
CREATE TABLE pings (
    seq             INTEGER PRIMARY KEY,
    heartbeat_seq   INTEGER NOT NULL,
    n               INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    kind            TEXT NOT NULL,                 -- success, start, fail, log, ignored
    exit_status     INTEGER,
    rid             TEXT,
    duration_ms     INTEGER,                       -- a finish paired with its start
    method          TEXT NOT NULL,
    remote_addr     TEXT,
    user_agent      TEXT,
    body_size       INTEGER NOT NULL,              -- bytes received
    body            BLOB                           -- at most pings.body_limit bytes of it
);
CREATE UNIQUE INDEX pings_by_heartbeat ON pings (heartbeat_seq, n);

-- State changes of heartbeats (monitors have theirs in state_changes).
CREATE TABLE heartbeat_flips (
    seq             INTEGER PRIMARY KEY,
    heartbeat_seq   INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,              -- when the deadline passed, not when it was noticed
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    reason          TEXT NOT NULL,                 -- ping, fail, missed, overrun, resumed
    ping_n          INTEGER                        -- the ping that caused it, if any
);
CREATE INDEX heartbeat_flips_by_heartbeat ON heartbeat_flips (heartbeat_seq, seq);
