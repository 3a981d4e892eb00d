-- Status pages (issue 15): the pages, their sections, the monitors and heartbeats
-- they show (resources), and the public status reports with their updates.
-- Times are Unix ms. A resource points at its subject by kind and seq; the
-- subject's delete_history removes it (store/monitors.py, store/heartbeats.py).

CREATE TABLE status_pages (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,          -- stp_...
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL UNIQUE,          -- /status/<slug>
    custom_domain  TEXT UNIQUE,                   -- a host name, lowercase; NULL: none
    logo_url       TEXT,
    accent_color   TEXT,                          -- #rrggbb, lowercase
    footer_text    TEXT,
    password_hash  TEXT,                          -- scrypt (status_pages/password.py); NULL: public
    timezone       TEXT NOT NULL DEFAULT 'UTC',   -- the day boundaries of the daily bars
    published      INTEGER NOT NULL DEFAULT 0,
    metadata       TEXT NOT NULL DEFAULT '{}',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE status_page_sections (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,             -- sps_...
    page_seq    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX status_page_sections_by_page ON status_page_sections (page_seq, position);

CREATE TABLE status_page_resources (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,            -- spr_...
    page_seq     INTEGER NOT NULL,
    section_seq  INTEGER,                         -- NULL: shown before the sections
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('monitor', 'heartbeat')),
    subject_seq  INTEGER NOT NULL,                -- monitors.seq or heartbeats.seq
    subject_id   TEXT NOT NULL,                   -- its mon_/hbt_ id (ids never change)
    public_name  TEXT NOT NULL,
    show_uptime  INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX status_page_resources_by_page ON status_page_resources (page_seq, position);
CREATE INDEX status_page_resources_by_subject ON status_page_resources (kind, subject_seq);

CREATE TABLE status_reports (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,          -- rpt_...
    page_seq       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    status         TEXT NOT NULL,                 -- the last update's: investigating, identified, monitoring, resolved
    incident_id    TEXT,                          -- the upstatd incident it is about, if any
    affected       TEXT NOT NULL DEFAULT '[]',    -- JSON list of spr_ ids (gone ones are left out when read)
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    resolved_at    INTEGER                        -- when its last update said resolved; NULL while active
);
CREATE INDEX status_reports_by_page ON status_reports (page_seq, resolved_at);

CREATE TABLE status_report_updates (
    seq         INTEGER PRIMARY KEY,              -- rpu_ ids derive from it
    report_seq  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX status_report_updates_by_report ON status_report_updates (report_seq, seq);
