"""Scenario `fleet`: the dashboard's read of every monitor, over the real API of
the real daemon (`upstatd run`), on a database with long histories.

`fleet_monitors` TCP monitors (against the bench's HTTP target, probed every
60 s meanwhile), half of them made 400 days ago (a state change every 8 hours
all along, a pause, hourly rollups for 14 days and daily ones for 400, raw
checks for the last 2 days), half made a day ago. The daemon rolls the last
hours up at start, which writes the latency the list shows.

Measured, warm (after one walk), `fleet_walks` times:
- `walk_ms`: GET /api/monitors?limit=100 page after page (starting_after)
  until the list ends: every monitor's state, since, uptime 24h/7d/30d and
  latency p50/p95; median of the walks;
- `status_p99_ms`: GET /api/monitors/{id}/status, p99 over random monitors of
  each group (the worse of the two), and `status_long_x_short`: the median
  of the 400-day group over that of the 1-day group (1 = the history's length
  costs nothing).
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from pathlib import Path

import aiohttp
import uvloop

from bench import scenarios
from bench.daemon import Daemon
from bench.proc import BenchError

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def fleet(ctx: scenarios.Context) -> dict:
    s = ctx.settings
    workdir = ctx.daemon_dir("fleet")
    daemon = Daemon(workdir, [])
    with open(daemon.config, "a") as config:  # a dashboard's walks, not a client to slow down
        config.write("api: {rate_limit: {per_token_minute: 1000000, per_token_hour: 10000000, "
                     "global_minute: 1000000}}\n")
    began = time.monotonic()
    now_ms = round(time.time() * 1000)
    ids = seed(daemon.database, s.fleet_monitors, s.fleet_long_days, ctx.targets.http.port, now_ms)
    seeded = time.monotonic() - began
    ctx.log(f"fleet: seeded {s.fleet_monitors} monitors in {seeded:.1f} s")
    with daemon:
        daemon.start()
        token = (workdir / "admin-token").read_text().strip()
        _wait_for_latency(daemon.database, len(ids), timeout=120)
        result = uvloop.run(_measure(daemon.port, token, ids, s.fleet_walks, s.fleet_status_reads))
        daemon.alive()
    return {"monitors": s.fleet_monitors, "long_days": s.fleet_long_days, "seed_s": round(seeded, 1), **result}


def seed(path: Path, monitors: int, long_days: int, port: int, now_ms: int) -> list[tuple[str, bool]]:
    """The database, written before the daemon starts: [(monitor id, long history?)]."""
    from upstatd.config.schema import Defaults
    from upstatd.monitors import specs
    from upstatd.store import db, rollups
    from upstatd.store import monitors as store

    db.prepare_file(str(path))
    conn = db.connect(str(path))
    db.migrate(conn)
    rng = random.Random(5)
    hour = now_ms - now_ms % HOUR_MS
    rolled_until = hour - 3 * HOUR_MS  # the daemon rolls the last hours up at start
    ids = []
    conn.execute("BEGIN")
    for index in range(monitors):
        long = index % 2 == 0
        created = now_ms - (long_days if long else 1) * DAY_MS
        monitor_id = f"mon_fleet{index:05d}"
        spec, problems = specs.build({"key": monitor_id, "type": "tcp", "url": f"tcp://127.0.0.1:{port}",
                                      "name": f"fleet {index}", "interval": 60}, Defaults())
        if problems:
            raise BenchError(f"fleet: {problems}")
        row = store.insert(conn, monitor_id, spec, created)
        ids.append((monitor_id, long))
        changes, at, state = [], created + 60_000, "up"
        changes.append((row.seq, at, "pending", "up", None, None, None))
        while at + 8 * HOUR_MS < now_ms - 3 * HOUR_MS:  # down for 5 minutes every 8 hours
            at += 8 * HOUR_MS + rng.randrange(-600_000, 600_000)
            changes.append((row.seq, at, "up", "down", None, None, None))
            changes.append((row.seq, at + 300_000, "down", "up", None, None, None))
        conn.executemany(store.INSERT_STATE_CHANGE, changes)
        conn.execute("UPDATE monitors SET current_state = ?, state_since = ? WHERE seq = ?",
                     (state, changes[-1][1], row.seq))
        if long:
            conn.execute("INSERT INTO monitor_pauses (monitor_seq, started_at, ended_at) VALUES (?, ?, ?)",
                         (row.seq, now_ms - 10 * DAY_MS, now_ms - 10 * DAY_MS + HOUR_MS))
        sample = [_check(rng, row.seq, created) for _ in range(60)]
        template = rollups.summarize(row.seq, "hour", 0, [(1, c[4], None, c[8], c[9], None, None, None)
                                                          for c in sample])
        first_hour = max(created - created % HOUR_MS, rolled_until - 14 * DAY_MS)
        hours = [template._replace(start_at=start).row() for start in range(first_hour, rolled_until, HOUR_MS)]
        first_day = created - created % DAY_MS
        days = [template._replace(period="day", start_at=start, checks=1440, ok_checks=1440).row()
                for start in range(first_day, rolled_until - DAY_MS, DAY_MS)]
        conn.executemany(f"INSERT OR REPLACE INTO rollups ({rollups.COLUMNS}) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", hours + days)
    # raw checks in the order they come (seq rises with time: the reads rely on it), a minute at a time
    made = conn.execute("SELECT seq, created_at FROM monitors ORDER BY seq").fetchall()
    for at in range(now_ms - 2 * DAY_MS, now_ms, 60_000):
        seqs = [seq for seq, created in made if created <= at]
        conn.executemany("INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us, status_code, "
                         "error_kind, error_message, resolve_us, connect_us, tls_us, first_byte_us, transfer_us, "
                         "details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [_check(rng, seq, at + offset) for offset, seq in enumerate(seqs)])
    conn.execute("INSERT INTO settings (key, value) VALUES ('rollup_until', ?)", (str(rolled_until),))
    conn.execute("COMMIT")
    conn.close()
    return ids


def _check(rng: random.Random, seq: int, at: int) -> tuple:
    connect = int(2_000 * rng.lognormvariate(0, 0.3))
    return (seq, at, 1, "up", connect + 40, None, None, None, 40, connect, None, None, None, None)


def _wait_for_latency(path: Path, monitors: int, timeout: float) -> None:
    """Until the daemon's first roll-up has written every monitor's latency."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            (count,) = conn.execute("SELECT count(*) FROM monitor_latency").fetchone()
        if count >= monitors:
            return
        time.sleep(0.2)
    raise BenchError(f"fleet: the daemon's roll-up wrote {count} of {monitors} monitors' latency in {timeout:g} s")


async def _measure(port: int, token: str, ids: list[tuple[str, bool]], walks: int, reads: int) -> dict:
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    async with aiohttp.ClientSession(base, headers=headers) as session:
        async def get(path: str) -> dict:
            async with session.get(path) as answer:
                if answer.status != 200:
                    raise BenchError(f"fleet: GET {path} answered {answer.status}: {await answer.text()}")
                return await answer.json()

        async def walk() -> tuple[float, int, int]:
            began, seen, pages, after = time.perf_counter(), 0, 0, None
            while True:
                page = await get("/api/monitors?limit=100" + (f"&starting_after={after}" if after else ""))
                pages += 1
                seen += len(page["data"])
                if any(item["stats"] is None for item in page["data"]):
                    raise BenchError("fleet: a list item without stats")
                if not page["has_more"]:
                    return (time.perf_counter() - began) * 1000, seen, pages
                after = page["data"][-1]["id"]

        _, seen, pages = await walk()  # warm
        if seen != len(ids):
            raise BenchError(f"fleet: the walk saw {seen} of {len(ids)} monitors")
        walk_ms = [(await walk())[0] for _ in range(walks)]
        status_ms: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(reads):
            monitor_id, long = rng.choice(ids)
            began = time.perf_counter()
            body = await get(f"/api/monitors/{monitor_id}/status")
            status_ms[long].append((time.perf_counter() - began) * 1000)
            if body["uptime_30d"] is None:
                raise BenchError(f"fleet: {monitor_id} has no 30-day uptime")
    p99 = {long: sorted(values)[int(0.99 * len(values))] for long, values in status_ms.items()}
    return {"pages": pages, "walk_ms": round(statistics.median(walk_ms), 1),
            "walk_max_ms": round(max(walk_ms), 1), "status_p99_ms": round(max(p99.values()), 2),
            "status_long_p99_ms": round(p99[True], 2), "status_short_p99_ms": round(p99[False], 2),
            "status_long_x_short": round(statistics.median(status_ms[True]) / statistics.median(status_ms[False]), 2)}

