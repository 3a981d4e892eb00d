-- What the monitors and heartbeats lists answer for every item without
-- reading history (store/fleet.py): heartbeats' pauses, left out of their
-- uptime as monitors' are, and each monitor's latency over the 24 hours
-- before the last roll-up, written with the roll-up (store/rollups.py).

CREATE TABLE heartbeat_pauses (
    seq            INTEGER PRIMARY KEY,
    heartbeat_seq  INTEGER NOT NULL,
    started_at     INTEGER NOT NULL,            -- Unix ms
    ended_at       INTEGER                      -- NULL while the pause lasts
);
CREATE INDEX heartbeat_pauses_by_heartbeat ON heartbeat_pauses (heartbeat_seq, started_at);
INSERT INTO heartbeat_pauses (heartbeat_seq, started_at)
SELECT seq, coalesce(paused_at, updated_at) FROM heartbeats WHERE status = 'paused';

CREATE TABLE monitor_latency (
    monitor_seq  INTEGER PRIMARY KEY,
    until_at     INTEGER NOT NULL,              -- the roll-up cursor it was computed at (Unix ms)
    checks       INTEGER NOT NULL,              -- the good checks of the 24 hours before it
    p50_ms       REAL,
    p95_ms       REAL
) WITHOUT ROWID;
