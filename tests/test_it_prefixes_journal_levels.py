"""With stderr on the journal (JOURNAL_STREAM names it), every line starts with
its syslog priority (sd-daemon(3)) so `journalctl -p warning` filters by level.
The "journal" here is the daemon's log file: its device and inode go in the variable."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from logkit import send_bad_request, wait_for_line
from test_it_runs_the_daemon import DaemonProcess, config_text, free_port, notify_socket  # noqa: F401


def journal_stream(path: Path) -> str:
    path.touch()
    stat = path.stat()
    return f"{stat.st_dev}:{stat.st_ino}"


def split(line: str) -> tuple[int, dict]:
    assert line.startswith("<") and line[2] == ">", line
    return int(line[1]), json.loads(line[3:])


async def test_it_prefixes_each_daemon_line_with_its_level(tmp_path, notify_socket, monkeypatch):
    sock, sock_path = notify_socket
    log = tmp_path / "daemon.log"
    monkeypatch.setenv("JOURNAL_STREAM", journal_stream(log))
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(config_text(port, tmp_path / "upstatd.db", {}))
    daemon = DaemonProcess(config, sock, sock_path, log)
    try:
        await daemon.start()
        await send_bad_request(port)  # aiohttp: error
        await wait_for_line(log, "aiohttp.server")
        config.write_text(config_text(free_port(), tmp_path / "upstatd.db", {}))
        daemon.signal(signal.SIGHUP)  # a new listen address: config.restart_needed, a warning
        await wait_for_line(log, "config.reloaded")
        assert await daemon.stop() == 0
    finally:
        if daemon.proc and daemon.proc.returncode is None:
            daemon.proc.kill()
            await daemon.proc.wait()

    lines = [split(line) for line in log.read_text().splitlines()]
    pairs = {(record["level"], priority) for priority, record in lines}
    assert pairs == {("info", 6), ("warning", 4), ("error", 3)}
    events = {record["event"]: priority for priority, record in lines}
    assert events["daemon.started"] == 6
    assert events["config.restart_needed"] == 4
    assert events["Error handling request from 127.0.0.1"] == 3


def run_logging(stderr: Path, env: dict[str, str]) -> list[str]:
    script = """if True:
        import logging, structlog
        from upstatd import log
        log.setup("debug")
        structlog.get_logger("upstatd").debug("probe.detail", key="a")
        structlog.get_logger("upstatd").error("store.commit_failed", error="disk full")
        logging.getLogger("some.library").critical("gave up")
    """
    env = {key: value for key, value in os.environ.items() if key != "JOURNAL_STREAM"} | env
    with stderr.open("ab") as out:
        done = subprocess.run([sys.executable, "-c", script], stderr=out, timeout=30, env=env)
    assert done.returncode == 0, stderr.read_text()
    return stderr.read_text().splitlines()


def test_it_maps_debug_and_critical_too(tmp_path):
    log = tmp_path / "journal.log"
    lines = run_logging(log, {"JOURNAL_STREAM": journal_stream(log)})
    assert [split(line)[0] for line in lines] == [7, 3, 2]


@pytest.mark.parametrize("variable", [None, "elsewhere", "garbage"])
def test_it_leaves_lines_alone_off_the_journal(tmp_path, variable):
    """Unset, or naming another stream (a child of a journald-logged service whose
    stderr went to a file inherits the variable): plain JSON lines."""
    log = tmp_path / "plain.log"
    env = {}
    if variable == "elsewhere":
        env["JOURNAL_STREAM"] = journal_stream(tmp_path / "journal")
    elif variable == "garbage":
        env["JOURNAL_STREAM"] = "not:numbers"
    lines = run_logging(log, env)
    assert [json.loads(line)["level"] for line in lines] == ["debug", "error", "critical"]


@pytest.mark.parametrize("broken", ["config", "port"])
def test_it_marks_why_it_could_not_start_as_an_error(tmp_path, broken):
    """Printed, not logged, but on the journal all the same: `journalctl -p err` must show it."""
    config = tmp_path / "config.yaml"
    if broken == "config":
        config.write_text("monitors:\n  - {key: a, type: http, url: 'ftp://x'}\n  - {key: b, interval: 0s}\n")
    else:
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config.write_text(config_text(taken.getsockname()[1], tmp_path / "upstatd.db", {}))
    log = tmp_path / "journal.log"
    env = {key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"}
    with log.open("ab") as out:
        done = subprocess.run([sys.executable, "-m", "upstatd", "run", "-c", str(config)], stderr=out,
                              timeout=30, env=env | {"JOURNAL_STREAM": journal_stream(log)})
    if broken == "port":
        taken.close()
    assert done.returncode == 1
    lines = log.read_text().splitlines()
    assert all(line[0] + line[2] == "<>" for line in lines), lines
    printed = [line for line in lines if not line[3:].startswith("{")]  # not a JSON log line
    assert printed and all(line.startswith("<3>") for line in printed), lines
    expected = "config.yaml:2: monitors[0].url:" if broken == "config" else "upstatd: cannot start:"
    assert any(expected in line for line in printed), lines
