"""Scenario `regions`: one host's scale-out (issue 19, docs/regions.md). The same
`regions_monitors` HTTP monitors at `regions_interval`, against the bench's HTTP
target, in one run, two ways:

- side A, `alone`: one `upstatd run` probing them itself (as today);
- side B, `agents`: `upstatd run` with `server.region: false` (it probes nothing) and
  one region, `bench`, served by two `upstatd agent` processes on this host, which
  split the monitors between them and push their results to the daemon.

The offered rate (monitors ÷ interval) is above what either side can do, so each runs
at its ceiling: a late slot is skipped, never queued (scheduler/runner.py), and the
probes executed are the checks stored with `created_at` (the probe's time, the agent's
`at` for a pushed result) inside a window after the warm-up, counted in the daemon's
database after every process stopped. CPU is utime + stime over the same window of
every process of the side (daemon, agents); the targets' CPU (nginx and its workers, or
the asyncio target processes) and the whole machine's busy time (/proc/stat: the rest
is the harness and whatever else shares the machine) are reported apart.

A is measured twice, one window after the other on the same process:

- `alone`: free, as one daemon runs on this machine. Its targets then run on the core
  the daemon leaves idle, while B pays for its targets from the two cores it uses: that
  ratio is bound by 2 ÷ (1 + the targets' CPU per probe ÷ A's), about 1.7 here, and
  the cheaper upstatd's probes become, the lower it is.
- `alone_one_core`: the daemon (every thread) and the targets pinned to one CPU
  (sched_setaffinity), so A has one core for all the work its probes cause, as B has
  two: the comparison of one core with two the target (issue 19) is about.

Per run: `rate_ratio` = B's probes/s ÷ A's one-core (the target) and `free_rate_ratio`
= ÷ A's free; `cpu_per_probe_ratio` = B's CPU per probe (daemon + agents) ÷ A's free
(the agents must not win by doing less per probe; above 1, B spends more per probe:
the push and the ingest).
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from bench import proc
from bench.daemon import UPSTATD, Daemon, monitor, notify_socket
from bench.proc import BenchError

REGION = "bench"
AGENTS = 2
MAX_FAILED = 0.01
_RUNS = itertools.count()


# -- CPU of processes that are not ours to wait for --------------------------------------

def tree(pid: int) -> list[int]:
    """The process and its live descendants (nginx's master and workers)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return pids


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += proc.cpu_seconds(pid)
        except OSError:  # gone meanwhile: its share is lost to both ends of no window
            pass
    return total


def machine_busy() -> float:
    """CPU-seconds every core spent not idle since boot (/proc/stat's first line)."""
    with open("/proc/stat") as f:
        fields = [int(value) for value in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / proc.CLK_TCK


def threads(pid: int) -> list[int]:
    try:
        return [int(task) for task in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def pin(pids: list[int], cpus: set[int]) -> None:
    """Every thread of the processes onto `cpus` (threads started later inherit it)."""
    for pid in pids:
        for tid in threads(pid):
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:  # gone meanwhile
                pass


# -- an agent process ---------------------------------------------------------------------

class AgentProcess:
    """`upstatd agent` for one of the region's agents, READY over NOTIFY_SOCKET."""

    def __init__(self, workdir: Path, name: str, token_file: Path, server_port: int, max_in_flight: int) -> None:
        self.workdir = workdir
        self.name = name
        self.token_file = token_file
        self.port = server_port
        self.max_in_flight = max_in_flight
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.pid = 0

    def spawn(self) -> socket.socket:
        """Start it; the notify socket to wait on (ready())."""
        notify, env = notify_socket(self.workdir / f"{self.name}.notify")
        with open(self.log, "wb") as log:
            self.proc = proc.spawn([str(UPSTATD), "agent", "--server", f"http://127.0.0.1:{self.port}",
                                    "--token-file", str(self.token_file), "--region", REGION,
                                    "--spool", str(self.workdir / f"{self.name}.spool.db"),
                                    "--max-in-flight", str(self.max_in_flight)],
                                   env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        return notify

    def ready(self, notify: socket.socket, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with notify:
            while time.monotonic() < deadline:
                try:
                    message = notify.recv(4096)
                except TimeoutError:
                    self.alive()
                    continue
                if b"READY=1" in message.split(b"\n"):
                    return
        raise BenchError(f"agent {self.name} not READY within {timeout:g}s:\n{self.log_tail()}")

    def alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError(f"agent {self.name} exited:\n{self.log_tail()}")

    def stop(self) -> None:
        status = proc.stop(self.proc, timeout=30.0)
        if status not in (0, None):
            raise BenchError(f"agent {self.name} exited with {status} on SIGTERM:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# -- the scenario ---------------------------------------------------------------------------

def regions(ctx) -> dict:
    s = ctx.settings
    monitors = [monitor(f"regions-{i}", "http", ctx.targets, f"{s.regions_interval}s", f"{s.regions_interval}s")
                for i in range(s.regions_monitors)]
    sides = {}
    # One side after the other, the order swapped each run: the machine is shared, and what
    # else runs on it drifts over minutes.
    for agents in ((False, True) if next(_RUNS) % 2 == 0 else (True, False)):
        name = "agents" if agents else "alone"
        sides[name] = _side(ctx, monitors, agents)
        ctx.log(f"  {name}: {json.dumps(sides[name])}")
    alone, split = sides["alone"], sides["agents"]
    one_core = alone.pop("one_core")
    return {"monitors": s.regions_monitors, "interval_s": s.regions_interval,
            "offered_per_s": round(s.regions_monitors / s.regions_interval), "window_s": s.regions_window,
            "first": next(iter(sides)), "alone": alone, "alone_one_core": one_core, "agents": split,
            "rate_ratio": round(split["rate"] / one_core["rate"], 3),
            "free_rate_ratio": round(split["rate"] / alone["rate"], 3),
            "cpu_per_probe_ratio": round(split["cpu_us_per_probe"] / alone["cpu_us_per_probe"], 3),
            "cpu_bound_ratio": cpu_bound_ratio(alone, split)}


def cpu_bound_ratio(alone: dict, split: dict, cores: int | None = None) -> float:
    """B ÷ A as this run's CPU per probe allows on a machine doing nothing else: A bound by
    one core, B by every core, less what the targets spend per probe (on the same cores)."""
    cores = cores or len(os.sched_getaffinity(0))
    a = 1e6 / alone["cpu_us_per_probe"]
    b = cores * 1e6 / (split["cpu_us_per_probe"] + split["targets_cpu_us_per_probe"])
    return round(b / a, 3)


def _side(ctx, monitors: list[dict], agents: bool) -> dict:
    """B's figures, or A's free ones with A's one-core figures under "one_core" (module docstring)."""
    s = ctx.settings
    workdir = ctx.daemon_dir("regions-agents" if agents else "regions-alone")
    if agents:
        tokens = []
        for index in range(1, AGENTS + 1):
            token_file = workdir / f"agent-{index}.token"
            fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(24) + "\n")
            tokens.append(token_file)
        server = {"region": False}
        sections = {"regions": {REGION: {"agents": [{"key": f"agent-{i}", "token_file": str(file)}
                                                    for i, file in enumerate(tokens, 1)]}},
                    "defaults": {"regions": [REGION]}}
    else:
        tokens, server, sections = [], None, None
    targets_pids = [pid for p in ctx.targets.http._procs for pid in tree(p.pid)]
    every_cpu = os.sched_getaffinity(0)
    started: list[AgentProcess] = []
    try:
        with Daemon(workdir, monitors, max_in_flight=s.regions_max_in_flight, server=server,
                    sections=sections) as daemon:
            daemon.start(ready_timeout=120.0)
            started = [AgentProcess(workdir, f"agent-{i}", file, daemon.port, s.regions_max_in_flight)
                       for i, file in enumerate(tokens, 1)]
            notifies = [agent.spawn() for agent in started]
            for agent, notify in zip(started, notifies):
                agent.ready(notify)
            processes = {"daemon": daemon.pid, **{agent.name: agent.pid for agent in started}}

            def alive() -> None:
                daemon.alive()
                for agent in started:
                    agent.alive()

            time.sleep(s.regions_warmup)
            alive()
            windows = [_window(daemon, processes, targets_pids, s.regions_window, alive)]
            if not agents and len(every_cpu) > 1:
                pin([daemon.pid, *targets_pids], {min(every_cpu)})
                time.sleep(s.regions_pin_settle)
                windows.append(_window(daemon, processes, targets_pids, s.regions_window, alive))
                pin(targets_pids, every_cpu)
            for agent in started:  # their last push first: the daemon stores what they probed
                agent.stop()
            started = []
            daemon.stop()
            counts = [daemon.checks(window["w0"], window["w1"]) for window in windows]
            failures = daemon.failures()
    finally:
        pin(targets_pids, every_cpu)  # the targets serve every scenario after this one
        for agent in started:
            proc.stop(agent.proc, timeout=5.0)
        shutil.rmtree(workdir, ignore_errors=True)
    figures = [_figures(window, stored, failed, len(monitors) / s.regions_interval, agents, failures)
               for window, (stored, failed) in zip(windows, counts)]
    if agents:
        return figures[0]
    return {**figures[0], "one_core": figures[-1]}  # one CPU only: the free window is the one-core one


def _window(daemon, processes: dict[str, int], targets_pids: list[int], length: float, alive) -> dict:
    """CPU and scheduler counters at both ends of one window (its checks are counted later)."""
    h0 = daemon.health()
    cpu0 = {name: proc.cpu_seconds(pid) for name, pid in processes.items()}
    targets0, busy0, t0, w0 = cpu_of(targets_pids), machine_busy(), time.monotonic(), time.time()
    while (left := t0 + length - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        alive()
    h1 = daemon.health()
    cpu1 = {name: proc.cpu_seconds(pid) for name, pid in processes.items()}
    targets1, busy1, t1, w1 = cpu_of(targets_pids), machine_busy(), time.monotonic(), time.time()
    return {"seconds": t1 - t0, "w0": w0, "w1": w1, "h0": h0, "h1": h1,
            "cpu": {name: cpu1[name] - cpu0[name] for name in processes},
            "targets_cpu": targets1 - targets0, "busy": busy1 - busy0}


def _figures(window: dict, stored: int, failed: int, offered: float, agents: bool, failures: list[str]) -> dict:
    side = "agents" if agents else "alone"
    if stored <= 0:
        raise BenchError(f"regions ({side}): no check stored in the window")
    if failed > MAX_FAILED * stored:
        raise BenchError(f"regions ({side}): {failed} of {stored} checks failed: {'; '.join(failures)}")
    seconds, cpu = window["seconds"], window["cpu"]
    side_cpu = sum(cpu.values())
    targets_cpu, busy = window["targets_cpu"], window["busy"]
    result = {
        "probes": stored, "failed": failed, "rate": round(stored / seconds, 1),
        "executed_pct": round(stored * 100 / (offered * seconds), 2),
        "cpu_s": round(side_cpu, 3), "cpu_us_per_probe": round(side_cpu * 1e6 / stored, 1),
        "cpu_percent": round(side_cpu * 100 / seconds, 1),
        "daemon_cpu_percent": round(cpu["daemon"] * 100 / seconds, 1),
        "agents_cpu_percent": round(sum(value for name, value in cpu.items() if name != "daemon") * 100 / seconds, 1),
        "processes": {name: {"cpu_percent": round(value * 100 / seconds, 1),
                             "cpu_us_per_probe": round(value * 1e6 / stored, 1)} for name, value in cpu.items()},
        "targets_cpu_percent": round(targets_cpu * 100 / seconds, 1),
        "targets_cpu_us_per_probe": round(targets_cpu * 1e6 / stored, 1),
        "machine_busy_percent": round(busy * 100 / seconds, 1),
        "others_cpu_percent": round((busy - side_cpu - targets_cpu) * 100 / seconds, 1),
        "window_s": round(seconds, 1),
    }
    if not agents:  # the daemon's own scheduler: the agents have no /healthz to read theirs from
        a, b = window["h0"]["scheduler"], window["h1"]["scheduler"]
        result.update({"skipped_late": b["skipped_late"] - a["skipped_late"],
                       "skipped_busy": b["skipped_busy"] - a["skipped_busy"],
                       "skipped_capacity": b["skipped_capacity"] - a["skipped_capacity"],
                       "lateness_p50_ms": b["lateness_ms"]["p50"], "lateness_p99_ms": b["lateness_ms"]["p99"]})
    return result
