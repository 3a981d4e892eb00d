"""The real daemon as a child process, for the crash tests: `python -m upstatd
run -c config`, waited for by its READY=1 on a notify socket, killed or
stopped by the test."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

READY_TIMEOUT = 15


class Daemon:
    def __init__(self, config: Path, log: Path, tmp_path: Path, prefix: Sequence[str] = ()) -> None:
        """`prefix` runs the daemon through another command: tests/regions/netns.py's
        `lab.prefix(role)` puts it in a network namespace (the notify socket is a path, so
        it is reached from there too; the pid is still the daemon's)."""
        self.config, self.log, self.prefix = config, log, tuple(prefix)
        self.notify_path = str(tmp_path / "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.setblocking(False)
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        while True:  # what an earlier run of this daemon said (READY=1 again) is not this run's
            try:
                self.notify.recv(4096)
            except BlockingIOError:
                break
        self.proc = await asyncio.create_subprocess_exec(
            *self.prefix, sys.executable, "-m", "upstatd", "run", "-c", str(self.config),
            stdout=asyncio.subprocess.DEVNULL, stderr=self.log.open("ab"),
            env={**os.environ, "NOTIFY_SOCKET": self.notify_path})
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self.notify.recv(4096).startswith(b"READY=1"):
                    return
            except BlockingIOError:
                if self.proc.returncode is not None:
                    raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log.read_text()}")
                await asyncio.sleep(0.02)
        raise AssertionError(f"no READY=1 within {READY_TIMEOUT} s:\n{self.log.read_text()}")

    async def wait(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout=10)

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.notify.close()
