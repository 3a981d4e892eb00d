-- Alert channels (where people are told), the alerts sent to them, and every
-- attempt. Times are Unix ms.

CREATE TABLE alert_channels (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,        -- ch_...
    key               TEXT UNIQUE,                 -- YAML key; NULL when created over the API
    managed_by        TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name              TEXT NOT NULL,
    type              TEXT NOT NULL,               -- email, apprise, webhook, pagerduty
    settings          TEXT NOT NULL,               -- JSON: the type block, secrets included (never read out)
    events            TEXT NOT NULL,               -- JSON list of incident event types that alert
    degraded          INTEGER NOT NULL DEFAULT 0,  -- incidents opened by a degraded state alert too
    reminder_interval INTEGER,                     -- seconds between reminders of an unacknowledged incident
    digest_window     INTEGER NOT NULL,            -- seconds of flood control (0: off)
    templates         TEXT NOT NULL DEFAULT '{}',  -- JSON: subject/text/html overrides
    enabled           INTEGER NOT NULL DEFAULT 1,
    cursor            INTEGER NOT NULL DEFAULT 0,  -- the last alert seq done with
    failing_since     INTEGER,
    disabled_reason   TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- One row per notification: an alert (alt_), or a digest (dig_) that sends the
-- alerts suppressed into it as one message. A channel's consumer reads its rows
-- by seq.
CREATE TABLE alerts (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    channel_seq  INTEGER NOT NULL,
    incident_id  TEXT,                             -- NULL for tests and digests
    reason       TEXT NOT NULL,                    -- opened, reminder, escalated, acknowledged, resolved, test, digest
    status       TEXT NOT NULL,                    -- queued, sent, failed, suppressed
    digest_id    TEXT,                             -- suppressed: the digest that carries it
    event_id     TEXT,                             -- the event that caused it
    facts        TEXT NOT NULL,                    -- JSON: what the message says (alerts/message.py Facts)
    due_at       INTEGER,                          -- a digest: sent then
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,                             -- the last failed attempt's
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX alerts_by_channel ON alerts (channel_seq, seq);
CREATE INDEX alerts_by_incident ON alerts (incident_id, seq);
CREATE INDEX alerts_by_digest ON alerts (digest_id) WHERE digest_id IS NOT NULL;

CREATE TABLE alert_attempts (
    seq             INTEGER PRIMARY KEY,
    channel_seq     INTEGER NOT NULL,
    event_id        TEXT NOT NULL,                 -- the alert's (or digest's) id
    event_type      TEXT NOT NULL,                 -- its reason
    attempt         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    ok              INTEGER NOT NULL,
    status_code     INTEGER,
    latency_ms      REAL,
    error           TEXT,
    next_attempt_at INTEGER
);
CREATE INDEX alert_attempts_by_alert ON alert_attempts (event_id, seq);
CREATE INDEX alert_attempts_by_channel ON alert_attempts (channel_seq, seq);
