-- Monitors, their check results and their state changes.
-- Times are Unix milliseconds (integers keep high-volume rows small).

CREATE TABLE monitors (
    seq            INTEGER PRIMARY KEY,           -- internal key; checks point here
    id             TEXT NOT NULL UNIQUE,          -- public id, mon_...
    key            TEXT UNIQUE,                   -- YAML key; NULL when created over the API
    managed_by     TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    url            TEXT NOT NULL,
    interval_ms    INTEGER NOT NULL,
    timeout_ms     INTEGER NOT NULL,
    spec           TEXT NOT NULL,                 -- JSON: every other option as configured
    status         TEXT NOT NULL DEFAULT 'active',
    current_state  TEXT NOT NULL DEFAULT 'pending',
    state_since    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- One row per probe: the hottest table. No text id (chk_ ids derive from seq),
-- phase timings in whole microseconds, NULLs for what a probe did not reach.
CREATE TABLE checks (
    seq            INTEGER PRIMARY KEY,
    monitor_seq    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    ok             INTEGER NOT NULL,
    state          TEXT NOT NULL,                 -- monitor state after this check
    latency_us     INTEGER NOT NULL,
    status_code    INTEGER,
    error_kind     TEXT,
    error_message  TEXT,
    resolve_us     INTEGER,
    connect_us     INTEGER,
    tls_us         INTEGER,
    first_byte_us  INTEGER,
    transfer_us    INTEGER
);
CREATE INDEX checks_by_monitor ON checks (monitor_seq, seq);

CREATE TABLE state_changes (
    seq            INTEGER PRIMARY KEY,
    monitor_seq    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    check_seq      INTEGER,                       -- the check that confirmed it
    error_kind     TEXT,
    error_message  TEXT
);
CREATE INDEX state_changes_by_monitor ON state_changes (monitor_seq, seq);
