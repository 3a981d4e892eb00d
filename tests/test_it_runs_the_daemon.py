"""The real daemon process on a temp config, probing loopback targets, read
back through `upstatd status --json`, reloaded with SIGHUP, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from loopback import closed_port, silent, start_raw, start_web

READY_TIMEOUT = 15


def free_port() -> int:
    return closed_port()


def config_text(port: int, db: Path, monitors: dict[str, str]) -> str:
    lines = [
        f'server: {{listen: "127.0.0.1:{port}"}}',
        f"storage: {{path: {db}}}",
        "defaults:",
        "  interval: 2s",
        "  timeout: 500ms",
        "  confirmation: {failures: 2, successes: 1, recheck: 1s}",
        "monitors:",
    ]
    for key, spec in monitors.items():
        lines.append(f"  - {{key: {key}, {spec}}}")
    return "\n".join(lines) + "\n"


class DaemonProcess:
    def __init__(self, config: Path, notify: socket.socket, notify_path: str, log: Path):
        self.config, self.notify, self.notify_path, self.log = config, notify, notify_path, log
        self.proc: asyncio.subprocess.Process | None = None
        self.messages: list[str] = []

    async def start(self) -> None:
        env = {**os.environ, "NOTIFY_SOCKET": self.notify_path}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "upstatd", "run", "-c", str(self.config),
            stdout=asyncio.subprocess.DEVNULL, stderr=self.log.open("ab"), env=env)
        await self.wait_message("READY=1")

    async def wait_message(self, prefix: str, timeout: float = READY_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.notify.recv(4096).decode()
            except BlockingIOError:
                if self.proc.returncode is not None:
                    raise AssertionError(f"daemon exited {self.proc.returncode}: {self.log.read_text()}")
                await asyncio.sleep(0.02)
                continue
            self.messages.append(message)
            if message.startswith(prefix):
                return message
        raise AssertionError(f"no {prefix} from the daemon; got {self.messages}; log:\n{self.log.read_text()}")

    async def status(self) -> dict[str, dict]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "upstatd", "status", "-c", str(self.config), "--json",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return {row["key"]: row for row in json.loads(out)}

    async def wait_status(self, predicate, timeout: float = 20) -> dict[str, dict]:
        deadline = time.monotonic() + timeout
        rows: dict = {}
        while time.monotonic() < deadline:
            rows = await self.status()
            if predicate(rows):
                return rows
            await asyncio.sleep(0.3)
        raise AssertionError(f"status never matched: {json.dumps(rows, indent=1)}\nlog:\n{self.log.read_text()}")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout=10)


@pytest.fixture
def notify_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    yield sock, path
    sock.close()


def states(rows: dict[str, dict]) -> dict[str, str]:
    return {key: row["state"] for key, row in rows.items()}


async def test_it_monitors_reloads_and_stops(tmp_path, notify_socket):
    web = await start_web()
    hung = await start_raw(silent)
    sock, sock_path = notify_socket
    config = tmp_path / "config.yaml"
    db_path = tmp_path / "state" / "upstatd.db"
    port = free_port()
    monitors = {
        "ok": f"type: http, url: '{web.url('/ok')}'",
        "fail": f"type: http, url: '{web.url('/fail')}'",
        "closed": f"type: tcp, url: 'tcp://127.0.0.1:{closed_port()}'",
        "hung": f"type: http, url: '{hung.url('/')}'",
    }
    config.write_text(config_text(port, db_path, monitors))
    daemon = DaemonProcess(config, sock, sock_path, tmp_path / "daemon.log")
    try:
        started = time.monotonic()
        await daemon.start()
        expected = {"ok": "up", "fail": "down", "closed": "down", "hung": "down"}
        rows = await daemon.wait_status(lambda rows: states(rows) == expected)
        # interval 2 s, recheck 1 s, 2 failures: confirmed within a few seconds of start.
        assert time.monotonic() - started < 12
        assert rows["ok"]["latency_ms"] > 0 and rows["ok"]["last_error"] is None
        assert rows["ok"]["uptime_24h"] == 100.0 and rows["fail"]["uptime_24h"] == 0.0  # since confirmed
        assert rows["fail"]["last_error"]["kind"] == "status_code"
        assert rows["fail"]["status_code"] == 500
        assert rows["closed"]["last_error"]["kind"] == "connection_error"
        assert rows["hung"]["last_error"] == {"kind": "timeout", "message": "no answer within 500ms (during first_byte)"}
        assert oct(db_path.stat().st_mode & 0o777) == "0o600"

        # Reload: drop "fail", add "more"; the others keep their state and since.
        before = rows
        del monitors["fail"]
        monitors["more"] = f"type: http, url: '{web.url('/ok')}', interval: 1s"
        config.write_text(config_text(port, db_path, monitors))
        daemon.signal(signal.SIGHUP)
        assert (await daemon.wait_message("RELOADING=1")).startswith("RELOADING=1\nMONOTONIC_USEC=")
        await daemon.wait_message("READY=1")
        rows = await daemon.wait_status(lambda rows: rows.keys() == {"ok", "closed", "hung", "more"}
                                        and rows["more"]["state"] == "up")
        for key in ("ok", "closed", "hung"):
            assert (rows[key]["state"], rows[key]["since"]) == (before[key]["state"], before[key]["since"])

        # A broken file is refused; the running monitors go on being checked.
        config.write_text(config_text(port, db_path, monitors) + "  - {key: bad, type: http, url: 'ftp://x'}\n")
        daemon.signal(signal.SIGHUP)
        await daemon.wait_message("READY=1")
        assert "config.reload_failed" in daemon.log.read_text()
        assert "config.yaml:12: monitors[4].url: must be an http:// or https:// URL" in daemon.log.read_text()
        checked = rows["ok"]["last_check_at"]
        rows = await daemon.wait_status(lambda rows: rows["ok"]["last_check_at"] > checked)
        assert rows.keys() == {"ok", "closed", "hung", "more"}

        stopping_at = time.monotonic()
        assert await daemon.stop() == 0
        assert time.monotonic() - stopping_at < 5
        await daemon.wait_message("STOPPING=1", timeout=1)
        kinds = [message.split("=")[0] for message in daemon.messages]
        kinds = [kind for kind in kinds if kind != "STATUS"]  # refreshes as states change
        assert kinds == ["READY", "RELOADING", "READY", "RELOADING", "READY", "STOPPING"]
        # A failed reload says so until the next reload, through the refreshes too.
        last = [message for message in daemon.messages if "STATUS=" in message][-1]
        assert last.endswith("; reload failed, running config kept"), daemon.messages

        # State survives a restart: straight after READY, nothing is back to pending.
        after_stop = await daemon.status()
        config.write_text(config_text(port, db_path, monitors))
        await daemon.start()
        rows = await daemon.status()
        assert states(rows) == states(after_stop) == {"ok": "up", "closed": "down", "hung": "down", "more": "up"}
        assert rows["closed"]["since"] == after_stop["closed"]["since"]
        assert await daemon.stop() == 0
    finally:
        if daemon.proc and daemon.proc.returncode is None:
            daemon.proc.kill()
            await daemon.proc.wait()
        await web.close()
        await hung.close()


async def test_it_refuses_to_start_on_a_broken_config(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("monitors:\n  - {key: a, type: http, url: 'http://127.0.0.1:1/', interval: 0s}\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "upstatd", "run", "-c", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=15)
    assert proc.returncode == 1
    assert f"{config}:2: monitors[0].interval: must be >= 1s" in err.decode()


async def test_it_refuses_a_second_daemon_on_the_same_database(tmp_path, notify_socket):
    sock, sock_path = notify_socket
    config = tmp_path / "config.yaml"
    config.write_text(config_text(free_port(), tmp_path / "upstatd.db", {}))
    first = DaemonProcess(config, sock, sock_path, tmp_path / "first.log")
    await first.start()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "upstatd", "run", "-c", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=15)
        assert proc.returncode == 1
        assert "another upstatd is already running on" in err.decode()
    finally:
        assert await first.stop() == 0


async def test_it_exits_when_start_up_fails_half_way(tmp_path):
    """The listener's port is taken: start fails after the database opened, and
    the process must still exit (not hang on the database threads)."""
    import socket as _socket
    taken = _socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = tmp_path / "config.yaml"
    config.write_text(config_text(port, tmp_path / "upstatd.db", {}))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "upstatd", "run", "-c", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=15)
    finally:
        taken.close()
    assert proc.returncode == 1
    assert "upstatd: cannot start:" in err.decode() and str(port) in err.decode()
