-- Monitors over the API: when each was paused (paused time is left out of
-- uptime), and metadata in its own column for every monitor.

CREATE TABLE monitor_pauses (
    seq          INTEGER PRIMARY KEY,
    monitor_seq  INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,              -- Unix ms
    ended_at     INTEGER                        -- NULL while the pause lasts
);
CREATE INDEX monitor_pauses_by_monitor ON monitor_pauses (monitor_seq, started_at);

-- 0003 added monitors.metadata; config monitors kept theirs only in `spec`.
UPDATE monitors SET metadata = json_extract(spec, '$.metadata')
WHERE json_type(spec, '$.metadata') = 'object';
