"""Where a status page's cold render goes: `python -m bench.pageparts [--resources 100] [--days 90]
[--profile]`.

Not a `make bench` scenario. It makes the pages scenario's database and page
(bench.pages: the seed, then the real daemon and the page over its API),
stops the daemon, and times in this process, on that file, the parts of what
upstatd.api.status_pages does on a cold request, each the median of a few:
the page's version read (every request), the page's rows (page_view), per
resource the timeline read and fold (subject_timeline), the incidents' starts
read, the 90 bars (daily), the overall uptime; then the HTML, the feed and
the summary rendered. `--profile` adds cProfile's top functions of one whole
render (view.build and the three renderers).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import uvloop

from bench import pages
from bench.daemon import Daemon
from bench.targets import Targets

REPEATS = 5


def made_database(workdir: Path, resources: int, days: int) -> tuple[Path, str]:
    """The scenario's database with its page; -> (path, slug). Monitors: only the page's."""
    with Targets(workdir, install=False) as targets:
        daemon = Daemon(workdir / "daemon", [])
        with open(daemon.config, "a") as config:
            config.write("api: {rate_limit: {per_token_minute: 1000000, per_token_hour: 10000000, "
                         "global_minute: 1000000}}\n")
        seeded = pages.seed(daemon.database, resources, resources, days, 60, targets.http.port,
                            round(time.time() * 1000))
        with daemon:
            daemon.start()
            token = (daemon.workdir / "admin-token").read_text().strip()
            made = uvloop.run(pages.make_page(daemon.port, token, seeded["page"], 5))
            daemon.stop()
    return daemon.database, made.slug


def _open(path: Path) -> sqlite3.Connection:
    """The file, with the installation's id key in use (report updates' ids are made from it)."""
    from upstatd import ids

    conn = sqlite3.connect(str(path))
    (key,) = conn.execute("SELECT value FROM settings WHERE key = 'id_key'").fetchone()
    ids.use_key(bytes.fromhex(key))
    return conn


def _median_ms(job, repeats: int = REPEATS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = job()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 2), result


def parts(path: Path, slug: str) -> dict:
    from upstatd.api.status_pages import _version
    from upstatd.pages import render, view
    from upstatd.pages.bars import DAYS, daily, overall
    from upstatd.pages.summary import summary
    from upstatd.store.rollups import DAY_MS
    from upstatd.store.status_page_view import page_view
    from upstatd.store.uptime import subject_timeline

    conn = _open(path)
    now_ms = round(time.time() * 1000)
    out = {}
    out["version_ms"], _ = _median_ms(lambda: _version(conn, slug))
    out["page_view_ms"], found = _median_ms(lambda: page_view(conn, slug, now_ms))
    zone = ZoneInfo(found.page.timezone)
    since = now_ms - (DAYS + 1) * DAY_MS
    resources = [r for section in found.sections for r in section.resources]
    out["resources"] = len(resources)
    totals = {"timeline_ms": 0.0, "incidents_ms": 0.0, "bars_ms": 0.0, "overall_ms": 0.0}
    changes = incidents_n = 0
    for r in resources:
        ms, line = _median_ms(lambda: subject_timeline(conn, r.seq, r.created_at, since, r.kind))
        totals["timeline_ms"] += ms
        ms, starts = _median_ms(lambda: view.incident_starts(conn, r.subject_id, since))
        totals["incidents_ms"] += ms
        incidents_n += len(starts)
        ms, _ = _median_ms(lambda: daily(line, now_ms, zone, starts))
        totals["bars_ms"] += ms
        ms, _ = _median_ms(lambda: overall(line, now_ms, zone))
        totals["overall_ms"] += ms
        changes += conn.execute("SELECT count(*) FROM state_changes WHERE monitor_seq = ? AND created_at >= ?",
                                (r.seq, since)).fetchone()[0]
    out.update({key: round(value, 1) for key, value in totals.items()})
    out["state_changes_read"], out["incident_starts_read"] = changes, incidents_n
    out["build_ms"], shown = _median_ms(lambda: view.build(conn, found, now_ms, "http://127.0.0.1/status/x"))
    out["html_ms"], html = _median_ms(lambda: render.page_html(shown))
    out["feed_ms"], _ = _median_ms(lambda: render.feed_rss(shown))
    out["summary_ms"], _ = _median_ms(lambda: json.dumps(summary(shown), separators=(",", ":")))
    out["html_kb"] = round(len(html.encode()) / 1000, 1)
    out["cold_total_ms"] = round(out["page_view_ms"] + out["build_ms"] + out["html_ms"] + out["feed_ms"]
                                 + out["summary_ms"], 1)
    conn.close()
    return out


def profile(path: Path, slug: str, top: int = 20) -> None:
    from upstatd.pages import render, view
    from upstatd.pages.summary import summary
    from upstatd.store.status_page_view import page_view

    conn = _open(path)
    now_ms = round(time.time() * 1000)
    profiler = cProfile.Profile()
    profiler.enable()
    found = page_view(conn, slug, now_ms)
    shown = view.build(conn, found, now_ms, "http://127.0.0.1/status/x")
    render.page_html(shown), render.feed_rss(shown), json.dumps(summary(shown))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pageparts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions of one render")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="upstatd-pageparts-"))
    try:
        path, slug = made_database(workdir, args.resources, args.days)
        print(json.dumps(parts(path, slug), indent=2))
        if args.profile:
            profile(path, slug)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
