-- Overlapping runs of a heartbeat: every open /start, not only the last one.
-- JSON [[rid or null, started_at ms], ...], oldest first; started_at and
-- start_rid stay the latest of them (what `started` and the status read).
ALTER TABLE heartbeats ADD COLUMN runs TEXT;
UPDATE heartbeats SET runs = json_array(json_array(start_rid, started_at)) WHERE started_at IS NOT NULL;
