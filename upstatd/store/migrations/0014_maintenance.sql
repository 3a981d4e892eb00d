-- Maintenance windows (mnt_): when monitors and heartbeats are expected to be
-- down. Times are Unix ms.

CREATE TABLE maintenance_windows (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,          -- mnt_...
    key            TEXT UNIQUE,                   -- YAML key; NULL when created over the API
    managed_by     TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    title          TEXT NOT NULL,
    description    TEXT,
    kind           TEXT NOT NULL CHECK (kind IN ('once', 'rrule', 'cron', 'oncalendar')),
    starts_at      INTEGER,                       -- once
    ends_at        INTEGER,
    expression     TEXT,                          -- rrule, cron, oncalendar: the rule as checked
    duration       REAL,                          -- recurring: seconds each occurrence lasts
    timezone       TEXT NOT NULL DEFAULT 'UTC',
    monitor_ids    TEXT NOT NULL DEFAULT '[]',    -- JSON: the targets' ids (keys resolved when written)
    heartbeat_ids  TEXT NOT NULL DEFAULT '[]',
    metadata       TEXT NOT NULL DEFAULT '{}',
    active         INTEGER NOT NULL DEFAULT 0,    -- what the last maintenance.started/ended said
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
