-- Events (the outbox every integration reads), incidents with their timeline,
-- and webhook endpoints with every delivery attempt. Times are Unix ms.

CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,             -- delivery order
    id           TEXT NOT NULL UNIQUE,            -- evt_...
    type         TEXT NOT NULL,                   -- monitor.down, incident.created, ...
    created_at   INTEGER NOT NULL,
    data         TEXT NOT NULL                    -- JSON: {"object": {...}} (a snapshot)
);
CREATE INDEX events_by_type ON events (type, seq);
CREATE INDEX events_by_time ON events (created_at);

CREATE TABLE incidents (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,        -- inc_...
    status           TEXT NOT NULL,               -- open, acknowledged, resolved, closed
    severity         TEXT NOT NULL,               -- critical, major, minor, warning
    type             TEXT NOT NULL,               -- timeout, status_code, ..., heartbeat_missed
    source           TEXT NOT NULL,               -- system, manual
    title            TEXT NOT NULL,
    error_message    TEXT,
    subject_id       TEXT,                        -- system incidents: the mon_/hbt_ whose failure opened it
    started_at       INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    acknowledged_by  TEXT,
    resolved_at      INTEGER,
    closed_at        INTEGER,
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX incidents_by_subject ON incidents (subject_id, seq);
CREATE INDEX incidents_by_status ON incidents (status, seq);

-- affected_monitor_ids (monitors and heartbeats alike)
CREATE TABLE incident_monitors (
    incident_seq  INTEGER NOT NULL,
    monitor_id    TEXT NOT NULL,
    PRIMARY KEY (incident_seq, monitor_id)
);
CREATE INDEX incident_monitors_by_monitor ON incident_monitors (monitor_id, incident_seq);

-- The timeline: comments and an entry for every change, with who made it.
CREATE TABLE incident_updates (
    seq           INTEGER PRIMARY KEY,
    incident_seq  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    kind          TEXT NOT NULL,                  -- created, comment, acknowledged, resolved, reopened, closed, updated
    status        TEXT NOT NULL,                  -- the incident's status after it
    message       TEXT,
    author        TEXT NOT NULL                   -- "system", a token's name, or the author given
);
CREATE INDEX incident_updates_by_incident ON incident_updates (incident_seq, seq);

CREATE TABLE webhook_endpoints (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,        -- we_...
    key              TEXT UNIQUE,                 -- YAML key; NULL when created over the API
    managed_by       TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,               -- JSON list of types and patterns (incident.*)
    secret           TEXT NOT NULL,               -- the HMAC key: needed in clear to sign
    enabled          INTEGER NOT NULL DEFAULT 1,
    description      TEXT,
    metadata         TEXT NOT NULL DEFAULT '{}',
    cursor           INTEGER NOT NULL,            -- the last event seq done with (delivered or given up)
    failing_since    INTEGER,                     -- first failed attempt of the current failing streak
    disabled_reason  TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    seq           INTEGER PRIMARY KEY,
    endpoint_seq  INTEGER NOT NULL,
    event_id      TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,               -- 1, 2, ...
    created_at    INTEGER NOT NULL,
    ok            INTEGER NOT NULL,
    status_code   INTEGER,
    latency_ms    REAL,
    error         TEXT,
    next_attempt_at INTEGER                       -- when the next retry goes (NULL: none)
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_seq, seq);
