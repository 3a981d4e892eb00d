"""Scenario `retention`: days of checks through the real writer, rolled up and
pruned as the daemon does it (store/rollups.py), to show the file stops
growing once retention is reached, and what it weighs at the defaults.

A year of 1,000 monitors is 525 M rows, an hour and a half of writing alone;
so the simulation shortens the retention of raw checks (`retention_keep`
days, hourly rollups a day more) and runs a few days past it, each simulated hour's checks written,
then rolled up and pruned. Measured: the file size at each day's end (flat
within x % once retention is reached), the bytes of a raw check row, an
hourly and a daily rollup row, and from those the size at the defaults
(14 days of raw checks, 35 of hourly rollups, 400 of daily ones) for 1,000
monitors at 60 s. Reads on that file: /status's figures and a 400-day SLA
(the store functions the routes call), p99 over random monitors.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

import uvloop

from bench import scenarios
from upstatd.store import rollups, sla, uptime
from upstatd.store.rollups import DAY_MS, HOUR_MS

DEFAULT_DAYS = {"checks": 14, "hourly": 35, "daily": 400}
FLEET = 1000


def retention(ctx: scenarios.Context) -> dict:
    s = ctx.settings
    workdir = ctx.daemon_dir("retention")
    try:
        return uvloop.run(_retention(workdir / "retention.db", s.retention_monitors, s.retention_days,
                                     s.retention_keep, ctx.log))
    finally:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


async def _file_bytes(path: Path) -> int:
    return sum(os.path.getsize(f"{path}{suffix}") for suffix in ("", "-wal") if os.path.exists(f"{path}{suffix}"))


async def _retention(path: Path, monitors: int, days: int, keep: int, log) -> dict:
    conn, writer = await scenarios._open_writer(path)
    rng = random.Random(3)
    kinds = [rng.choice(scenarios.MIX["http"]) for _ in range(monitors)]
    phase = [rng.randrange(60_000) for _ in range(monitors)]
    start = 1_750_000_000_000 - 1_750_000_000_000 % DAY_MS
    sizes: list[int] = []
    began = time.monotonic()
    try:
        for hour in range(days * 24):
            base = start + hour * HOUR_MS
            for minute in range(60):
                for seq in range(1, monitors + 1):
                    writer.checks.add(scenarios.check_row(rng, seq, kinds[seq - 1], base + minute * 60_000
                                                          + phase[seq - 1]))
                while writer.pending > 20_000:
                    await asyncio.sleep(0.002)
            now_ms = base + HOUR_MS + rollups.LAG_MS
            while writer.pending:
                await asyncio.sleep(0.002)
            await writer.flush()
            while (batch := await conn.call(rollups.pending, now_ms)) is not None:
                await writer.run(lambda c, b=batch: rollups.save(c, b))
            # hourly rollups kept a day longer than raw checks here (35 days at the defaults), so
            # that both reach their retention within the run
            while await writer.run(lambda c: rollups.prune(c, now_ms, keep * DAY_MS, DEFAULT_DAYS["daily"] * DAY_MS,
                                                           (keep + 1) * DAY_MS)) >= rollups.PRUNE_BATCH:
                pass
            if (hour + 1) % 24 == 0:
                await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
                sizes.append(await _file_bytes(path))
                log(f"retention: day {len(sizes)}: {sizes[-1] / 1e6:.1f} MB")
        wrote = time.monotonic() - began
        counts = {name: (await conn.execute_fetchall(sql))[0][0] for name, sql in (
            ("checks", "SELECT count(*) FROM checks"),
            ("hourly", "SELECT count(*) FROM rollups WHERE period = 'hour'"),
            ("daily", "SELECT count(*) FROM rollups WHERE period = 'day'"))}
        ((check_bytes,),) = await conn.execute_fetchall(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('checks', 'checks_by_monitor')")
        ((rollup_bytes,),) = await conn.execute_fetchall(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('rollups', 'rollups_by_time')")
        row_bytes = {"checks": check_bytes / max(1, counts["checks"])}
        row_bytes["hourly"] = row_bytes["daily"] = rollup_bytes / max(1, counts["hourly"] + counts["daily"])
        per_day_rows = FLEET * 1440
        projected = (row_bytes["checks"] * per_day_rows * DEFAULT_DAYS["checks"]
                     + row_bytes["hourly"] * FLEET * 24 * DEFAULT_DAYS["hourly"]
                     + row_bytes["daily"] * FLEET * DEFAULT_DAYS["daily"])
        # reads on this file: /status's figures and a 400-day SLA of random monitors
        now_ms = start + days * DAY_MS
        status_ms, sla_ms = [], []
        for _ in range(200):
            seq = rng.randint(1, monitors)
            t0 = time.perf_counter()
            await conn.call(uptime.monitor_figures, seq, start, now_ms)
            t1 = time.perf_counter()
            await conn.call(sla.monitor_sla, seq, f"mon_{seq}", start, now_ms - 400 * DAY_MS, now_ms, now_ms)
            t2 = time.perf_counter()
            status_ms.append((t1 - t0) * 1000)
            sla_ms.append((t2 - t1) * 1000)
    finally:
        await scenarios.drain(writer)
        await conn.close()
    steady = sizes[keep + 2:] or sizes[-1:]  # once both raw checks and hourly rollups are at retention
    flat = (max(steady) - min(steady)) / max(1, min(steady)) * 100
    return {"monitors": monitors, "days": days, "keep_days": keep, "write_s": round(wrote, 1),
            "rows": counts, "day_sizes_mb": [round(size / 1e6, 2) for size in sizes],
            "flat_pct": round(flat, 2), "bytes_per_check_row": round(row_bytes["checks"], 1),
            "bytes_per_rollup_row": round(row_bytes["hourly"], 1),
            "projected_gb": round(projected / 1e9, 3),
            "status_p99_ms": round(sorted(status_ms)[int(0.99 * len(status_ms))], 2),
            "sla_400d_p99_ms": round(sorted(sla_ms)[int(0.99 * len(sla_ms))], 2)}
