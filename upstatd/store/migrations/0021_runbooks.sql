-- Runbooks (issue 17): markdown procedures (rbk_) with ordered steps, every edit
-- kept as a version, linked to services, monitors, heartbeats and escalation
-- policies; and the steps a responder marked done on an incident. Times are Unix ms.

CREATE TABLE runbooks (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,              -- rbk_...
    key         TEXT UNIQUE,                       -- YAML key; NULL when created over the API
    managed_by  TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',          -- markdown
    steps       TEXT NOT NULL DEFAULT '[]',        -- JSON: [str], in order
    tags        TEXT NOT NULL DEFAULT '[]',        -- JSON: [str]
    version     INTEGER NOT NULL DEFAULT 1,        -- the current one; earlier ones in runbook_versions
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Every version, the current one included (written with it), so any is readable.
CREATE TABLE runbook_versions (
    runbook_id  TEXT NOT NULL,                     -- rbk_...
    version     INTEGER NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    steps       TEXT NOT NULL,
    tags        TEXT NOT NULL,
    author      TEXT NOT NULL,                     -- the token's name, or "config"
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (runbook_id, version)
) WITHOUT ROWID;

-- What a runbook is for: svc_, mon_, hbt_ or esc_ ids.
CREATE TABLE runbook_links (
    runbook_id  TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    PRIMARY KEY (runbook_id, target_id)
) WITHOUT ROWID;
CREATE INDEX runbook_links_by_target ON runbook_links (target_id);

-- A step a responder marked done on an incident (the timeline says it too).
CREATE TABLE incident_runbook_steps (
    incident_id  TEXT NOT NULL,                    -- inc_...
    runbook_id   TEXT NOT NULL,
    version      INTEGER NOT NULL,                 -- the version whose steps were followed
    step         INTEGER NOT NULL,                 -- 1-based
    done_by      TEXT NOT NULL,
    done_at      INTEGER NOT NULL,
    PRIMARY KEY (incident_id, runbook_id, step)
) WITHOUT ROWID;
