"""The eighth scenario, metrics: one /metrics scrape of `metrics_monitors`
synthetic monitors, in process, over the real collector (upstatd.metrics.Metrics)
and real `Running` objects whose last check rows are shaped as
MonitorService.record builds them (types mixed: 60 % HTTP with a certificate,
25 % TCP, 10 % DNS, 5 % ICMP; states mostly up, some down, degraded, pending).

Measured, each on its own:
- `scrape_first_s`: the daemon's first scrape: the cache warmed at start (Metrics.warm,
  before any check), then every monitor has its first check;
- `scrape_cold_s`: a scrape with nothing cached (every label text and line made), which
  no daemon scrape pays since the warm-up at start (a monitor added later pays its own share);
- `scrape_churn_s`: every monitor has a new check since the last scrape (the
  duration lines made again, labels and states cached): what a scrape sees when
  the monitors' interval is at most the scrape interval;
- `scrape_warm_s`: nothing changed since the last scrape;
- `gzip_level1_s` and `gzip_level6_s` (with `_mb`, the compressed size): the answer's
  pieces through one zlib gzip stream at level 1 (what the daemon sends a scraper that
  asks for gzip, upstatd.metrics.GZIP_LEVEL) and at zlib's default 6, on one thread;
- the probes' lateness meanwhile: a Runner on the same uvloop ticks 1,000 timer
  keys (10 ms wheel, each key due every 100 ms) while `Metrics.scrape()` (chunks
  of CHUNK monitors, the loop free between them) runs back to back for
  `metrics_window` seconds, against an idle window of the same length.

For comparison, `prometheus_client_us_per_sample`: prometheus-client's own
generate_latest over the same families (MonitorCollector), per sample, on the
first 10,000 monitors (why the per-monitor lines are rendered by upstatd itself).
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
import zlib
from types import SimpleNamespace

import msgspec
import uvloop
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

from upstatd.clock import Clock
from upstatd.config.schema import Confirmation, MonitorSpec
from upstatd.heartbeats.deadlines import HeartbeatState
from upstatd.metrics import MonitorCollector, Metrics
from upstatd.monitors.evaluate import MonitorState
from upstatd.monitors.service import Running
from upstatd.scheduler.runner import Runner
from upstatd.store.monitors import StoredMonitor

NOW = 1_800_000_000
MIX = (("http", 60), ("tcp", 25), ("dns", 10), ("icmp", 5))
STATES = ("up",) * 90 + ("down",) * 5 + ("degraded",) * 3 + ("pending",) * 2
REFERENCE_MONITORS = 10_000


def check_row(rng: random.Random, kind: str, index: int) -> tuple:
    """A last check row as MonitorService.record makes it (µs; details as JSON, the same
    certificate at every check of a monitor, as in life)."""
    latency = rng.randint(1_000, 400_000)
    if kind == "http":
        phases = (rng.randint(50, 2_000), rng.randint(100, 5_000), rng.randint(1_000, 20_000),
                  rng.randint(1_000, 300_000), rng.randint(10, 5_000))
        expires = NOW + (index * 7919) % (90 * 86400)
        details = msgspec.json.encode({"cert_expires_at": expires,
                                       "cert_expires_in_days": (expires - NOW) // 86400}).decode()
        status = 200
    elif kind == "tcp":
        phases, details, status = (rng.randint(50, 2_000), latency, None, None, None), None, None
    elif kind == "dns":
        phases, details, status = (None, None, None, latency, None), '{"rcode":"NOERROR","answers":["192.0.2.1"]}', None
    else:
        phases, details, status = (None, None, None, None, None), '{"packets_sent":3,"packets_received":3}', None
    return (1, NOW * 1000, 1, "up", latency, status, None, None, *phases, details)


def fleet(count: int, seed: int = 14) -> list[Running]:
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        spec = MonitorSpec(f"{kind}-{i:06d}", f"{kind.upper()} service {i} (eu-west)", kind,
                           f"{kind}://host-{i}.example.net", 60.0, 10.0, Confirmation(), "critical", (), {}, {},
                           None)
        state = STATES[rng.randrange(len(STATES))]
        running = Running(spec, StoredMonitor(i + 1, f"mon_{i:022d}", state, NOW))
        running.state = MonitorState(state, NOW)
        running.last_check = None if state == "pending" else check_row(rng, kind, i)
        out.append(running)
    return out


def new_checks(monitors: list[Running], seed: int) -> list:
    """A new last check row for every monitor that has one (new tuples: the cache sees new checks)."""
    rng = random.Random(seed)
    rows = [None if running.last_check is None else check_row(rng, running.spec.type, index)
            for index, running in enumerate(monitors)]
    for running, row in zip(monitors, rows):
        running.last_check = row
    return rows


async def set_checks(monitors: list[Running], rows: list, chunk: int = 2000) -> None:
    """As probes would: new rows land a few at a time, the loop free in between."""
    for start in range(0, len(monitors), chunk):
        for running, row in zip(monitors[start:start + chunk], rows[start:start + chunk]):
            running.last_check = None if row is None else row[:4] + (row[4] + 1,) + row[5:]
        await asyncio.sleep(0)


def beat(i: int) -> SimpleNamespace:  # what the collector reads of a heartbeat
    return SimpleNamespace(spec=SimpleNamespace(key=f"job-{i}", name=f"job {i}", schedule=SimpleNamespace(kind="period")),
                           state=HeartbeatState("up", NOW, NOW - i))


def health() -> dict:
    return {"version": "bench", "monitors": 0, "heartbeats": 0, "in_flight": 0,
            "scheduler": {"due": 1, "launched": 1, "skipped_late": 0, "skipped_busy": 0, "skipped_capacity": 0,
                          "lateness_ms": {"p50": 1.0, "p99": 2.0, "max": 3.0}},
            "store": {"pending": 0, "rows_written": 1, "commits": 1, "jobs": 1, "dropped": 0, "failing": False},
            "delivery": {"webhooks": {"consumers": 1, "failing": 0}, "alerts": {"consumers": 1, "failing": 0}},
            "api": {"connections_open": 1, "connections_refused": 0}}


def metrics(ctx) -> dict:
    s = ctx.settings
    gc.collect()
    monitors = fleet(s.metrics_monitors)
    beats = [beat(i) for i in range(100)]
    gc.collect()
    gc.freeze()  # as the daemon does after start: the fleet lives until exit
    try:
        out = {"monitors": s.metrics_monitors, "window_s": s.metrics_window}
        m = Metrics(health, lambda: monitors, lambda: beats)
        # the daemon's start: no check yet, the cache warmed (Metrics.warm), then every monitor checked
        kept = [running.last_check for running in monitors]
        for running in monitors:
            running.last_check = None
        uvloop.run(m.warm())
        for running, row in zip(monitors, kept):
            running.last_check = row
        out["scrape_first_s"], _ = _timed(lambda: _drain(m.scrape_now({"critical": 2})))
        m = Metrics(health, lambda: monitors, lambda: beats)  # nothing cached
        out["scrape_cold_s"], size = _timed(lambda: _drain(m.scrape_now({"critical": 2})))
        out["bytes_mb"] = round(size / 1e6, 1)
        out["samples"] = sum(piece.count(b"\n") - piece.count(b"#") for piece in m.scrape_now())
        new_checks(monitors, 1)
        out["scrape_churn_s"], _ = _timed(lambda: _drain(m.scrape_now({"critical": 2})))
        out["scrape_warm_s"], _ = _timed(lambda: _drain(m.scrape_now({"critical": 2})))
        pieces = list(m.scrape_now({"critical": 2}))
        for level in (1, 6):
            out[f"gzip_level{level}_s"], size = _timed(lambda: _gzip(pieces, level))
            out[f"gzip_level{level}_mb"] = round(size / 1e6, 1)
        del pieces
        reference = monitors[:REFERENCE_MONITORS]
        registry = CollectorRegistry(auto_describe=False)
        registry.register(MonitorCollector(lambda: reference))
        seconds, text = _timed(lambda: generate_latest(registry))
        out["prometheus_client_us_per_sample"] = round(
            seconds * 1e6 / sum(1 for line in text.splitlines() if line and not line.startswith(b"#")), 2)
        out.update(uvloop.run(_lateness(m, monitors, s.metrics_window)))
        return out
    finally:
        gc.unfreeze()


def _drain(pieces) -> int:
    """Read the answer as a scraper that keeps up would: piece by piece; returns its size."""
    return sum(len(piece) for piece in pieces)


def _gzip(pieces: list[bytes], level: int) -> int:
    """The pieces as one gzip stream (as upstatd.metrics.gzipped makes it); returns its size."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return sum(len(compressor.compress(piece)) for piece in pieces) + len(compressor.flush())


def _timed(job) -> tuple[float, object]:
    began = time.perf_counter()
    result = job()
    return round(time.perf_counter() - began, 4), result


async def _lateness(m: Metrics, monitors: list[Running], window: float) -> dict:
    """The Runner's lateness idle, then while scrapes (async, chunked) run back to back."""
    runner = Runner(Clock(), max_in_flight=10_000)
    timers = runner.timers("bench.slot", lambda key, when, now: timers.schedule(key, when + 0.1))
    start = runner.clock.monotonic()
    for key in range(1000):
        timers.schedule(key, start + key * 0.0001 + 0.05)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(1.0)  # warm-up

    def take() -> list[float]:
        late = list(runner.stats.lateness)
        runner.stats.lateness.clear()
        return late

    take()
    await asyncio.sleep(window)
    idle = take()
    scrapes, durations = 0, []
    ends = asyncio.get_running_loop().time() + window
    rows = [running.last_check for running in monitors]
    while asyncio.get_running_loop().time() < ends:
        await set_checks(monitors, rows)  # each scrape a churn scrape: every duration line made again
        began = time.perf_counter()
        async for _ in m.stream():
            pass
        durations.append(time.perf_counter() - began)
        scrapes += 1
    busy = take()
    task.cancel()  # the wheel ticks until its task is cancelled (scheduler/runner.py run)
    await asyncio.gather(task, return_exceptions=True)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2) if ordered else 0.0

    return {"idle_lateness_p99_ms": pct(idle, 0.99), "idle_lateness_max_ms": pct(idle, 1.0),
            "scrape_lateness_p99_ms": pct(busy, 0.99), "scrape_lateness_max_ms": pct(busy, 1.0),
            "lateness_p99_delta_ms": round(pct(busy, 0.99) - pct(idle, 0.99), 2),
            "scrapes_in_window": scrapes, "scrape_async_s": round(statistics.median(durations), 4)}
