"""sd_notify over the NOTIFY_SOCKET datagram protocol, without libsystemd.

systemd passes the address of a datagram socket in NOTIFY_SOCKET; the service
sends newline-separated KEY=VALUE assignments to it (READY=1, STATUS=...,
RELOADING=1, STOPPING=1, WATCHDOG=1). See sd_notify(3). run_status keeps
STATUS= current between READY=1s; run_watchdog pings WATCHDOG=1.

Notifications are best effort: when NOTIFY_SOCKET is unset every method is a
no-op, and a failed send (socket gone, receiver queue full) is dropped. They
never raise and never block the event loop.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping

# STATUS= is shown by `systemctl status`; a long one only wastes the datagram.
MAX_STATUS_CHARS = 200


class Notifier:
    def __init__(self, address: str | bytes | None) -> None:
        self._address = address
        self._sock: socket.socket | None = None
        self.last_status: str | None = None  # what STATUS= said last, so run_status sends only news
        if address is None:
            return
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        except OSError:
            return
        sock.setblocking(False)
        self._sock = sock

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Notifier:
        """Read NOTIFY_SOCKET (and leave it set: the environment is not ours)."""
        raw = environ.get("NOTIFY_SOCKET", "")
        if raw.startswith("@"):
            # Linux abstract namespace: the name starts with a NUL byte.
            return cls("\0" + raw[1:])
        if raw.startswith("/"):
            return cls(raw)
        # Unset, empty, or a kind we do not speak (vsock:...): stay silent.
        return cls(None)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def ready(self, status: str | None = None) -> None:
        if status is not None:
            self.last_status = status
        self._send("READY=1" if status is None else f"READY=1\n{_status(status)}")

    def status(self, text: str) -> None:
        self.last_status = text
        self._send(_status(text))

    def reloading(self) -> None:
        # Type=notify-reload wants the monotonic time the reload started, so a
        # READY=1 that was in flight before it is not mistaken for its end.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self._send(f"RELOADING=1\nMONOTONIC_USEC={usec}")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _send(self, message: str) -> None:
        if self._sock is None:
            return
        try:
            # sendto on every message (not connect once): a notify socket that
            # is re-created at the same address keeps receiving.
            self._sock.sendto(message.encode("utf-8", "replace"), self._address)
        except OSError:
            pass  # socket gone, EAGAIN, ECONNREFUSED: drop it, never crash


def _status(text: str) -> str:
    # A newline would start a new assignment; keep STATUS= one short line.
    line = " ".join(text.splitlines())
    return "STATUS=" + line[:MAX_STATUS_CHARS]


def watchdog_interval(environ: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None."""
    try:
        usec = int(environ["WATCHDOG_USEC"])
    except (KeyError, ValueError):
        return None
    if usec <= 0:
        return None
    pid = environ.get("WATCHDOG_PID")
    if pid is not None:
        try:
            if int(pid) != os.getpid():
                return None  # meant for another process (e.g. our parent)
        except ValueError:
            return None
    return usec / 2 / 1_000_000


STATUS_EVERY = 1.0  # seconds: `systemctl status` is read by people, not polled by machines


async def run_status(
    notifier: Notifier, status_line: Callable[[], str], interval: float = STATUS_EVERY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Every `interval` seconds, send STATUS=status_line() if its text changed.

    Runs until cancelled. Polling, not hooks in the services: the probe and
    ping paths know nothing of systemd, and a flapping monitor costs at most
    one datagram a second. A status_line() that raises is skipped.
    """
    while True:
        await sleep(interval)
        try:
            text = status_line()
        except Exception:
            continue
        if text != notifier.last_status:
            notifier.status(text)


async def run_watchdog(
    notifier: Notifier, interval: float, is_healthy: Callable[[], bool]
) -> None:
    """Ping WATCHDOG=1 every `interval` seconds while is_healthy() says so.

    Runs until cancelled. A check that is false (or raises) skips the ping,
    so a wedged daemon is restarted by systemd after WatchdogSec.
    """
    while True:
        try:
            healthy = is_healthy()
        except Exception:
            healthy = False
        if healthy:
            notifier.watchdog()
        await asyncio.sleep(interval)
