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

Each part is timed twice: `without` a catalog, then `with_catalog` after a
catalog is written into the file (CATALOG_INFRA shared services, postgres's
member down, and one service per other resource needing postgres and one
more: every resource on the page affected), where `catalog_ms` is the
catalog's read (view.read_catalog), `causes_ms` every resource's causes
(pages/affected.py, inside build_ms) and `version_ms` includes the watched
members' states (the version every request reads). `alternating` then times
view.build (the catalog read included) and the HTML with the catalog and
with an empty one in turns on that same file: the fair comparison on a busy
machine.
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
CATALOG_INFRA = 10     # shared services (postgres, the first, down); their members: the page's first monitors


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


def add_catalog(path: Path, slug: str) -> dict:
    """Services for every monitor on the page: the first CATALOG_INFRA are shared ones (each with
    one of the page's monitors, postgres's down), each other monitor its own service needing
    postgres and one other shared service. -> {services, dependencies}."""
    conn = _open(path)
    now_ms = round(time.time() * 1000)
    monitors = [row[0] for row in conn.execute(
        "SELECT r.subject_id FROM status_page_resources AS r JOIN status_pages AS p ON p.seq = r.page_seq "
        "WHERE p.slug = ? AND r.kind = 'monitor' ORDER BY r.seq", (slug,))]
    edges = 0
    with conn:
        for number, monitor_id in enumerate(monitors):
            service = f"svc_bench{number}"
            name = "postgres" if number == 0 else (f"infra-{number}" if number < CATALOG_INFRA else f"app-{number}")
            conn.execute("INSERT INTO services (id, managed_by, name, created_at, updated_at) VALUES (?, 'api', ?, ?, ?)",
                         (service, name, now_ms, now_ms))
            conn.execute("UPDATE monitors SET service_id = ? WHERE id = ?", (service, monitor_id))
            if number >= CATALOG_INFRA:
                for needed in ("svc_bench0", f"svc_bench{1 + number % (CATALOG_INFRA - 1)}"):
                    conn.execute("INSERT INTO service_dependencies (service_id, depends_on_id, managed_by, created_at) "
                                 "VALUES (?, ?, 'api', ?)", (service, needed, now_ms))
                    edges += 1
        conn.execute("UPDATE monitors SET current_state = 'down', status = 'active' WHERE id = ?", (monitors[0],))
    conn.close()
    return {"services": len(monitors), "dependencies": edges}


def parts(path: Path, slug: str) -> dict:
    from upstatd.api.status_pages import _version
    from upstatd.pages import affected, render, view
    from upstatd.pages.bars import DAYS, daily, overall
    from upstatd.pages.summary import summary
    from upstatd.store.rollups import DAY_MS
    from upstatd.store.status_page_view import page_view
    from upstatd.store.uptime import subject_timeline

    conn = _open(path)
    now_ms = round(time.time() * 1000)
    out = {}
    out["page_view_ms"], found = _median_ms(lambda: page_view(conn, slug, now_ms))
    out["catalog_ms"], catalog = _median_ms(lambda: view.read_catalog(conn))
    watched = view.watched(found, catalog.graph)
    out["watched_members"] = len(watched)
    out["causes_ms"], _ = _median_ms(lambda: [affected.causes(catalog.graph, catalog.states, view.subjects(r))
                                              for section in found.sections for r in section.resources])
    out["version_ms"], _ = _median_ms(lambda: _version(conn, slug, watched))
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
    out["build_ms"], shown = _median_ms(lambda: view.build(conn, found, now_ms, "http://127.0.0.1/status/x", catalog))
    out["affected_resources"] = sum(bool(r.affected_by) for section in shown.sections for r in section.resources)
    out["html_ms"], html = _median_ms(lambda: render.page_html(shown))
    out["feed_ms"], _ = _median_ms(lambda: render.feed_rss(shown))
    out["summary_ms"], _ = _median_ms(lambda: json.dumps(summary(shown), separators=(",", ":")))
    out["html_kb"] = round(len(html.encode()) / 1000, 1)
    out["cold_total_ms"] = round(out["page_view_ms"] + out["catalog_ms"] + out["build_ms"] + out["html_ms"]
                                 + out["feed_ms"] + out["summary_ms"], 1)
    conn.close()
    return out


def alternating(path: Path, slug: str, rounds: int = 8) -> dict:
    """On the file with its catalog: view.build and the HTML with the catalog read and with an
    empty one, in turns (the order swapped each round, so a busy machine weighs on both alike);
    the medians, ms. What the catalog costs a render, the rest held equal."""
    from upstatd.catalog.graph import EMPTY
    from upstatd.pages import render, view
    from upstatd.store.status_page_view import page_view

    conn = _open(path)
    now_ms = round(time.time() * 1000)
    found = page_view(conn, slug, now_ms)
    kinds = {"without": lambda: view.Catalog(EMPTY, {}), "with_catalog": lambda: view.read_catalog(conn)}
    times: dict[str, list[float]] = {f"{name}_{part}": [] for name in kinds for part in ("build_ms", "html_ms")}
    for number in range(rounds):
        for name in (list(kinds) if number % 2 else list(reversed(kinds))):
            began = time.perf_counter()
            shown = view.build(conn, found, now_ms, "http://127.0.0.1/status/x", kinds[name]())
            built = time.perf_counter()
            render.page_html(shown)
            times[f"{name}_build_ms"].append((built - began) * 1000)
            times[f"{name}_html_ms"].append((time.perf_counter() - built) * 1000)
    conn.close()
    return {key: round(statistics.median(values), 1) for key, values in times.items()}


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
        without = parts(path, slug)
        catalog = add_catalog(path, slug)
        print(json.dumps({"without": without, "catalog": catalog, "with_catalog": parts(path, slug),
                          "alternating": alternating(path, slug)}, indent=2))
        if args.profile:
            profile(path, slug)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
