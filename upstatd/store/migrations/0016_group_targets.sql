-- Groups as targets (issue 15): a maintenance window may name groups (`group_ids`, the
-- grp_ ids; their members are covered while they are members), and a status page
-- resource may show a group (kind 'group', subject_seq = subject_groups.seq).
-- SQLite cannot change a CHECK: status_page_resources is made again, every column,
-- row and index kept as they were.

ALTER TABLE maintenance_windows ADD COLUMN group_ids TEXT NOT NULL DEFAULT '[]';

CREATE TABLE status_page_resources_0016 (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,            -- spr_...
    page_seq     INTEGER NOT NULL,
    section_seq  INTEGER,                         -- NULL: shown before the sections
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('monitor', 'heartbeat', 'group')),
    subject_seq  INTEGER NOT NULL,                -- monitors.seq, heartbeats.seq or subject_groups.seq
    subject_id   TEXT NOT NULL,                   -- its mon_/hbt_/grp_ id (ids never change)
    public_name  TEXT NOT NULL,
    show_uptime  INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
INSERT INTO status_page_resources_0016 (seq, id, page_seq, section_seq, position, kind, subject_seq, subject_id,
                                        public_name, show_uptime, created_at, updated_at)
    SELECT seq, id, page_seq, section_seq, position, kind, subject_seq, subject_id, public_name, show_uptime,
           created_at, updated_at FROM status_page_resources;
DROP TABLE status_page_resources;
ALTER TABLE status_page_resources_0016 RENAME TO status_page_resources;
CREATE INDEX status_page_resources_by_page ON status_page_resources (page_seq, position);
CREATE INDEX status_page_resources_by_subject ON status_page_resources (kind, subject_seq);
