-- The scheme a ping came with (http, https; X-Forwarded-Proto from a trusted proxy).
ALTER TABLE pings ADD COLUMN scheme TEXT;
