"""Scenario `pages`: a public status page of `pages_resources` monitors with
`pages_days` days of history, served by the real daemon (`upstatd run`) while
`pages_monitors` HTTP monitors probe the bench's HTTP target every
`pages_interval` seconds.

The database is written before the daemon starts, through the store's own
statements: every monitor made `pages_days` days ago (as over the API), the
page's ones with an outage about every two days all along (the state
changes, and a resolved incident with its timeline for each: what the bars
read), hourly rollups for 14 days and daily ones for the whole history, raw
checks for the last two hours. The page itself (sections, resources, status
reports) is made over the API once the daemon is READY, as an operator would.

Measured, with one aiohttp client in the harness process:
- `warm_p50_ms`, `warm_p99_ms`: GET /status/<slug>, `pages_reads` times one
  after another on one keep-alive connection, the body read whole; the page
  as cached (a render at most every 30 s, upstatd.api.status_pages);
- `etag_p99_ms`: the same with If-None-Match (a browser coming back: 304);
- `cold_p50_ms`, `cold_p99_ms`: the first GET after the cache is invalidated
  (a section renamed over the API before each), i.e. the page's rows read,
  every resource's 90-day timeline and incidents read, bars computed, HTML,
  feed and summary rendered; `pages_cold` times;
- `rps`: 200 answers per second over `pages_window` seconds from
  `pages_connections` keep-alive connections, each asking again as soon as
  it has its answer; the window (as long as the cache keeps a render) starts
  with a change, so it holds one render, as a busy page's 30 s do; with the
  daemon's and the client's CPU;
- lateness: for every check stored in a window, how long after its slot on
  the grid (phase + k × interval on CLOCK_MONOTONIC, which the daemon's
  scheduler uses and this process shares) the probe's result was recorded
  (the scheduler's lateness plus the probe itself, ~1 ms on loopback): p99 in
  an idle window and in the load window, and `lateness_p99_delta_ms`. The
  daemon's /healthz lateness is over its last 50,000 timer firings (500 s at
  this rate), too long for a window: kept for reference, with `skipped_late`.
"""

from __future__ import annotations

import asyncio
import math
import random
import resource
import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

import aiohttp
import uvloop

from bench import scenarios
from bench.daemon import Daemon
from bench.proc import BenchError

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
RAW_HOURS = 2          # raw checks seeded (the page reads none; rollups and state changes are what it keeps)
OUTAGE_EVERY_MS = 2 * DAY_MS
REGIONS = ("eu-west", "eu-central", "us-east", "us-west", "ap-south")


def pages(ctx: scenarios.Context) -> dict:
    s = ctx.settings
    workdir = ctx.daemon_dir("pages")
    daemon = Daemon(workdir, [])
    with open(daemon.config, "a") as config:  # an operator building a page, not a client to slow down
        config.write("api: {rate_limit: {per_token_minute: 1000000, per_token_hour: 10000000, "
                     "global_minute: 1000000}}\n")
    began = time.monotonic()
    now_ms = round(time.time() * 1000)
    seeded = seed(daemon.database, s.pages_monitors, s.pages_resources, s.pages_days, s.pages_interval,
                  ctx.targets.http.port, now_ms)
    seed_s = time.monotonic() - began
    ctx.log(f"pages: seeded {s.pages_monitors} monitors ({s.pages_resources} with {s.pages_days} days "
            f"of history) in {seed_s:.1f} s")
    with daemon:
        daemon.start()
        token = (workdir / "admin-token").read_text().strip()
        made = uvloop.run(make_page(daemon.port, token, seeded["page"], s.pages_sections))
        _wait_for_probes(daemon, s.pages_monitors, timeout=3 * s.pages_interval + 30)
        result = uvloop.run(measure(daemon, token, made, s))
        daemon.alive()
        daemon.stop()
    keys = seeded["keys"]
    for window in ("idle", "load"):
        w0, w1 = result.pop(f"{window}_wall")
        delays = slot_delays(daemon.database, keys, s.pages_interval, w0, w1, result["wall_minus_mono"])
        if len(delays) < 0.9 * len(keys) * (w1 - w0) / s.pages_interval:
            raise BenchError(f"pages: {len(delays)} checks stored in the {window} window of {w1 - w0:.1f} s, "
                             f"expected about {len(keys) * (w1 - w0) / s.pages_interval:.0f}")
        result[f"{window}_checks"] = len(delays)
        result[f"{window}_lateness_p50_ms"] = _pct(delays, 0.5)
        result[f"{window}_lateness_p99_ms"] = _pct(delays, 0.99)
        result[f"{window}_lateness_max_ms"] = _pct(delays, 1.0)
    result["lateness_p99_delta_ms"] = round(result["load_lateness_p99_ms"] - result["idle_lateness_p99_ms"], 2)
    del result["wall_minus_mono"]
    return {"monitors": s.pages_monitors, "resources": s.pages_resources, "days": s.pages_days,
            "interval_s": s.pages_interval, "window_s": s.pages_window, "seed_s": round(seed_s, 1), "page_kb": round(made.html_bytes / 1000, 1),
            "state_changes": seeded["state_changes"], "incidents": seeded["incidents"], **result}


# -- the database ---------------------------------------------------------------------------

def seed(path: Path, monitors: int, on_page: int, days: int, interval: int, port: int, now_ms: int) -> dict:
    """Write the database before the daemon starts: {"page": [monitor ids shown], "keys": {seq: key},
    "state_changes": n, "incidents": n}."""
    from upstatd.config.schema import Defaults
    from upstatd.ids import new_id
    from upstatd.monitors import specs
    from upstatd.store import db, rollups
    from upstatd.store import incidents
    from upstatd.store import monitors as store
    from upstatd.store.incidents import Incident

    db.prepare_file(str(path))
    conn = db.connect(str(path))
    db.migrate(conn)
    rng = random.Random(15)
    hour = now_ms - now_ms % HOUR_MS
    rolled_until = hour - HOUR_MS  # the daemon rolls the last hour up at start
    created = now_ms - days * DAY_MS - HOUR_MS
    shown, keys, changes_n, incidents_n = [], {}, 0, 0
    conn.execute("BEGIN")
    for index in range(monitors):
        monitor_id = f"mon_page{index:05d}"
        spec, problems = specs.build({"key": monitor_id, "type": "http", "url": f"http://127.0.0.1:{port}/",
                                      "name": f"{REGIONS[index % len(REGIONS)]} service {index}",
                                      "interval": interval}, Defaults())
        if problems:
            raise BenchError(f"pages: {problems}")
        row = store.insert(conn, monitor_id, spec, created)
        keys[row.seq] = monitor_id
        at = created + 10_000
        changes = [(row.seq, at, "pending", "up", None, None, None)]
        if index < on_page:  # an outage of 1 to 30 minutes about every two days, each its incident
            shown.append(monitor_id)
            while True:
                at += round(rng.expovariate(1 / OUTAGE_EVERY_MS))
                ends = at + rng.randint(60_000, 1_800_000)
                if ends >= now_ms - 3 * HOUR_MS:
                    break
                changes += [(row.seq, at, "up", "down", None, "connection_error", "connection refused"),
                            (row.seq, ends, "down", "up", None, None, None)]
                incident = Incident(new_id("inc"), "resolved", "critical", "connection_error", "system",
                                    f"{spec.name} is down", "connection refused", monitor_id, at, at, ends,
                                    resolved_at=ends, affected=[monitor_id])
                incidents.execute(conn, incidents.insert_statements(incident) + [
                    incidents.update_statement(incident.id, at, "created", "open", None, "system"),
                    incidents.update_statement(incident.id, ends, "resolved", "resolved", None, "system")])
                incidents_n += 1
                at = ends
        conn.executemany(store.INSERT_STATE_CHANGE, changes)
        changes_n += len(changes)
        conn.execute("UPDATE monitors SET current_state = 'up', state_since = ? WHERE seq = ?",
                     (changes[-1][1], row.seq))
        sample = [_check(rng, row.seq, created) for _ in range(60)]
        template = rollups.summarize(row.seq, "hour", 0, [(1, c[4], None, c[8], c[9], None, c[11], c[12])
                                                          for c in sample])
        hours = [template._replace(start_at=start).row()
                 for start in range(rolled_until - 14 * DAY_MS, rolled_until, HOUR_MS)]
        per_day = DAY_MS // (interval * 1000)
        day_rows = [template._replace(period="day", start_at=start, checks=per_day, ok_checks=per_day).row()
                    for start in range(created - created % DAY_MS, rolled_until - DAY_MS, DAY_MS)]
        conn.executemany(f"INSERT OR REPLACE INTO rollups ({rollups.COLUMNS}) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", hours + day_rows)
    # raw checks in the order they come (seq rises with time: the reads rely on it)
    seqs = sorted(keys)
    step = interval * 1000
    for at in range(now_ms - RAW_HOURS * HOUR_MS, now_ms, step):
        conn.executemany("INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us, status_code, "
                         "error_kind, error_message, resolve_us, connect_us, tls_us, first_byte_us, transfer_us, "
                         "details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [_check(rng, seq, at + i * step // len(seqs)) for i, seq in enumerate(seqs)])
    conn.execute("INSERT INTO settings (key, value) VALUES ('rollup_until', ?)", (str(rolled_until),))
    conn.execute("COMMIT")
    conn.close()
    return {"page": shown, "keys": keys, "state_changes": changes_n, "incidents": incidents_n}


def _check(rng: random.Random, seq: int, at: int) -> tuple:
    """An HTTP check row on loopback, shaped as MonitorService.record makes it (µs)."""
    connect, first_byte = int(80 * rng.lognormvariate(0, 0.3)), int(600 * rng.lognormvariate(0, 0.3))
    return (seq, at, 1, "up", 30 + connect + first_byte + 40, 200, None, None, 30, connect, None, first_byte, 40,
            None)


# -- the page, over the API -------------------------------------------------------------------

class Made(NamedTuple):
    page_id: str
    slug: str
    section_id: str      # the section the cold renders rename
    section_name: str
    html_bytes: int


async def make_page(port: int, token: str, monitor_ids: list[str], sections: int) -> Made:
    """The published page with its sections, resources and reports."""
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(base, headers={"Authorization": f"Bearer {token}"}) as session:
        async def call(method: str, path: str, body: dict | None = None) -> dict:
            async with session.request(method, path, json=body) as answer:
                if answer.status not in (200, 201):
                    raise BenchError(f"pages: {method} {path} answered {answer.status}: {await answer.text()}")
                return await answer.json()

        page = await call("POST", "/api/status-pages", {
            "name": "Example Cloud", "slug": "cloud", "published": True, "accent_color": "#3366ff",
            "footer_text": "Operated by the example platform team."})
        path = f"/api/status-pages/{page['id']}"
        made = [await call("POST", f"{path}/sections", {"name": f"{REGIONS[i % len(REGIONS)]} services"})
                for i in range(sections)]
        shown = []
        for index, monitor_id in enumerate(monitor_ids):
            section = made[index * sections // len(monitor_ids)]
            shown.append(await call("POST", f"{path}/resources", {
                "monitor_id": monitor_id, "section_id": section["id"], "public_name": f"API {index:03d}"}))
        reports = [("Elevated error rates on checkout", ["identified", "monitoring"], False),
                   ("Slow responses from search", ["identified"], False),
                   ("Login failures for some users", ["identified", "resolved"], True),
                   ("Delayed e-mail notifications", ["monitoring", "resolved"], True),
                   ("Partial outage of file uploads", ["identified", "monitoring", "resolved"], True)]
        for number, (title, statuses, _) in enumerate(reports):
            report = await call("POST", f"{path}/reports", {
                "title": title, "message": "We are looking into it.",
                "affected_resource_ids": [shown[(number * 7) % len(shown)]["id"]]})
            for status in statuses:
                await call("POST", f"{path}/reports/{report['id']}/updates",
                           {"status": status, "message": f"Now {status}: the details of what we know."})
        async with session.get(f"/status/{page['slug']}") as answer:
            if answer.status != 200:
                raise BenchError(f"pages: GET /status/{page['slug']} answered {answer.status}")
            html = await answer.read()
    bars = html.count(b'class="bars"')
    if bars != len(monitor_ids):
        raise BenchError(f"pages: the page shows {bars} resources with bars of {len(monitor_ids)}")
    return Made(page["id"], page["slug"], made[0]["id"], made[0]["name"], len(html))


def _wait_for_probes(daemon: Daemon, monitors: int, timeout: float) -> None:
    """Until every monitor was probed once (each then probes on its slot)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        daemon.alive()
        if daemon.health()["scheduler"]["launched"] >= monitors:
            return
        time.sleep(0.2)
    raise BenchError(f"pages: fewer than {monitors} probes launched within {timeout:g} s")


# -- measuring --------------------------------------------------------------------------------

async def measure(daemon: Daemon, token: str, made: Made, s) -> dict:
    base = f"http://127.0.0.1:{daemon.port}"
    page = f"/status/{made.slug}"
    out: dict = {"wall_minus_mono": time.time() - time.monotonic()}
    api = aiohttp.ClientSession(base, headers={"Authorization": f"Bearer {token}"})
    async with api, aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=1)) as one:
        async def get(headers: dict | None = None, want: int = 200) -> tuple[float, str]:
            began = time.perf_counter()
            async with one.get(page, headers=headers) as answer:
                await answer.read()
                if answer.status != want:
                    raise BenchError(f"pages: GET {page} answered {answer.status}, not {want}")
                return (time.perf_counter() - began) * 1000, answer.headers.get("ETag", "")

        _, etag = await get()  # warm (the cache, the connection)
        warm = [(await get())[0] for _ in range(s.pages_reads)]
        out.update(warm_p50_ms=_pct_ms(warm, 0.5), warm_p99_ms=_pct_ms(warm, 0.99), warm_max_ms=_pct_ms(warm, 1.0))
        etags = [(await get({"If-None-Match": etag}, 304))[0] for _ in range(s.pages_reads)]
        out["etag_p99_ms"] = _pct_ms(etags, 0.99)
        cold = await _cold(api, made, get, s.pages_cold)
        out.update(cold_p50_ms=_pct_ms(cold, 0.5), cold_p99_ms=_pct_ms(cold, 0.99), cold_renders=len(cold))

        # lateness idle, then as long under load: a busy page's steady state, the window as long as
        # the cache keeps a render (30 s) and starting with a change, so it holds one render
        h0 = daemon.health()
        w0 = time.time()
        await asyncio.sleep(s.pages_window)
        out["idle_wall"] = (w0, time.time())
        h1, cpu0, rusage0 = daemon.health(), daemon.cpu(), resource.getrusage(resource.RUSAGE_SELF)
        load = await _load(base + page, s.pages_connections, s.pages_window, changed=lambda: _rename(api, made, 1))
    h2, cpu1, rusage1 = daemon.health(), daemon.cpu(), resource.getrusage(resource.RUSAGE_SELF)
    out["load_wall"] = load.pop("wall")
    seconds = out["load_wall"][1] - out["load_wall"][0]
    out.update(load)
    out["rps"] = round(load["answers"] / seconds, 1)
    out["daemon_cpu_percent"] = round((cpu1 - cpu0) * 100 / seconds, 1)
    out["client_cpu_percent"] = round((rusage1.ru_utime + rusage1.ru_stime - rusage0.ru_utime - rusage0.ru_stime)
                                      * 100 / seconds, 1)
    out["idle_skipped_late"] = h1["scheduler"]["skipped_late"] - h0["scheduler"]["skipped_late"]
    out["load_skipped_late"] = h2["scheduler"]["skipped_late"] - h1["scheduler"]["skipped_late"]
    out["healthz_lateness_p99_ms"] = h2["scheduler"]["lateness_ms"]["p99"]
    return out


async def _rename(api: aiohttp.ClientSession, made: Made, number: int) -> None:
    """A change to the page (its first section renamed, back and forth): the cache must render again."""
    path = f"/api/status-pages/{made.page_id}/sections/{made.section_id}"
    async with api.patch(path, json={"name": f"{made.section_name} ({number % 2})"}) as answer:
        if answer.status != 200:
            raise BenchError(f"pages: renaming a section answered {answer.status}: {await answer.text()}")


async def _cold(api: aiohttp.ClientSession, made: Made, get, count: int) -> list[float]:
    """The first GET after each change of the page."""
    out, etag = [], None
    for number in range(count):
        await _rename(api, made, number)
        ms, new = await get()
        if new == etag:
            raise BenchError("pages: the page's ETag did not change after a section was renamed (not a new render)")
        out.append(ms)
        etag = new
    return out


async def _load(url: str, connections: int, window: float, headers: dict | None = None, want: int = 200,
                changed=None) -> dict:
    """`connections` keep-alive clients asking back to back for `window` seconds (after
    `changed()`, when given: the page changes as the window starts)."""
    answers, latencies = 0, []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:
        async def ask() -> None:
            async with session.get(url, headers=headers) as answer:
                await answer.read()
                if answer.status != want:
                    raise BenchError(f"pages: GET {url} under load answered {answer.status}")

        async def one() -> None:
            nonlocal answers
            while (now := time.perf_counter()) < ends:
                await ask()
                latencies.append((time.perf_counter() - now) * 1000)
                answers += 1

        await asyncio.gather(*(ask() for _ in range(connections)))  # the connections open before the window
        if changed is not None:
            await changed()
        w0, ends = time.time(), time.perf_counter() + window
        await asyncio.gather(*(one() for _ in range(connections)))
        w1 = time.time()
    return {"answers": answers, "wall": (w0, w1), "load_p50_ms": _pct_ms(latencies, 0.5),
            "load_p99_ms": _pct_ms(latencies, 0.99)}


def slot_delays(database: Path, keys: dict[int, str], interval: int, w0: float, w1: float,
                wall_minus_mono: float) -> list[float]:
    """Seconds from each check's slot to its recording, for the checks stored in [w0, w1)."""
    from upstatd.monitors.service import phase_offset

    phase = {seq: phase_offset(key, interval) for seq, key in keys.items()}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT monitor_seq, created_at FROM checks WHERE created_at >= ? AND created_at < ?",
                            (round(w0 * 1000), round(w1 * 1000))).fetchall()
    out = []
    for seq, created_at in rows:
        mono = created_at / 1000 - wall_minus_mono
        offset = phase[seq]
        slot = offset + math.floor((mono - offset) / interval) * interval
        out.append(mono - slot)
    return out


def _pct(values: list[float], p: float) -> float:
    """p of seconds, in ms."""
    return _pct_ms([v * 1000 for v in values], p)


def _pct_ms(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2) if ordered else 0.0

