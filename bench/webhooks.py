"""6. webhooks: events delivered per second to endpoints answering in ~1 ms,
under sustained load.

The real daemon with `hooks_heartbeats` heartbeats (fixed UUIDs, 1 h period
and grace, so no deadline passes) and `hooks_endpoints` webhook endpoints
subscribed to every event (`"*"`), each a path of one receiver in
bench.hookload, which answers `200 ok` after `hooks_delay_ms` over
keep-alive connections. The same process pings the heartbeats at
`hooks_flips_per_s`, each ping flipping its heartbeat (`/fail`, then a
success), so events come through the daemon's real path: ping → flip →
heartbeat event and incident event in the same commit → the outbox → one
consumer per endpoint → a signed POST.

A warm-up, then the measured window, then the load stops and the backlog
drains (bounded by `hooks_drain`). Per endpoint: events received per second
in the window, the backlog (events committed and not yet received) at the
end of the warm-up and of the window, how long the rest took to arrive, the
connections used. After SIGTERM, from the database: the events each
endpoint received are in seq order, each once (no failure was answered, so
a repeat would be a bug); once drained, every event was received and every
delivery is recorded as an attempt (the rows equal the requests) with the
cursor at the last event.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time

from bench import proc
from bench.daemon import Daemon, monitor
from bench.pings import heartbeats, machine_cpu, tokens
from bench.proc import BenchError, Helper

SECRET = "bench-webhook-secret-0123456789"


def _backlog(database, last: dict[str, str], paths: list[str], start: int) -> tuple[int, dict[str, int]]:
    """(events committed so far, {path: events committed after the last one it received}), read-only
    beside the running daemon. Delivery is in seq order, so what is after the last received is the
    backlog, however old (`start`: the endpoints' cursor before anything was received)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        (total,) = conn.execute("SELECT count(*) FROM events").fetchone()
        out = {}
        for path in paths:
            out[path] = conn.execute(
                "SELECT count(*) FROM events WHERE seq > coalesce((SELECT seq FROM events WHERE id = ?), ?)",
                (last.get(path, ""), start)).fetchone()[0]
    return total, out


def _cursor(database) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT coalesce(min(cursor), 0) FROM webhook_endpoints").fetchone()[0]


def webhooks(ctx) -> dict:
    s = ctx.settings
    workdir = ctx.daemon_dir("webhooks")
    try:
        return _run(ctx, s, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(ctx, s, workdir) -> dict:
    ping_tokens = tokens(s.hooks_heartbeats, seed=7)
    tokens_file = workdir / "tokens.txt"
    tokens_file.write_text("\n".join(ping_tokens) + "\n")
    ids_file = workdir / "ids.json"
    listen = proc.free_port()
    paths = [f"/hook/{i}" for i in range(s.hooks_endpoints)]
    endpoints = [{"key": f"bench-{i}", "url": f"http://127.0.0.1:{listen}{path}", "events": ["*"],
                  "secret": SECRET} for i, path in enumerate(paths)]
    interval = s.hooks_monitor_interval
    monitors = [monitor(f"hooks-{i}", "http", ctx.targets, f"{interval}s", "1s") for i in range(s.hooks_monitors)]
    daemon = Daemon(workdir, monitors, heartbeats=heartbeats(ping_tokens), webhooks=endpoints)
    helper = Helper("bench.hookload", "--listen", str(listen), "--daemon", str(daemon.port),
                    "--tokens", str(tokens_file), "--rate", f"{s.hooks_flips_per_s:g}",
                    "--delay-ms", f"{s.hooks_delay_ms:g}", "--ids", str(ids_file), name="hookload")
    try:
        with daemon:
            ready = daemon.start()
            start = _cursor(daemon.database)  # at READY: nothing delivered yet (see the check below)
            time.sleep(interval + 0.5)  # every monitor probed once (pending -> up: an event each)
            daemon.alive()
            helper.send("load")
            time.sleep(s.hooks_warmup)
            daemon.alive()
            m0, h0 = helper.mark(), daemon.health()
            cpu0, helper0, all0, t0 = daemon.cpu(), proc.cpu_seconds(helper.pid), machine_cpu(), time.monotonic()
            ev0, late0 = _backlog(daemon.database, m0["last"], paths, start)
            time.sleep(s.hooks_window)
            daemon.alive()
            m1, h1 = helper.mark(), daemon.health()
            cpu1, helper1, all1, t1 = daemon.cpu(), proc.cpu_seconds(helper.pid), machine_cpu(), time.monotonic()
            ev1, late1 = _backlog(daemon.database, m1["last"], paths, start)
            helper.send("quiet")

            # The load stopped: how long the backlog takes to arrive (the last flips commit within ~50 ms).
            drained_s: float | None = None
            before = None
            while time.monotonic() - t1 < s.hooks_drain:
                total, late = _backlog(daemon.database, helper.mark()["last"], paths, start)
                if not any(late.values()) and total == before:
                    drained_s = time.monotonic() - t1
                    break
                before = total
                time.sleep(0.1)
            daemon.alive()
            stopped = daemon.stop()
        final = helper.close()
    finally:
        helper.close()
    if final is None:
        raise BenchError("webhooks: bench.hookload did not report its counters at the end")

    ids = json.loads(ids_file.read_text()) if ids_file.exists() else {}
    with sqlite3.connect(f"file:{daemon.database}?mode=ro", uri=True) as conn:
        seq_of = dict(conn.execute("SELECT id, seq FROM events WHERE seq > ?", (start,)).fetchall())
        (top,) = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        stored = {key: (cursor, count, ok) for key, cursor, count, ok in conn.execute(
            "SELECT e.key, e.cursor, count(d.seq), coalesce(sum(d.ok), 0) FROM webhook_endpoints e "
            "LEFT JOIN webhook_deliveries d ON d.endpoint_seq = e.seq GROUP BY e.seq").fetchall()}

    if final["errors"] or final["pings_other"]:
        raise BenchError(f"webhooks: the ping load broke: {final['errors']} connections lost, "
                         f"{final['pings_other']} answers not 2xx")
    seconds = t1 - t0
    flips = m1["pings_ok"] - m0["pings_ok"]
    cpu, helper_cpu = cpu1 - cpu0, helper1 - helper0
    # What else ran meanwhile (other people's work on a shared machine): noise to report.
    others = max(0.0, (all1 - all0) - cpu - helper_cpu)
    out_endpoints: dict[str, dict] = {}
    delivered = 0
    for i, path in enumerate(paths):
        got = ids.get(path, [])
        seqs = [seq_of.get(event_id) for event_id in got]
        unknown = sum(1 for seq in seqs if seq is None)
        known = [seq for seq in seqs if seq is not None]
        repeats = len(known) - len(set(known))
        out_of_order = sum(1 for a, b in zip(known, known[1:]) if b < a)
        if unknown or repeats or out_of_order:
            raise BenchError(f"webhooks {path}: {out_of_order} events out of order, {repeats} repeated, "
                             f"{unknown} unknown ids")
        cursor, rows, ok = stored[f"bench-{i}"]
        if drained_s is not None:
            if len(got) != len(seq_of):
                raise BenchError(f"webhooks {path}: {len(got)} events received of {len(seq_of)} committed")
            if (rows, ok) != (len(got), len(got)) or cursor != top:
                raise BenchError(f"webhooks {path}: {rows} attempts recorded ({ok} ok), cursor {cursor} (last "
                                 f"event {top}), for {len(got)} requests received")
        count = m1["received"].get(path, 0) - m0["received"].get(path, 0)
        delivered += count
        rate = count / seconds
        if rate < s.hooks_min_rate:
            raise BenchError(f"webhooks {path}: {rate:.0f} events/s is below {s.hooks_min_rate:g}/s: "
                             "delivery looks broken")
        out_endpoints[str(i)] = {
            "events_per_s": round(rate, 1),
            "backlog_at_warmup_end": late0[path], "backlog_at_window_end": late1[path],
            "received": len(got), "connections": final["connections"].get(path, 0),
            "attempts_recorded": rows, "cursor_at_last_event": cursor == top,
        }
    rates = [e["events_per_s"] for e in out_endpoints.values()]
    return {
        "endpoints_n": s.hooks_endpoints, "heartbeats": s.hooks_heartbeats, "flips_per_s": s.hooks_flips_per_s,
        "monitors": s.hooks_monitors, "monitor_interval_s": interval,
        "delay_ms": s.hooks_delay_ms, "window_s": s.hooks_window, "ready_s": round(ready, 2),
        "offered_events_per_s": round((ev1 - ev0) / seconds, 1),
        "events_per_flip": round((ev1 - ev0) / flips, 2) if flips else None,
        "events_per_s": min(rates),  # the slowest endpoint's: what the target judges
        "backlog_at_window_end": max(late1.values()),
        "drained": drained_s is not None, "drain_s": round(drained_s, 2) if drained_s is not None else None,
        "events": len(seq_of), "skipped_pings": final["skipped"],
        "cpu_percent": round(cpu * 100 / seconds, 1), "helper_cpu_percent": round(helper_cpu * 100 / seconds, 1),
        "others_cpu_percent": round(others * 100 / seconds, 1),
        "writer_jobs_per_event": _per(h1["store"].get("jobs"), h0["store"].get("jobs"), delivered),
        "stop_s": round(stopped, 2),
        "endpoints": out_endpoints,
    }


def _per(end: int | None, start: int | None, events: int) -> float | None:
    """Writer transactions for jobs per event delivered (`store.jobs` of /healthz, where the daemon has it)."""
    if end is None or start is None or not events:
        return None
    return round((end - start) / events, 3)
