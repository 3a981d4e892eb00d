"""The scenarios (the fifth, pings, is in bench.pings; the sixth, webhooks, in bench.webhooks; the eighth,
metrics, in bench.metrics; the eleventh, regions, in bench.regions). Each is one function
taking the Context and returning a dict of measurements for one run;
bench.report takes medians over runs.

CPU per probe = delta (utime + stime) of the measured process over the
window / probes completed in the window; the warm-up before the window is
never counted.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import msgspec
import uvloop

from bench import proc
from bench.daemon import Daemon, monitor
from bench.peer import Blackbox, targets_for
from bench.metrics import metrics
from bench.pings import pings, tokens
from bench.webhooks import webhooks
from bench.proc import BenchError, Helper
from bench.targets import Targets

KINDS = ("http", "tcp", "icmp", "dns")
QUEUED = 50_000  # rows the storage producer keeps waiting for the writer
MAX_FAILED = 0.01  # more failed probes than this share means the setup is broken, not slow


@dataclass(frozen=True)
class Settings:
    smoke: bool = False
    # 1. probe cost: `cost_rate` monitors at 1 s, floors and blackbox at the same rate
    cost_rate: int = 1000
    cost_warmup: float = 5.0
    cost_window: float = 25.0
    # 2. scale
    scale_monitors: int = 10_000
    scale_interval: int = 10
    scale_warmup: float = 15.0
    scale_window: float = 120.0
    # 3. size
    size_monitors: int = 100_000
    size_interval: int = 300
    size_settle: float = 5.0
    size_window: float = 30.0
    size_heartbeats: int = 100_000   # 3b. size-heartbeats: as many heartbeats, settle and window as size's
    # 4. storage
    writer_warmup: float = 2.0
    writer_window: float = 10.0
    writer_monitors: int = 10_000
    day_monitors: int = 200
    # 5. pings (bench.pings): heartbeats pinged by wrk over keep-alive connections, then a connection per ping
    pings_heartbeats: int = 1000
    pings_connections: int = 128
    pings_threads: int = 2
    pings_warmup: float = 5.0
    pings_window: float = 30.0
    pings_cron_window: float = 30.0  # then a new connection per ping (Connection: close), as curl from cron
    pings_min_rate: float = 0.0  # below this many pings/s a run is an error (smoke: broken, not slow)
    # 6. webhooks (bench.webhooks): flipping heartbeats' events POSTed to endpoints answering in ~1 ms
    hooks_endpoints: int = 1
    hooks_heartbeats: int = 200
    hooks_monitors: int = 500         # HTTP monitors probing beside (the writer's usual load: it lingers)
    hooks_monitor_interval: int = 5
    hooks_flips_per_s: float = 250.0  # each flip is two events (the heartbeat's, its incident's)
    hooks_delay_ms: float = 1.0
    hooks_warmup: float = 5.0
    hooks_window: float = 20.0
    hooks_drain: float = 30.0         # seconds the backlog may take to arrive after the load stops
    hooks_min_rate: float = 0.0       # below this many events/s a run is an error (smoke: broken, not slow)
    # 7. retention (bench.retention): days of checks rolled up and pruned, raw kept `retention_keep` days
    retention_monitors: int = 1000
    retention_days: int = 7
    retention_keep: int = 2
    # 8. metrics (bench.metrics): /metrics scrapes of synthetic monitors, in process
    metrics_monitors: int = 100_000
    metrics_window: float = 10.0      # s: idle, then as long with scrapes back to back
    # 9. fleet (bench.fleet): the monitors list walked and /status read over the API, long histories
    fleet_monitors: int = 1000
    fleet_long_days: int = 400
    fleet_walks: int = 21
    fleet_status_reads: int = 1000
    # 10. pages (bench.pages): a status page of `pages_resources` monitors with `pages_days` days of history
    pages_monitors: int = 1000        # HTTP monitors probing at `pages_interval` meanwhile, the page's among them
    pages_resources: int = 100
    pages_sections: int = 5
    pages_days: int = 90
    pages_interval: int = 10
    pages_reads: int = 1000           # sequential GETs (warm; then as many with If-None-Match)
    pages_cold: int = 30              # first renders after a change
    pages_connections: int = 8
    pages_window: float = 30.0        # s: idle, then as long under load (the cache's 30 s: one render in it)
    # 11. regions (bench.regions): one daemon probing vs a daemon and two agents, at each one's ceiling
    regions_monitors: int = 10_000
    regions_interval: int = 1         # s: 10,000 probes/s offered, more than either side can do here
    regions_max_in_flight: int = 500   # the daemon's and each agent's: at the ceiling, more only waits longer
    regions_warmup: float = 15.0
    regions_window: float = 30.0
    regions_pin_settle: float = 5.0   # s between pinning A (and the targets) to one CPU and that window


FULL = Settings()
SMOKE = Settings(smoke=True, cost_rate=100, cost_warmup=1.5, cost_window=2.0,
                 scale_monitors=1000, scale_warmup=3.0, scale_window=6.0,
                 size_monitors=5000, size_heartbeats=5000, size_settle=1.0, size_window=5.0,
                 writer_warmup=0.5, writer_window=2.0, writer_monitors=1000, day_monitors=20,
                 pings_warmup=1.0, pings_window=3.0, pings_cron_window=3.0, pings_min_rate=250.0,
                 hooks_heartbeats=50, hooks_monitors=100, hooks_monitor_interval=1, hooks_flips_per_s=100.0, hooks_warmup=1.0, hooks_window=3.0,
                 hooks_drain=10.0, hooks_min_rate=20.0, retention_monitors=20, retention_days=4, retention_keep=1,
                 metrics_monitors=5000, metrics_window=2.0,
                 fleet_monitors=100, fleet_long_days=30, fleet_walks=5, fleet_status_reads=200,
                 pages_monitors=100, pages_resources=20, pages_sections=2, pages_days=10, pages_interval=5,
                 pages_reads=100, pages_cold=5, pages_window=2.0,
                 regions_monitors=300, regions_warmup=3.0, regions_window=4.0, regions_pin_settle=1.0)


@dataclass
class Context:
    settings: Settings
    targets: Targets
    workdir: Path
    blackbox: str | None          # the binary, or None: the peer is n/a
    log: Callable[[str], None]
    wrk: str | None = None        # the binary, or None: bench.pingload drives the pings scenario

    def daemon_dir(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))


# -- measuring a window ------------------------------------------------------------------

@dataclass
class Window:
    count0: int
    count1: int
    failed0: int
    failed1: int
    cpu: float       # seconds of CPU of the measured process in the window
    seconds: float   # wall seconds of the window
    wall0: float     # Unix time at both ends (to select stored checks)
    wall1: float


def measure(pid: int, counters: Callable[[], tuple[int, int]], warmup: float, window: float,
            alive: Callable[[], None] = lambda: None) -> Window:
    """Sleep through the warm-up, then read counters and CPU at both ends of the window."""
    time.sleep(warmup)
    alive()
    (n0, f0), cpu0, t0, w0 = counters(), proc.cpu_seconds(pid), time.monotonic(), time.time()
    time.sleep(window)
    alive()
    (n1, f1), cpu1, t1, w1 = counters(), proc.cpu_seconds(pid), time.monotonic(), time.time()
    return Window(n0, n1, f0, f1, cpu1 - cpu0, t1 - t0, w0, w1)


def cost(probes: int, failed: int, cpu: float, seconds: float, who: str) -> dict:
    if probes <= 0:
        raise BenchError(f"{who}: no probe completed in the window")
    return {"probes": probes, "failed": failed, "rate": round(probes / seconds, 1),
            "cpu_s": round(cpu, 3), "cpu_percent": round(cpu * 100 / seconds, 2),
            "cpu_us_per_probe": round(cpu * 1e6 / probes, 1),
            "probes_per_cpu_s": round(probes / cpu, 1) if cpu > 0 else None}


def check_failures(result: dict, who: str, detail: str = "") -> None:
    if result["failed"] > MAX_FAILED * result["probes"]:
        raise BenchError(f"{who}: {result['failed']} of {result['probes']} probes failed {detail}".rstrip())


def helper_counters(helper: Helper) -> Callable[[], tuple[int, int]]:
    def read() -> tuple[int, int]:
        mark = helper.mark()
        return mark["ok"] + mark["failed"], mark["failed"]
    return read


# -- 1. probe cost -------------------------------------------------------------------------

def probe_cost(ctx: Context) -> dict:
    s = ctx.settings
    out: dict = {"rate": s.cost_rate, "window_s": s.cost_window}
    with Blackbox(ctx.blackbox, ctx.workdir) if ctx.blackbox else nullcontext() as blackbox:
        for kind in KINDS:
            if kind == "icmp" and not ctx.targets.icmp:
                continue
            floor = _floor_cost(ctx, kind)
            ours = _daemon_cost(ctx, kind)
            row = {"upstatd": ours, "floor": floor,
                   "x_floor": round(ours["cpu_us_per_probe"] / floor["cpu_us_per_probe"], 2)}
            if blackbox is not None:
                peer = _peer_cost(ctx, blackbox, kind)
                row["peer"] = peer
                if "cpu_us_per_probe" in peer:
                    row["peer_x"] = round(peer["cpu_us_per_probe"] / ours["cpu_us_per_probe"], 2)
            out[kind] = row
            ctx.log(f"  {kind}: upstatd {ours['cpu_us_per_probe']} us/probe, floor "
                    f"{floor['cpu_us_per_probe']}, blackbox {row.get('peer', {}).get('cpu_us_per_probe', 'n/a')}")
    return out


def _floor_cost(ctx: Context, kind: str) -> dict:
    s = ctx.settings
    port = ctx.targets.dns.port if kind == "dns" else ctx.targets.http.port
    helper = Helper("bench.floors", kind, "--port", str(port), "--rate", str(s.cost_rate),
                    "--duration", str(s.cost_warmup + s.cost_window + 10), name=f"{kind} floor")
    try:
        w = measure(helper.pid, helper_counters(helper), s.cost_warmup, s.cost_window)
    finally:
        helper.close()
    result = cost(w.count1 - w.count0, w.failed1 - w.failed0, w.cpu, w.seconds, f"{kind} floor")
    check_failures(result, f"{kind} floor")
    return result


def _daemon_cost(ctx: Context, kind: str) -> dict:
    s = ctx.settings
    monitors = [monitor(f"{kind}-{i}", kind, ctx.targets, "1s", "1s") for i in range(s.cost_rate)]
    workdir = ctx.daemon_dir(f"cost-{kind}")
    try:
        with Daemon(workdir, monitors) as daemon:
            daemon.start()

            def launched() -> tuple[int, int]:
                return daemon.health()["scheduler"]["launched"], 0

            w = measure(daemon.pid, launched, s.cost_warmup, s.cost_window, daemon.alive)
            daemon.stop()
            # Probes completed in the window, as stored: the checks with created_at inside it.
            stored, failed = daemon.checks(w.wall0, w.wall1)
            result = cost(stored, failed, w.cpu, w.seconds, f"upstatd {kind}")
            result["launched"] = w.count1 - w.count0
            check_failures(result, f"upstatd {kind}", "; ".join(daemon.failures()))
            return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _peer_cost(ctx: Context, blackbox: Blackbox, kind: str) -> dict:
    s = ctx.settings
    driver = blackbox.driver(kind, targets_for(ctx.targets)[kind], s.cost_rate,
                             s.cost_warmup + s.cost_window + 10)
    try:
        w = measure(blackbox.pid, helper_counters(driver), s.cost_warmup, s.cost_window, blackbox.alive)
    finally:
        driver.close()
    result = cost(w.count1 - w.count0, w.failed1 - w.failed0, w.cpu, w.seconds, f"blackbox {kind}")
    if result["failed"] > MAX_FAILED * result["probes"]:
        # The peer is someone else's program: report it as n/a with the reason, don't stop the bench.
        return {"error": f"{result['failed']} of {result['probes']} blackbox probes failed", **result,
                "cpu_us_per_probe": None}
    return result


# -- 2. scale ------------------------------------------------------------------------------

def scale(ctx: Context) -> dict:
    s = ctx.settings
    interval = s.scale_interval
    monitors = [monitor(f"scale-{i}", "http", ctx.targets, f"{interval}s", "5s")
                for i in range(s.scale_monitors)]
    workdir = ctx.daemon_dir("scale")
    try:
        with Daemon(workdir, monitors, max_in_flight=5000) as daemon:
            ready = daemon.start()
            time.sleep(s.scale_warmup)
            daemon.alive()
            h0, cpu0, t0, w0 = daemon.health(), daemon.cpu(), time.monotonic(), time.time()
            rss = []
            while (left := t0 + s.scale_window - time.monotonic()) > 0:
                time.sleep(min(1.0, left))
                daemon.alive()
                rss.append(daemon.rss_mib())
            h1, cpu1, t1, w1 = daemon.health(), daemon.cpu(), time.monotonic(), time.time()
            peak = daemon.peak_rss_mib()
            daemon.stop()
            stored, failed = daemon.checks(w0, w1)
            failures = daemon.failures()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    a, b = h0["scheduler"], h1["scheduler"]
    seconds = t1 - t0
    launched = b["launched"] - a["launched"]
    scheduled = (b["due"] - a["due"]) + (b["skipped_late"] - a["skipped_late"])
    expected = s.scale_monitors * seconds / interval
    result = {
        "monitors": s.scale_monitors, "interval_s": interval, "window_s": round(seconds, 1),
        "ready_s": round(ready, 2),
        "scheduled": scheduled, "launched": launched, "expected": round(expected),
        "executed_ratio_pct": round(launched * 100 / scheduled, 3) if scheduled else 0.0,
        "launched_vs_expected_pct": round(launched * 100 / expected, 2),
        "skipped_late": b["skipped_late"] - a["skipped_late"],
        "skipped_busy": b["skipped_busy"] - a["skipped_busy"],
        "skipped_capacity": b["skipped_capacity"] - a["skipped_capacity"],
        "lateness_p50_ms": b["lateness_ms"]["p50"], "lateness_p99_ms": b["lateness_ms"]["p99"],
        # max is since start: when it did not grow during the window, the window's own max is
        # at most this, and the value may come from start-up (see BENCHMARKS.md).
        "lateness_max_ms": b["lateness_ms"]["max"], "lateness_max_at_window_start_ms": a["lateness_ms"]["max"],
        "cpu_percent": round((cpu1 - cpu0) * 100 / seconds, 2),
        "rss_mib": round(max(rss), 1), "peak_rss_mib": round(peak, 1),
        "stored_checks": stored, "failed_checks": failed,
        "store_dropped": h1["store"]["dropped"],
    }
    if failed > MAX_FAILED * max(stored, 1):
        raise BenchError(f"scale: {failed} of {stored} checks failed: {'; '.join(failures)}")
    return result


# -- 3. size -------------------------------------------------------------------------------

def idle_keys(count: int, interval: int, start: float, width: float) -> list[str]:
    """`count` monitor keys whose phase lies in [start, start + width) of the interval (mod it).

    The daemon puts a monitor on the grid phase + k * interval (monotonic clock),
    phase from its key (upstatd.monitors.service.phase_offset, imported so both agree).
    """
    from upstatd.monitors.service import phase_offset

    keys: list[str] = []
    for i in range(count * 100):
        key = f"size-{i}"
        if (phase_offset(key, interval) - start) % interval < width:
            keys.append(key)
            if len(keys) == count:
                return keys
    raise BenchError("could not find keys for the idle window")


def size(ctx: Context) -> dict:
    s = ctx.settings
    interval = s.size_interval
    # Every monitor's phase lies in a 30 s slice that ended 30 s ago, so the next
    # burst of probes is due ~4 minutes from now: start-up and the measured window
    # are all "between bursts", and the window measures the daemon at rest.
    began = time.monotonic()
    keys = idle_keys(s.size_monitors, interval, (began - 60) % interval, 30.0)
    kinds = ("http", "http", "http", "http", "tcp", "tcp", "tcp", "icmp", "icmp", "dns")
    if not ctx.targets.icmp:
        kinds = tuple("tcp" if kind == "icmp" else kind for kind in kinds)
    monitors = [monitor(key, kinds[i % len(kinds)], ctx.targets, f"{interval}s", "10s")
                for i, key in enumerate(keys)]
    workdir = ctx.daemon_dir("size")
    daemon = Daemon(workdir, monitors, max_in_flight=5000)
    idle = _started_and_idle(daemon, workdir, s, began)
    return {"monitors": s.size_monitors, "interval_s": interval, **idle["figures"],
            "probes_in_window": idle["after"]["scheduler"]["launched"] - idle["before"]["scheduler"]["launched"]}


def size_heartbeats(ctx: Context) -> dict:
    """`size_heartbeats` period heartbeats (1 h, grace 1 h, fixed tokens, as bench.pings writes them),
    no monitor: READY, RSS and idle CPU as size measures them. No ping and no deadline falls in
    the window: every one is `new` and waits for its first ping."""
    s = ctx.settings
    beats = [{"key": f"beat-{i}", "period": "1h", "grace": "1h", "token": token}
             for i, token in enumerate(tokens(s.size_heartbeats))]
    workdir = ctx.daemon_dir("size-heartbeats")
    idle = _started_and_idle(Daemon(workdir, [], heartbeats=beats), workdir, s)
    return {"heartbeats": s.size_heartbeats, **idle["figures"],
            "timers_fired_in_window": idle["after"]["scheduler"]["due"] - idle["before"]["scheduler"]["due"]}


def _started_and_idle(daemon: Daemon, workdir: Path, s: Settings, began: float | None = None) -> dict:
    """Start the daemon, then its RSS every second and its CPU over an idle window
    (size_window after size_settle); /healthz at both ends ("before", "after")."""
    config_mib = daemon.config.stat().st_size / 2**20
    try:
        with daemon:
            ready = daemon.start(ready_timeout=150.0)
            if began is not None and time.monotonic() - began + s.size_settle + s.size_window > 200:
                raise BenchError(f"size: READY took {ready:.0f}s, the idle window would run into the probes")
            time.sleep(s.size_settle)
            daemon.alive()
            h0, cpu0, t0 = daemon.health(), daemon.cpu(), time.monotonic()
            rss = []
            while (left := t0 + s.size_window - time.monotonic()) > 0:
                time.sleep(min(1.0, left))
                daemon.alive()
                rss.append(daemon.rss_mib())
            h1, cpu1, t1 = daemon.health(), daemon.cpu(), time.monotonic()
            peak = daemon.peak_rss_mib()
            stopped = daemon.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {"config_mib": round(config_mib, 1), "ready_s": round(ready, 2), "rss_mib": round(max(rss), 1),
               "peak_rss_mib": round(peak, 1), "idle_cpu_percent": round((cpu1 - cpu0) * 100 / (t1 - t0), 2),
               "stop_s": round(stopped, 2)}
    return {"figures": figures, "before": h0, "after": h1}


# -- 4. storage ----------------------------------------------------------------------------

def storage(ctx: Context) -> dict:
    s = ctx.settings
    workdir = ctx.daemon_dir("storage")
    try:
        return uvloop.run(_storage(s, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def _storage(s: Settings, workdir: Path) -> dict:
    out = await writer_rate(workdir / "rate.db", s.writer_monitors, s.writer_warmup, s.writer_window)
    for mix in ("http", "mixed"):
        day = await day_size(workdir / f"day-{mix}.db", s.day_monitors, mix)
        out.update({f"{mix}_{key}": value for key, value in day.items()})
    return out


async def _open_writer(path: Path):
    from upstatd.store import checks, db
    from upstatd.store.checks import CheckLog
    from upstatd.store.writer import Writer

    db.prepare_file(str(path))
    conn = await db.Database.open(str(path))
    await conn.call(db.migrate)
    writer = Writer(conn)
    writer.start()
    writer.checks = CheckLog(writer, await conn.call(checks.next_seq))  # the harness's handle on both
    return conn, writer


async def writer_rate(path: Path, monitors: int, warmup: float, window: float) -> dict:
    """Check rows through the real Writer, real schema and indexes, as fast as it commits.

    The producer keeps up to QUEUED rows waiting (a quarter of the writer's drop
    limit), yielding to the loop between batches of 1,000 as finishing probes
    would, so the writer is never starved. Throughput is measured from the first
    commit after the warm-up to the last one in the window.
    """
    conn, writer = await _open_writer(path)
    rng = random.Random(1)
    kinds = [rng.choice(MIX["http"]) for _ in range(monitors)]
    order = list(range(1, monitors + 1))
    rng.shuffle(order)  # the phase order: each cycle visits monitors in the same scattered order
    # Rows made up front (at least 50,000), so the harness spends its time queueing, not in random().
    pool = [check_row(rng, seq, kinds[seq - 1], 0) for seq in order] * max(1, 50_000 // monitors)
    loop = asyncio.get_running_loop()
    now_ms = round(time.time() * 1000)
    began = loop.time()
    commits: list[tuple[float, int]] = []  # (time seen, rows written) after each commit
    i = 0
    try:
        while loop.time() - began < warmup + window:
            if writer.rows_written != (commits[-1][1] if commits else 0):
                commits.append((loop.time() - began, writer.rows_written))
            if writer.pending >= QUEUED:
                await asyncio.sleep(0.001)
                continue
            for _ in range(1000):
                row = pool[i % len(pool)]
                writer.checks.add((row[0], now_ms + i) + row[2:])
                i += 1
            await asyncio.sleep(0)
        await writer.stop()
    finally:
        await conn.close()
    inside = [(t, rows) for t, rows in commits if warmup <= t <= warmup + window]
    if len(inside) < 2:
        raise BenchError(f"storage: {len(inside)} commits in the {window:g}s window, too few to measure")
    (t0, r0), (t1, r1) = inside[0], inside[-1]
    return {"writer_rows_per_s": round((r1 - r0) / (t1 - t0)), "writer_rows": writer.rows_written,
            "writer_commits": writer.commits, "writer_dropped": writer.dropped,
            "writer_rows_per_commit": round(writer.rows_written / max(1, writer.commits))}


async def day_size(path: Path, monitors: int, mix: str) -> dict:
    """One simulated day at a 60 s interval for `monitors` monitors, through the Writer."""
    conn, writer = await _open_writer(path)
    rng = random.Random(2)
    try:
        empty = await _page_bytes(conn)
        kinds = [rng.choice(MIX[mix]) for _ in range(monitors)]
        phase_ms = sorted((rng.randrange(60_000), seq) for seq in range(1, monitors + 1))
        day_start = 1_750_000_000_000
        for minute in range(1440):
            for phase, seq in phase_ms:
                writer.checks.add(check_row(rng, seq, kinds[seq - 1], day_start + minute * 60_000 + phase))
            while writer.pending > 20_000:
                await asyncio.sleep(0.005)
        await drain(writer)
        files = sum(os.path.getsize(f"{path}{suffix}") for suffix in ("", "-wal") if os.path.exists(f"{path}{suffix}"))
        await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = await _page_bytes(conn)
        ((rows,),) = await conn.execute_fetchall("SELECT count(*) FROM checks")
        await conn.execute_fetchall("VACUUM")
        vacuumed = await _page_bytes(conn)
    finally:
        await conn.close()
    if rows != monitors * 1440:
        raise BenchError(f"storage: {rows} check rows stored of {monitors * 1440} queued")
    return {"monitors": monitors, "rows": rows, "file_bytes": files, "page_bytes": pages,
            "kb_per_monitor_day": round((pages - empty) / monitors / 1000, 1),
            "file_kb_per_monitor_day": round((files - empty) / monitors / 1000, 1),
            "vacuumed_kb_per_monitor_day": round((vacuumed - empty) / monitors / 1000, 1),
            "bytes_per_row": round((pages - empty) / rows, 1)}


async def drain(writer, timeout: float = 60.0) -> None:
    """Stop the writer once every queued row is committed.

    Writer.stop() alone is not enough: a flush() that arrives while a commit
    is running is answered when that commit ends, before the rows queued
    meanwhile are written, and stop() then drops them (reported as a daemon
    bug). Waiting for the queue to empty first makes the flush cover them.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while writer.pending and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    await writer.stop()


async def _page_bytes(conn) -> int:
    ((count,),) = await conn.execute_fetchall("PRAGMA page_count")
    ((size,),) = await conn.execute_fetchall("PRAGMA page_size")
    return count * size


# Realistic check rows, shaped like MonitorService.record(): (monitor_seq, created_at ms, ok,
# state, latency_us, status_code, error_kind, error_message, resolve_us, connect_us, tls_us,
# first_byte_us, transfer_us, details JSON or None).
MIX = {"http": ("https", "https", "https", "http"),
       "mixed": ("https", "https", "https", "http", "http", "http", "tcp", "tcp", "icmp", "dns")}
FAILURE_RATE = 0.01


def check_row(rng: random.Random, seq: int, kind: str, created_ms: int) -> tuple:
    base = 20_000 + (seq * 7919) % 300_000                  # each monitor its own typical latency, us
    jitter = rng.lognormvariate(0, 0.3)
    resolve = rng.randint(3, 90) if rng.random() < 0.98 else rng.randint(1_000, 40_000)  # cache hit / miss
    if rng.random() < FAILURE_RATE:
        if kind in ("http", "https", "tcp"):
            return (seq, created_ms, 0, "up", 10_000_000, None, "timeout",
                    "no answer within 10s (during connect)", resolve, None, None, None, None, None)
        if kind == "icmp":
            details = {"address": "10.20.30.40", "packets_sent": 3, "packets_received": 0, "packet_loss": 100.0}
            return (seq, created_ms, 0, "up", 2_401_000, None, "connection_error",
                    "100% packet loss (3 sent, 0 received)", resolve, None, None, None, None,
                    msgspec.json.encode(details).decode())
        details = {"nameserver": "192.0.2.53:53", "dns_failure": "servfail"}
        return (seq, created_ms, 0, "up", 1_000_000, None, "dns_error", "SERVFAIL from 192.0.2.53:53",
                resolve, None, None, None, None, msgspec.json.encode(details).decode())
    if kind in ("http", "https"):
        connect = int(base * 0.2 * jitter)
        tls = int(base * 0.35 * jitter) if kind == "https" else None
        first_byte = int(base * 0.35 * rng.lognormvariate(0, 0.4))
        transfer = rng.randint(20, 3_000)
        latency = resolve + connect + (tls or 0) + first_byte + transfer
        return (seq, created_ms, 1, "up", latency, 200, None, None, resolve, connect, tls, first_byte,
                transfer, None)
    if kind == "tcp":
        connect = int(base * 0.2 * jitter)
        return (seq, created_ms, 1, "up", resolve + connect, None, None, None, resolve, connect,
                None, None, None, None)
    if kind == "icmp":
        rtts = sorted(round(base * 0.2 * rng.lognormvariate(0, 0.2) / 1000, 3) for _ in range(3))
        avg = round(sum(rtts) / 3, 3)
        details = {"address": "10.20.30.40", "packets_sent": 3, "packets_received": 3, "packet_loss": 0.0,
                   "rtt_min_ms": rtts[0], "rtt_avg_ms": avg, "rtt_max_ms": rtts[2]}
        return (seq, created_ms, 1, "up", int(avg * 1000), None, None, None, resolve, None, None, None,
                None, msgspec.json.encode(details).decode())
    rtt = int(base * 0.1 * jitter)
    details = {"nameserver": "192.0.2.53:53", "transport": "udp", "rcode": "NOERROR",
               "answers": ["192.0.2.10", "192.0.2.11"]}
    return (seq, created_ms, 1, "up", rtt, None, None, None, rtt, None, None, None, None,
            msgspec.json.encode(details).decode())


def retention(ctx: Context) -> dict:
    from bench.retention import retention as run
    return run(ctx)


def fleet(ctx: Context) -> dict:
    from bench.fleet import fleet as run
    return run(ctx)


def status_pages(ctx: Context) -> dict:
    from bench.pages import pages as run
    return run(ctx)


def scale_out(ctx: Context) -> dict:
    from bench.regions import regions as run
    return run(ctx)


SCENARIOS = {"probe-cost": probe_cost, "scale": scale, "size": size, "size-heartbeats": size_heartbeats,
             "storage": storage, "pings": pings,
             "webhooks": webhooks, "retention": retention, "metrics": metrics,
             "fleet": fleet, "pages": status_pages, "regions": scale_out}
