-- Status pages (issue 15): metadata on sections, resources and reports (the
-- pages have had theirs since 0015), and each page's logo, served by the daemon
-- at /status/<slug>/logo (no image from another origin: the page's CSP allows
-- img-src 'self' only). Columns are added, not rebuilt: 0016 rebuilds
-- status_page_resources before this runs.

ALTER TABLE status_page_sections ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE status_page_resources ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE status_reports ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';

CREATE TABLE status_page_logos (
    page_seq      INTEGER PRIMARY KEY,            -- status_pages.seq
    content_type  TEXT NOT NULL,                  -- image/png, image/svg+xml, image/webp, image/jpeg
    body          BLOB NOT NULL,                  -- at most 256 KiB (status_pages/logo.py)
    etag          TEXT NOT NULL,                  -- sha256 of body, 32 hex digits
    updated_at    INTEGER NOT NULL
);

-- The archive (store/status_page_view.py report_archive) pages a page's resolved
-- reports by seq: without this, SQLite sorted all of the page's reports per
-- request (3.4 ms for 5,000; 0.06 ms with it).
CREATE INDEX status_reports_resolved ON status_reports (page_seq, seq) WHERE resolved_at IS NOT NULL;

-- A logo_url was an image on another origin, which the page no longer loads:
-- the column stays (no rebuild) but is neither read nor written.
UPDATE status_pages SET logo_url = NULL;
