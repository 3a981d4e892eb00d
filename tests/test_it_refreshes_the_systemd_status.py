"""STATUS= follows monitor and heartbeat states between READY=1s: a real daemon
reporting to a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from test_it_runs_the_daemon import DaemonProcess, config_text, free_port, notify_socket  # noqa: F401
from upstatd.systemd import Notifier, run_status


async def test_it_sends_a_status_only_when_its_text_changed(notify_socket):
    sock, path = notify_socket
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    notifier.ready("3 monitors: 3 up")
    lines = iter(["3 monitors: 3 up", "3 monitors: 3 up", "3 monitors: 2 up, 1 down",
                  "3 monitors: 2 up, 1 down", "3 monitors: 3 up"])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the injected clock: one call per tick
        slept.append(seconds)
        if len(slept) > 5:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_status(notifier, lambda: next(lines), sleep=sleep)
    notifier.close()
    received = []
    while True:
        try:
            received.append(sock.recv(4096).decode())
        except BlockingIOError:
            break
    assert received == ["READY=1\nSTATUS=3 monitors: 3 up",
                        "STATUS=3 monitors: 2 up, 1 down", "STATUS=3 monitors: 3 up"]
    assert slept == [1.0] * 6  # a sleep of a second before every look: at most one datagram a second


async def test_it_reports_a_monitor_going_down_without_a_reload(tmp_path, notify_socket):
    sock, sock_path = notify_socket
    target = socket.socket()  # the kernel completes TCP handshakes on a listening socket
    target.bind(("127.0.0.1", 0))
    target.listen(16)
    port = target.getsockname()[1]
    config = tmp_path / "config.yaml"
    config.write_text(config_text(free_port(), tmp_path / "upstatd.db",
                                  {"svc": f"type: tcp, url: 'tcp://127.0.0.1:{port}'"}))
    daemon = DaemonProcess(config, sock, sock_path, tmp_path / "daemon.log")
    try:
        await daemon.start()
        assert daemon.messages[-1] == "READY=1\nSTATUS=1 monitors: 1 pending"
        await daemon.wait_message("STATUS=1 monitors: 1 up")

        target.close()  # now refused: down after two failures (1 s re-check)
        went_down = time.monotonic()
        await daemon.wait_message("STATUS=1 monitors: 1 down")
        assert time.monotonic() - went_down < 8

        assert daemon.messages[1:] == ["STATUS=1 monitors: 1 up", "STATUS=1 monitors: 1 down"]
        assert await daemon.stop() == 0
    finally:
        target.close()
        if daemon.proc and daemon.proc.returncode is None:
            daemon.proc.kill()
            await daemon.proc.wait()
