-- On-call (issue 16): people (usr_), their personal contact methods, on-call
-- schedules (sch_) with layers and overrides (ovr_). Times are Unix ms.
-- Escalation policies and the state of each incident's escalation come in 0019.

CREATE TABLE people (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,          -- usr_...
    key              TEXT UNIQUE,                   -- YAML key; NULL when created over the API
    managed_by       TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name             TEXT NOT NULL,
    email            TEXT,
    timezone         TEXT NOT NULL DEFAULT 'UTC',
    contact_methods  TEXT NOT NULL DEFAULT '[]',    -- JSON: [{channel: ch_}, {email, via}, {apprise}] as checked
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- A personal contact method (an email address, an Apprise URL) is delivered as an
-- alert channel of its own, so it has the outbox's retries, attempts and cursor:
-- that channel's row names its person. NULL: a shared channel.
ALTER TABLE alert_channels ADD COLUMN person_id TEXT;
CREATE INDEX alert_channels_by_person ON alert_channels (person_id) WHERE person_id IS NOT NULL;

CREATE TABLE on_call_schedules (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,          -- sch_...
    key              TEXT UNIQUE,
    managed_by       TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name             TEXT NOT NULL,
    layers           TEXT NOT NULL DEFAULT '[]',    -- JSON: oncall.layers.Layer list, users as usr_ ids, bottom first
    calendar_secret  TEXT,                          -- sha256 hex of the .ics URL's secret; NULL: no feed
    on_call_user_id  TEXT,                          -- who the last on_call.changed said (a restart compares)
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Overrides: one person covers a span. Those from the config file are replaced
-- with the file; those made over the API stay (also on a config schedule).
CREATE TABLE on_call_overrides (
    seq           INTEGER PRIMARY KEY,             -- order: a later override wins where they overlap
    id            TEXT NOT NULL UNIQUE,            -- ovr_...
    schedule_seq  INTEGER NOT NULL,                -- on_call_schedules.seq (deleted with it by the commands)
    managed_by    TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    user_id       TEXT NOT NULL,                   -- usr_...
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX on_call_overrides_by_schedule ON on_call_overrides (schedule_seq, ends_at);
