-- Probe regions (issue 19): the agents that probe from other places, each
-- monitor's state in each region, and the region of each check. Times are Unix ms.

CREATE TABLE agents (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,             -- agt_...
    key             TEXT UNIQUE,                      -- YAML key; NULL when created over the API
    managed_by      TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name            TEXT NOT NULL,
    region          TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,             -- sha256 hex of the agent token (upsa_...)
    state           TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'up', 'down')),
    state_since     INTEGER,
    last_contact_at INTEGER,                          -- its latest pull or push
    version         TEXT,                             -- the upstatd version it reported
    spool           TEXT,                             -- the id of the spool its results are numbered in
    acked_seq       INTEGER NOT NULL DEFAULT 0,       -- the last result taken from that spool
    spool_results   INTEGER NOT NULL DEFAULT 0,       -- what it said was waiting, at its latest push
    spool_bytes     INTEGER NOT NULL DEFAULT 0,
    spool_dropped   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Region names as the small numbers checks carry (a check row stays small).
CREATE TABLE regions (
    seq   INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);

-- NULL: the daemon's own region (whatever server.region names it).
ALTER TABLE checks ADD COLUMN region INTEGER;

-- A monitor's confirmed state in each region it is probed from (more than one, or
-- not the daemon's own); its overall state, judged by quorum, stays in monitors.
CREATE TABLE monitor_regions (
    monitor_seq  INTEGER NOT NULL,
    region       TEXT NOT NULL,
    state        TEXT NOT NULL,
    since        INTEGER NOT NULL,
    PRIMARY KEY (monitor_seq, region)
) WITHOUT ROWID;

-- JSON list of the regions that saw the failure, for incidents of monitors probed
-- from more than one region; NULL otherwise.
ALTER TABLE incidents ADD COLUMN regions TEXT;
