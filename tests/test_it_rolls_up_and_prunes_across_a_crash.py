"""A crash in the middle of the roll-up pass loses nothing and counts nothing
twice: the real daemon process, on a database of five days of checks not
rolled up yet (ten monitors, one check a minute each) and of events, webhook
deliveries and alerts past their retention, is SIGKILLed once in the middle
of the catch-up (watched through `settings.rollup_until` from another
connection) and once in the middle of pruning the raw checks; restarted, it
finishes, and then every hourly and daily rollup equals the figures computed
from the checks seeded (counts, failures, good checks, latency sum, min and
max), the checks past `retention.checks` are gone and the rest are there, and
the history past its retention is gone while what a consumer needs stays.

The daemon's clock is the real one: times are seeded relative to now, in
hours already complete, so an hour ending during the test adds nothing."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import time

import pytest

from daemonproc import Daemon
from loopback import closed_port
from upstatd.ids import new_id
from upstatd.store import checks
from upstatd.store.rollups import DAY_MS, HOUR_MS, LAG_MS

MONITORS = 10
HOURS = 120
OLD_MS = 40 * DAY_MS   # past the retention of events and deliveries (30 days); alerts keep 90 days: 100
DEADLINE = 15          # seconds for each wait on the daemon


@pytest.fixture
async def daemon(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        f'server: {{listen: "127.0.0.1:{closed_port()}"}}\n'
        f'storage: {{path: "{tmp_path / "upstatd.db"}"}}\n'
        "monitors: []\n"
        "retention: {checks: 1d, hourly: 30d, rollups: 30d, deliveries: 30d, alerts: 90d}\n")
    running = Daemon(config, tmp_path / "daemon.log", tmp_path)
    running.db = tmp_path / "upstatd.db"
    yield running
    await running.close()


def make_checks(end_ms: int) -> list[tuple]:
    """HOURS hours before `end_ms` of checks, every column of the table."""
    rng = random.Random(14)
    rows, seq = [], 1
    for minute in range(HOURS * 60):
        at = end_ms - HOURS * HOUR_MS + minute * 60_000
        for monitor in range(1, MONITORS + 1):
            ok = rng.random() > 0.1
            row = {"seq": seq, "monitor_seq": monitor, "created_at": at + monitor, "ok": int(ok),
                   "state": "up" if ok else "down", "latency_us": rng.randint(1_000, 900_000),
                   "status_code": 200 if ok else None, "error_kind": None if ok else "timeout",
                   "connect_us": rng.randint(100, 5_000)}
            rows.append(tuple(row.get(column) for column in checks.COLUMNS))
            seq += 1
    return rows


def seed_history(conn: sqlite3.Connection, now_ms: int) -> dict[str, int]:
    """Old rows nothing needs, and what must stay; returns the rows expected to stay per table."""
    old = now_ms - OLD_MS
    conn.executemany("INSERT INTO events (id, type, created_at, data) VALUES (?, 'monitor.down', ?, ?)",
                     [(new_id("evt"), old, json.dumps({"object": {}})) for _ in range(3_000)])
    conn.execute("INSERT INTO events (id, type, created_at, data) VALUES (?, 'monitor.up', ?, '{\"object\": {}}')",
                 (new_id("evt"), now_ms))
    (last_event,) = conn.execute("SELECT max(seq) FROM events").fetchone()
    conn.execute("INSERT INTO webhook_endpoints (id, managed_by, url, events, secret, cursor, created_at, "
                 "updated_at) VALUES (?, 'api', 'http://127.0.0.1:9/', '[\"*\"]', 's', ?, 0, 0)",
                 (new_id("we"), last_event))
    conn.executemany("INSERT INTO webhook_deliveries (endpoint_seq, event_id, event_type, attempt, created_at, ok) "
                     "VALUES (1, 'evt_done', 'monitor.down', 1, ?, 1)", [(at,) for at in [old] * 12_000 + [now_ms] * 10])
    conn.execute("INSERT INTO alert_channels (id, managed_by, name, type, settings, events, digest_window, "
                 "created_at, updated_at) VALUES (?, 'api', 'ops', 'webhook', '{\"url\": \"http://127.0.0.1:9/\"}', "
                 "'[\"incident.created\"]', 0, 0, 0)", (new_id("ch"),))
    incidents = {}
    for status in ("resolved", "open"):
        incidents[status] = new_id("inc")
        conn.execute("INSERT INTO incidents (id, status, severity, type, source, title, started_at, created_at, "
                     "updated_at) VALUES (?, ?, 'critical', 'timeout', 'system', 'down', 0, 0, 0)",
                     (incidents[status], status))
    alerts = [(new_id("alt"), incidents["resolved"], now_ms - 100 * DAY_MS) for _ in range(6_000)]
    alerts += [(new_id("alt"), incidents["open"], now_ms - 100 * DAY_MS) for _ in range(5)]
    alerts += [(new_id("alt"), incidents["resolved"], now_ms)]
    conn.executemany("INSERT INTO alerts (id, channel_seq, incident_id, reason, status, facts, created_at, "
                     "updated_at) VALUES (?, 1, ?, 'opened', 'sent', '{}', ?, ?)",
                     [(alert_id, incident, at, at) for alert_id, incident, at in alerts])
    conn.executemany("INSERT INTO alert_attempts (channel_seq, event_id, event_type, attempt, created_at, ok) "
                     "VALUES (1, ?, 'opened', 1, ?, 1)", [(alert_id, at) for alert_id, _, at in alerts])
    conn.execute("UPDATE alert_channels SET cursor = (SELECT max(seq) FROM alerts)")
    return {"events": 1, "webhook_deliveries": 10, "alerts": 6, "alert_attempts": 6}


def figures(rows: list[tuple], period_ms: int, until_ms: int) -> dict[tuple[int, int], tuple]:
    """(monitor, period start) -> (checks, failures, ok checks, latency sum, min, max) of the periods
    ending by `until_ms`, from the raw rows."""
    col = {name: index for index, name in enumerate(checks.COLUMNS)}
    groups: dict[tuple[int, int], list[tuple]] = {}
    for row in rows:
        start = row[col["created_at"]] - row[col["created_at"]] % period_ms
        if start + period_ms <= until_ms:
            groups.setdefault((row[col["monitor_seq"]], start), []).append(row)
    out = {}
    for key, group in groups.items():
        good = [row[col["latency_us"]] for row in group if row[col["ok"]]]
        out[key] = (len(group), len(group) - len(good), len(good), sum(good), min(good), max(good))
    return out


def stored(conn: sqlite3.Connection, period: str) -> dict[tuple[int, int], tuple]:
    return {(seq, start): tuple(rest) for seq, start, *rest in conn.execute(
        "SELECT monitor_seq, start_at, checks, failures, ok_checks, latency_sum_us, latency_min_us, latency_max_us "
        "FROM rollups WHERE period = ?", (period,))}


def one(conn: sqlite3.Connection, sql: str, *params) -> int:
    return conn.execute(sql, params).fetchone()[0]


async def wait_for(conn: sqlite3.Connection, daemon: Daemon, done) -> None:
    deadline = time.monotonic() + DEADLINE
    while not done():
        if daemon.proc.returncode is not None or time.monotonic() > deadline:
            raise AssertionError(f"the daemon did not get there:\n{daemon.log.read_text()[-3000:]}")
        await asyncio.sleep(0.005)
        conn.rollback()  # a fresh read snapshot each look


async def test_rollups_and_pruning_survive_sigkills(daemon):
    await daemon.start()   # the schema, the id key
    daemon.proc.send_signal(signal.SIGTERM)
    assert await daemon.wait() == 0

    now_ms = round(time.time() * 1000)
    end = (now_ms - LAG_MS) - (now_ms - LAG_MS) % HOUR_MS   # hours before this one are complete
    rows = make_checks(end)
    with sqlite3.connect(daemon.db) as conn:
        conn.executemany(checks.INSERT, rows)
        kept = seed_history(conn, now_ms)
    watch = sqlite3.connect(f"file:{daemon.db}?mode=ro", uri=True)
    rolled = lambda: int(one(watch, "SELECT coalesce(max(value), 0) FROM settings WHERE key = 'rollup_until'"))  # noqa: E731
    first = end - HOURS * HOUR_MS
    try:
        # 1. killed in the middle of the catch-up (40 batches of 3 hours)
        await daemon.start()
        await wait_for(watch, daemon, lambda: rolled() >= first + HOURS // 3 * HOUR_MS)
        daemon.proc.send_signal(signal.SIGKILL)
        assert await daemon.wait() == -signal.SIGKILL
        watch.rollback()
        assert first < rolled() < end

        # 2. killed in the middle of pruning the raw checks (5,000 a batch)
        await daemon.start()
        await wait_for(watch, daemon, lambda: rolled() >= end and one(watch, "SELECT count(*) FROM checks") < len(rows))
        daemon.proc.send_signal(signal.SIGKILL)
        assert await daemon.wait() == -signal.SIGKILL
        watch.rollback()
        older = one(watch, "SELECT count(*) FROM checks WHERE created_at < ?", now_ms - DAY_MS)
        assert 0 < older < sum(1 for row in rows if row[2] < now_ms - DAY_MS), "killed before or after the pruning"

        # 3. restarted: it finishes
        started = round(time.time() * 1000)
        await daemon.start()
        await wait_for(watch, daemon, lambda: one(watch, "SELECT count(*) FROM alert_attempts") == kept["alert_attempts"]
                       and one(watch, "SELECT count(*) FROM checks WHERE created_at < ?", started - DAY_MS) == 0)
        done = round(time.time() * 1000)
        until = rolled()
        assert until >= end
        assert stored(watch, "hour") == figures(rows, HOUR_MS, until)
        assert stored(watch, "day") == figures(rows, DAY_MS, until)
        left = {row[0] for row in watch.execute("SELECT seq FROM checks")}
        assert {row[0] for row in rows if row[2] >= done - DAY_MS} <= left
        for table, count in kept.items():
            assert one(watch, f"SELECT count(*) FROM {table}") == count, table
        assert one(watch, "SELECT count(*) FROM alerts WHERE incident_id = (SELECT id FROM incidents "
                          "WHERE status = 'open')") == 5   # an open incident's alerts stay, however old
        daemon.proc.send_signal(signal.SIGTERM)
        assert await daemon.wait() == 0
    finally:
        watch.close()
