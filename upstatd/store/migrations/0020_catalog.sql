-- Catalog (issue 17): services (svc_) with an owner, the monitors and heartbeats
-- that belong to each, the dependencies between them (a directed graph without
-- cycles, checked by catalog/graph.py), and what root-cause grouping keeps on
-- incidents. Times are Unix ms.

CREATE TABLE services (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,             -- svc_...
    key          TEXT UNIQUE,                      -- YAML key; NULL when created over the API
    managed_by   TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    owner_type   TEXT CHECK (owner_type IN ('user', 'schedule')),   -- NULL: no owner
    owner_id     TEXT,                             -- usr_... or sch_...
    tier         INTEGER,                          -- 1 (most critical) .. 4; NULL: not tiered
    links        TEXT NOT NULL DEFAULT '[]',       -- JSON: [{title, url}]
    tags         TEXT NOT NULL DEFAULT '[]',       -- JSON: [str]
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- "service_id needs depends_on_id". Rows from the config file are replaced with
-- the file; those made over the API stay.
CREATE TABLE service_dependencies (
    service_id     TEXT NOT NULL,                  -- svc_...
    depends_on_id  TEXT NOT NULL,                  -- svc_...
    managed_by     TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (service_id, depends_on_id)
) WITHOUT ROWID;
CREATE INDEX service_dependents ON service_dependencies (depends_on_id);

-- svc_ id; NULL: the subject belongs to no service
ALTER TABLE monitors ADD COLUMN service_id TEXT;
ALTER TABLE heartbeats ADD COLUMN service_id TEXT;

-- Root-cause grouping: the incident of a failing dependency that caused this one
-- (its alerts are suppressed), and until when this incident's alerts are held
-- while a dependency fails but is not yet confirmed down.
ALTER TABLE incidents ADD COLUMN caused_by TEXT;
ALTER TABLE incidents ADD COLUMN held_until INTEGER;
CREATE INDEX incidents_by_cause ON incidents (caused_by) WHERE caused_by IS NOT NULL;
CREATE INDEX incidents_held ON incidents (held_until) WHERE held_until IS NOT NULL;
