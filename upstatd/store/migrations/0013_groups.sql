-- Groups (grp_...): a named set of monitors or of heartbeats (`kind`), paused and resumed
-- together, whose state is the worst of its members'. A member points at its group by the
-- public id; a monitor or heartbeat is in at most one group. Groups from the config file
-- (`group: web` on a monitor) carry their name as `key`; groups made over the API have none.
-- The table is not called `groups`: GROUPS is an SQL keyword (window frames).

CREATE TABLE subject_groups (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,              -- grp_...
    kind        TEXT NOT NULL CHECK (kind IN ('monitor', 'heartbeat')),
    key         TEXT,                              -- the config file's group name; NULL over the API
    managed_by  TEXT NOT NULL CHECK (managed_by IN ('config', 'api')),
    name        TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,                  -- Unix ms
    updated_at  INTEGER NOT NULL,
    UNIQUE (kind, key)
);

ALTER TABLE monitors ADD COLUMN group_id TEXT;
ALTER TABLE heartbeats ADD COLUMN group_id TEXT;
CREATE INDEX monitors_by_group ON monitors (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX heartbeats_by_group ON heartbeats (group_id) WHERE group_id IS NOT NULL;
