"""sd_notify against a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid

import pytest

from upstatd.systemd import Notifier, run_watchdog, watchdog_interval


def _receiver(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(2.0)
    return sock


def _drain(sock: socket.socket) -> list[str]:
    """Everything queued right now, without waiting."""
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except BlockingIOError:
        return out
    finally:
        sock.settimeout(2.0)


@pytest.fixture
def listener(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = _receiver(path)
    yield path, sock
    sock.close()


def test_it_sends_each_notification_as_one_datagram(listener):
    path, sock = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert notifier.enabled

    notifier.ready()
    notifier.ready("serving 3 monitors")
    notifier.status("reloading config")
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    notifier.reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    notifier.stopping()
    notifier.watchdog()
    notifier.close()

    got = [sock.recv(4096).decode() for _ in range(6)]
    assert got[:3] == [
        "READY=1",
        "READY=1\nSTATUS=serving 3 monitors",
        "STATUS=reloading config",
    ]
    reload_lines = got[3].split("\n")
    assert reload_lines[0] == "RELOADING=1"
    key, _, usec = reload_lines[1].partition("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(usec) <= after
    assert len(reload_lines) == 2
    assert got[4:] == ["STOPPING=1", "WATCHDOG=1"]
    assert _drain(sock) == []


def test_it_reaches_an_abstract_socket():
    name = f"upstatd-test-{uuid.uuid4().hex}"
    sock = _receiver("\0" + name)
    try:
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "@" + name})
        notifier.ready("up")
        notifier.watchdog()
        notifier.close()
        assert sock.recv(4096) == b"READY=1\nSTATUS=up"
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_it_keeps_status_to_one_short_line(listener):
    path, sock = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    notifier.status("db locked\nREADY=1")
    notifier.status("x" * 5000)
    notifier.close()
    assert sock.recv(4096) == b"STATUS=db locked READY=1"
    long = sock.recv(8192).decode()
    assert long.startswith("STATUS=xxx")
    assert len(long) == len("STATUS=") + 200


def test_it_leaves_the_environment_alone(listener, monkeypatch):
    path, sock = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    notifier = Notifier.from_env()
    notifier.ready()
    notifier.close()
    assert os.environ["NOTIFY_SOCKET"] == path
    assert sock.recv(4096) == b"READY=1"


@pytest.mark.parametrize("env", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "vsock:2:1"}])
def test_it_is_a_no_op_without_a_usable_notify_socket(env):
    notifier = Notifier.from_env(env)
    assert not notifier.enabled
    notifier.ready("x")
    notifier.status("x")
    notifier.reloading()
    notifier.stopping()
    notifier.watchdog()
    notifier.close()
    notifier.close()


def test_it_survives_the_socket_going_away_and_coming_back(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = _receiver(path)
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    notifier.ready()
    assert sock.recv(4096) == b"READY=1"

    sock.close()
    os.unlink(path)
    notifier.watchdog()  # ENOENT: swallowed
    notifier.stopping()

    sock = _receiver(path)  # systemd re-created it at the same address
    try:
        notifier.watchdog()
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        notifier.close()
        sock.close()
    notifier.watchdog()  # after close: no-op


def test_it_does_not_block_when_the_receiver_is_full(listener):
    path, sock = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    sent = 5000
    errors: list[BaseException] = []

    def flood() -> None:
        try:
            for _ in range(sent):
                notifier.watchdog()
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    t.join(timeout=10)
    assert not t.is_alive(), "a send blocked on a full receiver"
    assert errors == []
    received = _drain(sock)
    notifier.close()
    assert 0 < len(received) < sent  # the queue did fill; the rest was dropped


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "1000"}, 0.0005),
        ({"WATCHDOG_USEC": "garbage"}, None),
        ({"WATCHDOG_USEC": ""}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "-5"}, None),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "nope"}, None),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
    ],
)
def test_it_derives_the_watchdog_interval(env, expected):
    assert watchdog_interval(env) == expected


async def _wait_for_pings(sock: socket.socket, n: int, timeout: float = 2.0) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        got += _drain(sock)
        await asyncio.sleep(0.005)
    return got


async def test_it_pings_the_watchdog_only_while_healthy(listener):
    path, sock = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    interval = 0.02
    healthy = True
    task = asyncio.create_task(run_watchdog(notifier, interval, lambda: healthy))
    try:
        pings = await _wait_for_pings(sock, 3)
        assert len(pings) >= 3
        assert set(pings) == {"WATCHDOG=1"}

        healthy = False
        _drain(sock)  # anything sent before the flip
        await asyncio.sleep(interval * 6)
        assert _drain(sock) == []

        healthy = True  # still running: pings resume
        assert await _wait_for_pings(sock, 1)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        notifier.close()


async def test_it_treats_a_raising_health_check_as_unhealthy(listener):
    path, sock = listener
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    calls = 0

    def check() -> bool:
        nonlocal calls
        calls += 1
        if calls <= 3:
            raise RuntimeError("scheduler state unreadable")
        return True

    task = asyncio.create_task(run_watchdog(notifier, 0.01, check))
    try:
        pings = await _wait_for_pings(sock, 1)
        assert pings and calls > 3
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        notifier.close()
