"""5. pings: durable ping ingest, driven by wrk on loopback.

The real daemon with `pings_heartbeats` period heartbeats (fixed UUIDs, a 1 h
period and 1 h grace, so no deadline passes during a run) is pinged by wrk
(bench/pings.lua: random heartbeats, 1 in 20 /start, 1 in 20 /fail, 1 in 4 a
POST with a small body) over keep-alive connections: a warm-up, then the
measured window, each one wrk run that stops sending at its end and waits
for the last answers. Measured in the window: pings answered 2xx per second,
wrk's latency percentiles, the daemon's CPU (all threads) per 1,000 pings and
pings per commit (from /healthz). Any non-2xx answer, socket error, timeout
or ping left unanswered is an error.

Then the cron-style window: the same mix, each ping on a new connection, as
curl from cron makes them (`Connection: close` in every request: the daemon
closes after its answer, and wrk connects again for the next ping), with the
same connections at a time and the same checks; its rate, latency and CPU are
reported as `cron_*`.

Durability: after SIGTERM, the rows in the `pings` table must equal the 2xx
answers of all three wrk runs, one for one (the daemon answers only after the
commit, and nothing else pings it).

Without wrk (and not root, or a smoke run, so it is not installed) the same
mix comes from bench.pingload, a Python client: the run and its checks are
the same, but the rate is recorded as `python_pings_per_s` and the target is
not judged (that client costs the shared cores more than the daemon does).
"""

from __future__ import annotations

import json
import math
import random
import resource
import shutil
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

from bench import proc
from bench.daemon import Daemon
from bench.proc import REPO, BenchError
from bench.targets import apt_install, find_program

PACKAGE = "wrk"
SCRIPT = REPO / "bench" / "pings.lua"
TAIL = 2  # seconds the client runs past the window, idle, so the last pings are answered
TIMEOUT = "5s"  # wrk: an answer slower than this is an error


def client(install: bool, choice: str = "auto") -> tuple[str | None, str]:
    """(the wrk binary, or None for the Python client; a note for the report)."""
    if choice == "python":
        return None, "python client (bench.pingload; asked for)"
    binary = find_program(PACKAGE)
    why = "not installed" if not install else None
    if binary is None and install:
        why = apt_install(PACKAGE) or "not installed"
        binary = find_program(PACKAGE)
    if binary is None:
        if choice == "wrk":
            raise BenchError(f"wrk: {why}")
        return None, f"python client (bench.pingload; wrk {why})"
    result = subprocess.run([binary, "--version"], capture_output=True, text=True)
    version = (result.stdout + result.stderr).split("\n")[0].split(" Copyright")[0].strip()
    return binary, version or "wrk"


def tokens(count: int, seed: int = 5) -> list[str]:
    """Fixed ping UUIDs (version 4 shaped), the same in every run."""
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def heartbeats(ping_tokens: list[str]) -> list[dict]:
    return [{"key": f"ping-{i}", "period": "1h", "grace": "1h", "token": token}
            for i, token in enumerate(ping_tokens)]


def drive(wrk: str | None, port: int, tokens_file: Path, seconds: float, connections: int, threads: int,
          seed: int, close: bool = False) -> dict:
    """One client run: pings for `seconds`, then waits for the answers; returns its BENCH-JSON.
    `close`: a new connection per ping."""
    if wrk is not None:
        cmd = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{math.ceil(seconds) + TAIL}s",
               "--timeout", TIMEOUT, "-s", str(SCRIPT), f"http://127.0.0.1:{port}",
               "--", str(tokens_file), f"{seconds:g}", str(seed)] + (["close"] if close else [])
    else:
        cmd = proc.python_module("bench.pingload", "--port", str(port), "--tokens", str(tokens_file),
                                 "--connections", str(connections), "--seconds", f"{seconds:g}",
                                 "--seed", str(seed), *(["--close"] if close else []))
    child = proc.spawn(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = child.communicate(timeout=seconds + TAIL + 30)
    except subprocess.TimeoutExpired:
        proc.stop(child, 1.0)
        raise BenchError(f"pings: the client did not end within {seconds + TAIL + 30:g}s") from None
    lines = [line for line in out.decode(errors="replace").splitlines() if line.startswith("BENCH-JSON ")]
    if child.returncode != 0 or not lines:
        raise BenchError(f"pings: {cmd[0]} exited with {child.returncode}: "
                         f"{(err or out).decode(errors='replace').strip()[-1000:]}")
    return json.loads(lines[-1].removeprefix("BENCH-JSON "))


def machine_cpu() -> float:
    """CPU seconds all processes have used (every core: user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / proc.CLK_TCK  # all but idle and iowait


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check(result: dict, phase: str) -> None:
    errors = {kind: n for kind, n in result["errors"].items() if n}
    if errors:
        raise BenchError(f"pings {phase}: client errors {errors} ({result['ok']} answered 2xx)")
    if result["other"]:
        raise BenchError(f"pings {phase}: {result['other']} answers were not 2xx ({result['ok']} were)")
    if result["sent"] != result["ok"] + result["other"]:
        raise BenchError(f"pings {phase}: {result['sent'] - result['ok'] - result['other']} of "
                         f"{result['sent']} pings sent were not answered within {TAIL}s of the window's end")
    if result["ok"] == 0:
        raise BenchError(f"pings {phase}: no ping answered")


def pings(ctx) -> dict:
    s = ctx.settings
    workdir = ctx.daemon_dir("pings")
    try:
        ping_tokens = tokens(s.pings_heartbeats)
        tokens_file = workdir / "tokens.txt"
        tokens_file.write_text("\n".join(ping_tokens) + "\n")
        load = dict(wrk=ctx.wrk, port=0, tokens_file=tokens_file, connections=s.pings_connections,
                    threads=s.pings_threads)
        daemon = Daemon(workdir, [], heartbeats=heartbeats(ping_tokens), pings={"keep": 1_000_000})
        with daemon:
            ready = daemon.start()
            load["port"] = daemon.port
            warm = drive(**load, seconds=s.pings_warmup, seed=1)
            check(warm, "warm-up")
            daemon.alive()
            h0 = daemon.health()
            cpu0, client0, all0, t0 = daemon.cpu(), children_cpu(), machine_cpu(), time.monotonic()
            got = drive(**load, seconds=s.pings_window, seed=2)
            cpu1, client1, all1, t1 = daemon.cpu(), children_cpu(), machine_cpu(), time.monotonic()
            daemon.alive()
            h1 = daemon.health()
            check(got, "window")
            cron_cpu0, cron_t0 = daemon.cpu(), time.monotonic()
            cron = drive(**load, seconds=s.pings_cron_window, seed=3, close=True)
            cron_cpu1, cron_t1 = daemon.cpu(), time.monotonic()
            daemon.alive()
            check(cron, "cron-style window")
            stopped = daemon.stop()
        with sqlite3.connect(f"file:{daemon.database}?mode=ro", uri=True) as conn:
            (stored,) = conn.execute("SELECT count(*) FROM pings").fetchone()
            kinds = dict(conn.execute("SELECT kind, count(*) FROM pings GROUP BY kind").fetchall())
            (flips,) = conn.execute("SELECT count(*) FROM heartbeat_flips").fetchone()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    answered = warm["ok"] + got["ok"] + cron["ok"]
    if stored != answered:
        raise BenchError(f"pings: {stored} rows in the pings table after SIGTERM, but {answered} pings were "
                         f"answered 2xx ({warm['ok']} in the warm-up, {got['ok']} in the window, "
                         f"{cron['ok']} in the cron-style window)")
    if kinds.get("ignored"):
        raise BenchError(f"pings: {kinds['ignored']} pings stored as ignored")
    rate = got["ok"] / s.pings_window
    if rate < s.pings_min_rate:
        raise BenchError(f"pings: {rate:.0f} pings/s is below {s.pings_min_rate:g}/s: ingest looks broken")
    cron_rate = cron["ok"] / s.pings_cron_window
    if cron_rate < s.pings_min_rate / 2:
        raise BenchError(f"pings: {cron_rate:.0f} pings/s on new connections is below {s.pings_min_rate / 2:g}/s: "
                         f"ingest looks broken")
    cron_cpu, cron_lat = cron_cpu1 - cron_cpu0, cron["latency_us"]
    cpu, client_cpu = cpu1 - cpu0, client1 - client0
    # What else ran meanwhile (other people's work on a shared machine): noise to report.
    others = max(0.0, (all1 - all0) - cpu - client_cpu)
    commits = h1["store"]["commits"] - h0["store"]["commits"]
    lat = got["latency_us"]
    return {
        "client": "wrk" if ctx.wrk else "python",
        "heartbeats": s.pings_heartbeats, "connections": s.pings_connections,
        "threads": s.pings_threads if ctx.wrk else 1, "window_s": s.pings_window,
        "ready_s": round(ready, 2),
        ("pings_per_s" if ctx.wrk else "python_pings_per_s"): round(rate, 1),
        "pings": got["ok"], "warmup_pings": warm["ok"],
        "latency_p50_ms": lat["p50"] / 1000, "latency_p90_ms": lat["p90"] / 1000,
        "latency_p99_ms": lat["p99"] / 1000, "latency_max_ms": lat["max"] / 1000,
        "cpu_s": round(cpu, 3), "cpu_percent": round(cpu * 100 / s.pings_window, 1),
        "cpu_s_per_1000_pings": round(cpu * 1000 / got["ok"], 3),
        "client_cpu_percent": round(client_cpu * 100 / s.pings_window, 1),
        "others_cpu_percent": round(others * 100 / (t1 - t0), 1),  # over the whole client run
        "commits": commits, "pings_per_commit": round(got["ok"] / commits, 1) if commits else None,
        "stored": stored, "answered": answered, "stored_minus_answered": stored - answered,
        "kinds": kinds, "flips": flips, "stop_s": round(stopped, 2),
        "cron_window_s": s.pings_cron_window,
        ("cron_pings_per_s" if ctx.wrk else "python_cron_pings_per_s"): round(cron_rate, 1),
        "cron_pings": cron["ok"],
        "cron_latency_p50_ms": cron_lat["p50"] / 1000, "cron_latency_p99_ms": cron_lat["p99"] / 1000,
        "cron_cpu_percent": round(cron_cpu * 100 / (cron_t1 - cron_t0), 1),
        "cron_cpu_s_per_1000_pings": round(cron_cpu * 1000 / cron["ok"], 3),
    }
