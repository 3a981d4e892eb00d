"""A status page as HTML and as an RSS feed, from a view of plain values
(made by the page's read: no database here). Jinja2 with autoescape on and
StrictUndefined: every value a page shows is escaped, and a template that
names a missing value fails in the tests rather than printing nothing.

The page carries its CSS inline and loads nothing: no script, font or image
but the page's logo, which the daemon serves itself (<page>/logo).
The archive of resolved reports (<page>/history) is `history_html`.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import jinja2

from upstatd.pages import affected
from upstatd.pages.affected import Cause, CauseLine
from upstatd.pages.banner import BANNERS
from upstatd.pages.bars import Bar

STATE_WORDS = {"operational": "Operational", "degraded": "Degraded", "down": "Down",
               "maintenance": "Maintenance", "unknown": "No data"}
REPORT_WORDS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
                "resolved": "Resolved"}


class ResourceView(NamedTuple):
    name: str
    state: str                   # a public state (pages/banner.py)
    bars: list[Bar] | None       # None: the page hides its uptime
    uptime: float | None         # over the bars' span
    affected_by: tuple[Cause, ...] = ()  # the down services it needs, as it shows them (pages/affected.py)
    regions: tuple[tuple[str, str], ...] = ()  # a monitor probed from several regions: (region, public state)

    @property
    def note(self) -> str | None:
        """"Affected: postgres is down" / "Down — caused by postgres"; None: no cause shown."""
        return affected.note(self.state, list(self.affected_by))


class SectionView(NamedTuple):
    name: str | None             # None: the resources outside any section
    resources: list[ResourceView]


class UpdateView(NamedTuple):
    status: str                  # investigating, identified, monitoring, resolved
    message: str
    at: int                      # Unix s


class ReportView(NamedTuple):
    id: str
    title: str
    status: str
    updates: list[UpdateView]    # newest first
    started_at: int
    resolved_at: int | None


class MaintenanceView(NamedTuple):
    id: str                      # mnt_…
    title: str
    description: str | None
    starts_at: int               # Unix s: the occurrence shown (in progress, else the next)
    ends_at: int
    ongoing: bool
    affected: list[str]          # the public names of the page's resources it covers
    announced_at: int            # Unix s: the feed item's date (when it came onto the page)

    @property
    def anchor(self) -> str:     # one per occurrence: a recurring window's next one is a new item
        return f"{self.id}-{self.starts_at}"


class PageView(NamedTuple):
    name: str
    url: str                     # the page's own address (the feed links to it)
    logo_url: str | None         # the daemon's <page>/logo?v=…, or None
    accent_color: str            # #rrggbb
    footer_text: str | None
    timezone: str
    banner: str                  # a key of BANNERS
    sections: list[SectionView]
    active: list[ReportView]
    maintenance: list[MaintenanceView]  # in progress first, then upcoming, by start
    history: list[ReportView]    # resolved in the last 14 days, newest first
    generated_at: int            # Unix s
    causes: tuple[CauseLine, ...] = ()  # the failing services the banner names, once each

    @property
    def maintenance_days(self) -> bool:
        """Whether a bar marks a maintenance day (the page then explains the mark)."""
        return any(bar.maintenance for section in self.sections for resource in section.resources
                   for bar in resource.bars or ())


class HistoryView(NamedTuple):
    """One page of the archive of resolved reports."""
    name: str
    url: str                     # the status page's own address
    logo_url: str | None
    accent_color: str
    footer_text: str | None
    timezone: str
    reports: list[ReportView]    # newest first
    older_url: str | None        # the next page of older reports; None: none older
    newer_url: str | None
    generated_at: int            # Unix s


_env = jinja2.Environment(loader=jinja2.PackageLoader("upstatd.pages", "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _when(seconds: int, zone: str) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or zone)


def _when_offset(seconds: int, zone: str) -> str:
    """As `when`, with the UTC offset for a zone that is not UTC: "2026-03-29 04:30 EEST (UTC+03:00)"."""
    moment = datetime.datetime.fromtimestamp(seconds, ZoneInfo(zone))
    offset = moment.strftime("%z")
    shown = _when(seconds, zone)
    return shown if offset == "+0000" and moment.tzname() == "UTC" else f"{shown} (UTC{offset[:3]}:{offset[3:]})"


def iso_utc(seconds: int) -> str:
    """ISO 8601 in UTC: 2026-03-29T01:30:00Z."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(seconds: int) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")


_env.filters["when"] = _when
_env.filters["when_offset"] = _when_offset
_env.filters["iso"] = iso_utc
_env.filters["rfc822"] = _rfc822
_env.filters["cause_line"] = affected.line
_env.globals.update(BANNERS=BANNERS, STATE_WORDS=STATE_WORDS, REPORT_WORDS=REPORT_WORDS)


def page_html(view: PageView) -> str:
    return _env.get_template("page.html").render(page=view)


def history_html(view: HistoryView) -> str:
    return _env.get_template("history.html").render(page=view)


def feed_rss(view: PageView) -> str:
    """RSS 2.0: one item per update of the page's reports (active and recent) and one per
    maintenance in progress or upcoming, newest first."""
    items = [(update.at, "report", (report, update)) for report in [*view.active, *view.history]
             for update in report.updates]
    items += [(window.announced_at, "maintenance", window) for window in view.maintenance]
    items.sort(key=lambda item: item[0], reverse=True)
    return _env.get_template("feed.xml").render(page=view, items=[item[1:] for item in items])
