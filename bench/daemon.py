"""The daemon under test: a generated config, the real `upstatd run` process,
READY over NOTIFY_SOCKET, /healthz, /proc readings, SIGTERM, its database."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench import proc
from bench.proc import BenchError

UPSTATD = Path(sys.executable).with_name("upstatd")  # the venv's console script


def monitor(key: str, kind: str, targets, interval: str, timeout: str = "5s") -> dict:
    """One monitor of `kind` against the bench targets, as a config mapping."""
    url = {"http": f"http://127.0.0.1:{targets.http.port}/",
           "tcp": f"tcp://127.0.0.1:{targets.http.port}",
           "icmp": "icmp://127.0.0.1",
           "dns": "bench.test"}[kind]
    spec = {"key": key, "type": kind, "url": url, "interval": interval, "timeout": timeout}
    if kind == "icmp":
        spec["icmp"] = {"packets": 1}  # one echo per probe, like the floor and blackbox
    elif kind == "dns":
        spec["dns"] = {"nameserver": f"127.0.0.1:{targets.dns.port}", "record_type": "A"}
    return spec


def write_config(path: Path, monitors: list[dict], port: int, database: Path,
                 max_in_flight: int = 1000, heartbeats: list[dict] = (), pings: dict | None = None,
                 webhooks: list[dict] = (), server: dict | None = None, sections: dict | None = None) -> None:
    """YAML in flow style, one monitor (heartbeat, webhook endpoint) per line (JSON is YAML): fast to load.

    `server` adds keys to `server:` (`region: false`); `sections` adds top-level ones (`regions`, `defaults`)."""
    with open(path, "w") as f:
        f.write(f"server: {json.dumps({'listen': f'127.0.0.1:{port}', **(server or {})})}\n")
        f.write(f"storage: {{path: {json.dumps(str(database))}}}\n")
        f.write(f"scheduler: {{max_in_flight: {max_in_flight}}}\n")
        if pings:
            f.write(f"pings: {json.dumps(pings)}\n")
        for section, value in (sections or {}).items():
            f.write(f"{section}: {json.dumps(value)}\n")
        for section, items in (("monitors", monitors), ("heartbeats", heartbeats), ("webhooks", webhooks)):
            if section == "monitors" or items:
                f.write(f"{section}:\n")
            for spec in items:
                f.write(f"  - {json.dumps(spec, separators=(', ', ': '))}\n")


def notify_socket(path: Path) -> tuple[socket.socket, dict[str, str]]:
    """A fresh sd_notify socket at `path` and the environment that points a process at it
    (without the watchdog the harness's own environment may name)."""
    path.unlink(missing_ok=True)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(path))
    notify.settimeout(0.2)
    env = dict(os.environ, NOTIFY_SOCKET=str(path))
    env.pop("WATCHDOG_USEC", None)
    return notify, env

class Daemon:
    """`with Daemon(workdir, monitors) as daemon:` runs `upstatd run` until the block ends."""

    def __init__(self, workdir: Path, monitors: list[dict], max_in_flight: int = 1000,
                 heartbeats: list[dict] = (), pings: dict | None = None, webhooks: list[dict] = (),
                 server: dict | None = None, sections: dict | None = None) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = proc.free_port()
        self.database = workdir / "upstatd.db"
        self.config = workdir / "upstatd.yaml"
        self.log = workdir / "upstatd.log"
        write_config(self.config, monitors, self.port, self.database, max_in_flight, heartbeats, pings,
                     webhooks, server, sections)
        self.proc: subprocess.Popen | None = None
        self.pid = 0
        self.ready_seconds = 0.0
        self.stop_seconds = 0.0

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()

    def start(self, ready_timeout: float = 60.0) -> float:
        """Start and wait for READY=1; returns seconds from spawning to READY."""
        notify, env = notify_socket(self.workdir / "notify.sock")
        with notify, open(self.log, "wb") as log:
            began = time.monotonic()
            self.proc = proc.spawn([str(UPSTATD), "run", "-c", str(self.config)], env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            self.pid = self.proc.pid
            while time.monotonic() - began < ready_timeout:
                try:
                    message = notify.recv(4096)
                except TimeoutError:
                    if self.proc.poll() is not None:
                        raise BenchError(f"upstatd exited with {self.proc.returncode} before READY:\n"
                                         f"{self.log_tail()}") from None
                    continue
                if b"READY=1" in message.split(b"\n"):
                    self.ready_seconds = time.monotonic() - began
                    return self.ready_seconds
        proc.stop(self.proc, timeout=5.0)  # whatever it says on the way out, not being READY is the error
        raise BenchError(f"upstatd not READY within {ready_timeout:g}s:\n{self.log_tail()}")

    def health(self) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/healthz")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def cpu(self) -> float:
        return proc.cpu_seconds(self.pid)

    def rss_mib(self) -> float:
        return proc.rss_mib(self.pid)

    def peak_rss_mib(self) -> float:
        return proc.peak_rss_mib(self.pid)

    def alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError(f"upstatd exited unexpectedly:\n{self.log_tail()}")

    def stop(self) -> float:
        """SIGTERM and wait (graceful: in-flight probes end, the writer flushes)."""
        began = time.monotonic()
        status = proc.stop(self.proc, timeout=60.0)
        self.stop_seconds = time.monotonic() - began
        if status not in (0, None):
            raise BenchError(f"upstatd exited with {status} on SIGTERM:\n{self.log_tail()}")
        return self.stop_seconds

    def checks(self, since: float = 0.0, until: float = float("inf")) -> tuple[int, int]:
        """(checks, failed checks) stored with created_at in [since, until) (Unix seconds)."""
        until_ms = 2**62 if until == float("inf") else round(until * 1000)
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            total, failed = conn.execute(
                "SELECT count(*), coalesce(sum(ok = 0), 0) FROM checks WHERE created_at >= ? AND created_at < ?",
                (round(since * 1000), until_ms)).fetchone()
        return total, failed

    def failures(self, limit: int = 3) -> list[str]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT error_kind, error_message, count(*) FROM checks WHERE ok = 0 "
                                "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT ?", (limit,)).fetchall()
        return [f"{count}x {kind}: {message}" for kind, message, count in rows]

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
