"""Processes from outside: /proc readings, spawning, and the helpers' mark protocol."""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


class BenchError(Exception):
    """Something the harness cannot measure around: exit status 2."""


# -- /proc -----------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (every thread, live or exited), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of proc(5)


def _status_kib(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {name} in /proc/{pid}/status")


def rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def peak_rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmHWM") / 1024


# -- starting processes ----------------------------------------------------------

def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the harness goes away, however it ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(cmd: list[str], **kwargs) -> subprocess.Popen:
    kwargs.setdefault("cwd", REPO)
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kwargs)


def stop(proc: subprocess.Popen | None, timeout: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *map(str, args)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{proc.args[0]} exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"nothing listens on 127.0.0.1:{port} after {timeout:g}s")


# -- helper processes: "mark" on stdin, one JSON line of counters back --------------

class Helper:
    """A `python -m bench.<module>` process paced by bench.pacing.

    It prints one JSON line when ready ({"ready": ...}), answers each `mark`
    with one JSON line of counters, and ends on `stop`, on EOF, or by itself
    after its own duration.
    """

    def __init__(self, module: str, *args: str, name: str = "") -> None:
        self.name = name or module
        self.proc = spawn(python_module(module, *args), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.ready = self._read_line(15.0)

    def mark(self) -> dict:
        self.send("mark")
        return self._read_line(5.0)

    def send(self, command: str) -> None:
        """One line to the helper (`mark`, or a command of its own)."""
        try:
            self.proc.stdin.write(command.encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise BenchError(f"{self.name} exited early: {self._stderr()}") from None

    def close(self) -> dict | None:
        """Stop it; returns its final counters when it printed them."""
        last = None
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"stop\n")
                self.proc.stdin.close()
                last = self._read_line(10.0)
            except (BrokenPipeError, BenchError):
                pass
        stop(self.proc, 5.0)
        return last

    def _read_line(self, timeout: float) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            stop(self.proc, 1.0)
            raise BenchError(f"{self.name} did not answer within {timeout:g}s: {self._stderr()}")
        return json.loads(line)

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read().decode(errors="replace")[-2000:] or f"exit status {self.proc.returncode}"
