-- Hourly and daily summaries of each monitor's checks, kept long after the
-- raw checks are pruned (store/rollups.py). Times are Unix ms, UTC.

CREATE TABLE rollups (
    monitor_seq     INTEGER NOT NULL,
    period          TEXT NOT NULL CHECK (period IN ('hour', 'day')),
    start_at        INTEGER NOT NULL,              -- the hour's (day's) first ms
    checks          INTEGER NOT NULL,
    failures        INTEGER NOT NULL,
    ok_checks       INTEGER NOT NULL,              -- the latency figures are theirs
    latency_min_us  INTEGER,
    latency_max_us  INTEGER,
    latency_sum_us  INTEGER NOT NULL,
    histogram       BLOB NOT NULL,                 -- msgpack {bucket: count} (monitors/histogram.py)
    phases          BLOB NOT NULL,                 -- msgpack {phase: [sum_us, count]}
    errors          BLOB NOT NULL,                 -- msgpack {error_kind: count}
    PRIMARY KEY (monitor_seq, period, start_at)
) WITHOUT ROWID;
CREATE INDEX rollups_by_time ON rollups (period, start_at);
