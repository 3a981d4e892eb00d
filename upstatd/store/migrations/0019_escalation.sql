-- Escalation (issue 16): policies (esc_), the policy of each monitor and
-- heartbeat, and the state of each incident's escalation. Times are Unix ms.

CREATE TABLE escalation_policies (
    seq                   INTEGER PRIMARY KEY,
    id                    TEXT NOT NULL UNIQUE,     -- esc_...
    key                   TEXT UNIQUE,
    managed_by            TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name                  TEXT NOT NULL,
    steps                 TEXT NOT NULL,            -- JSON: oncall.escalation.Step list, targets as ids
    repeat                INTEGER NOT NULL DEFAULT 0,
    repeat_delay_seconds  REAL NOT NULL DEFAULT 0,
    is_default            INTEGER NOT NULL DEFAULT 0,  -- the policy of subjects that name none (at most one)
    metadata              TEXT NOT NULL DEFAULT '{}',
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

-- esc_ id; NULL: the default policy
ALTER TABLE monitors ADD COLUMN escalation_policy TEXT;
ALTER TABLE heartbeats ADD COLUMN escalation_policy TEXT;

-- One row per incident under a policy: what fired is all the state there is
-- (oncall/escalation.py), so a restart neither repeats nor skips a step.
CREATE TABLE escalations (
    incident_id   TEXT PRIMARY KEY,                 -- inc_...
    policy_id     TEXT NOT NULL,                    -- esc_... as it was when the incident opened
    started_at    INTEGER NOT NULL,                 -- when the policy began (opened or reopened)
    fired         TEXT NOT NULL DEFAULT '[]',       -- JSON: [[round, step, fired_at ms], ...]
    requests      TEXT NOT NULL DEFAULT '[]',       -- JSON: escalate-now request times (ms) not yet used
    next_at       INTEGER                           -- when the next step falls due; NULL: done or stopped
);
CREATE INDEX escalations_pending ON escalations (next_at) WHERE next_at IS NOT NULL;
