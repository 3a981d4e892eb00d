"""The maintenance parts of a rendered page, from a view (no daemon): the
section with the one in progress first, times in the page's zone with the UTC
offset, every value escaped; the feed's items (a real feed parser) and
summary.json's list."""

from __future__ import annotations

import feedparser

from pagekit import HOSTILE, NOW, view
from upstatd.pages.render import MaintenanceView, feed_rss, page_html
from upstatd.pages.summary import summary

ON = MaintenanceView("mnt_on", f"Router {HOSTILE}", f"Line one\n{HOSTILE}", NOW - 600, NOW + 3000, True,
                     ["Website", HOSTILE], NOW - 600)
NEXT = MaintenanceView("mnt_next", "Database upgrade", None, NOW + 86400, NOW + 90000, False, ["Website"],
                       NOW - 7200)


def test_it_shows_the_one_in_progress_first_in_the_pages_zone_and_escapes_it():
    html = page_html(view(maintenance=[ON, NEXT], timezone="America/New_York"))
    assert HOSTILE not in html and "&lt;script&gt;" in html
    section = html[html.index("<h2>Scheduled maintenance</h2>"):html.index('aria-label="Storefront"')]
    assert section.index("Router") < section.index("In progress") < section.index("Database upgrade")
    assert section.count("In progress") == 1 and section.count(">Scheduled<") == 1
    assert 'id="mnt_on-%d"' % (NOW - 600) in section
    # 1_800_000_000 is 2027-01-15 08:00 UTC: 03:00 EST
    assert "2027-01-15 02:50 EST (UTC-05:00)" in section and "2027-01-16 03:00 EST (UTC-05:00)" in section
    assert "Affects: Website, &lt;script&gt;" in section


def test_it_has_no_section_without_windows():
    assert "Scheduled maintenance" not in page_html(view(maintenance=[]))


def test_the_feed_and_summary_list_them():
    feed = feedparser.parse(feed_rss(view(maintenance=[ON, NEXT])))
    assert not feed.bozo, feed.bozo_exception
    titles = [entry.title for entry in feed.entries]
    assert titles[:3] == ["Checkout errors: Identified", f"Maintenance in progress: Router {HOSTILE}",
                          "Checkout errors: Investigating"]  # by date: NOW - 600 each, then NOW - 1200
    assert "Scheduled maintenance: Database upgrade" in titles
    ids = {entry.id for entry in feed.entries if "maintenance" in entry.title.lower()}
    assert ids == {f"mnt_on-{NOW - 600}-in_progress", f"mnt_next-{NOW + 86400}-scheduled"}
    data = summary(view(maintenance=[ON, NEXT]))
    assert [(w["id"], w["status"], w["starts_at"]) for w in data["maintenance"]] == [
        ("mnt_on", "in_progress", NOW - 600), ("mnt_next", "scheduled", NOW + 86400)]
    assert data["maintenance"][1]["description"] is None and data["maintenance"][0]["affected"] == ["Website", HOSTILE]
