"""A ping answered 200 is on disk: the real daemon process takes 2,000 pings
over 50 connections, each with its own body, and is SIGKILLed part way
through; after a restart every body that got a 200 is in the pings table
(and once only), and the restarted daemon goes on numbering pings."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from daemonproc import Daemon
from loopback import closed_port

PINGS = 2000
CONNECTIONS = 50
KILL_AFTER = 600          # 200s seen before the SIGKILL
PING_KEY = "crash-test-ping-key-0123"
ACTIONS = ("", "/start", "/0", "/log", "/fail", "/3")


@pytest.fixture
async def daemon(tmp_path):
    tokens = [str(uuid.uuid4()) for _ in range(5)]
    config = tmp_path / "config.yaml"
    port = closed_port()
    config.write_text(
        f'server: {{listen: "127.0.0.1:{port}"}}\n'
        f'storage: {{path: "{tmp_path / "state" / "upstatd.db"}"}}\n'
        "monitors: []\n"
        f"pings: {{key: {PING_KEY}}}\n"
        "heartbeats:\n" + "".join(f'  - {{key: job{i}, period: 1h, token: "{token}"}}\n'
                                  for i, token in enumerate(tokens)))
    running = Daemon(config, tmp_path / "daemon.log", tmp_path)
    running.url = f"http://127.0.0.1:{port}"
    running.tokens = tokens
    running.db = tmp_path / "state" / "upstatd.db"
    yield running
    await running.close()


def ping_path(daemon: Daemon, i: int) -> tuple[str, str]:
    """(heartbeat key, URL path) of ping i: by UUID, or by slug every seventh."""
    job = i % len(daemon.tokens)
    action = ACTIONS[i % len(ACTIONS)]
    if i % 7 == 0:
        return f"job{job}", f"/ping/{PING_KEY}/job{job}{action}"
    return f"job{job}", f"/ping/{daemon.tokens[job]}{action}"


def stored_bodies(db: Path) -> dict[bytes, list[tuple[str, int]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out: dict[bytes, list[tuple[str, int]]] = {}
        for key, n, body in conn.execute(
                "SELECT h.key, p.n, p.body FROM pings AS p JOIN heartbeats AS h ON h.seq = p.heartbeat_seq"):
            out.setdefault(body, []).append((key, n))
        return out
    finally:
        conn.close()


async def test_every_ping_answered_200_survives_a_sigkill(daemon):
    await daemon.start()
    ok: dict[bytes, str] = {}      # body -> the heartbeat key it was sent to
    failed: list[int] = []
    other: list[tuple[int, int]] = []
    queue = iter(range(PINGS))
    timeout = aiohttp.ClientTimeout(total=10)

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in queue:   # shared: each ping is sent once, by one of the workers
            key, path = ping_path(daemon, i)
            body = f"ping {i:05d} {uuid.uuid4()}".encode()
            try:
                async with session.post(daemon.url + path, data=body) as response:
                    text = await response.text()
                    status = response.status
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
                failed.append(i)
                continue
            if status != 200 or text != "OK":
                other.append((i, status))
                continue
            ok[body] = key
            if len(ok) == KILL_AFTER:
                daemon.proc.send_signal(signal.SIGKILL)   # in the middle of 50 requests in flight

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(CONNECTIONS)))
    assert await daemon.wait() == -signal.SIGKILL
    assert other == []
    # The kill came part way: some pings were answered, the rest could not be.
    assert KILL_AFTER <= len(ok) < PINGS and len(ok) + len(failed) == PINGS
    assert len(failed) >= PINGS - KILL_AFTER - CONNECTIONS
    assert time.monotonic() - started < 20

    await daemon.start()
    stored = stored_bodies(daemon.db)
    missing = [body for body in ok if body not in stored]
    assert missing == [], f"{len(missing)} pings answered 200 are not in the database, e.g. {missing[:3]}"
    for body, key in ok.items():
        assert [where[0] for where in stored[body]] == [key], body   # on its own heartbeat, once
    # Answered or not, nothing is there twice; at most the requests in flight at the kill got no answer.
    assert all(len(where) == 1 for where in stored.values())
    assert len(ok) <= len(stored) <= len(ok) + CONNECTIONS

    # The restarted daemon takes pings again, numbered after the ones kept.
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for job, token in enumerate(daemon.tokens):
            before = max((n for where in stored.values() for key, n in where if key == f"job{job}"), default=0)
            async with session.post(f"{daemon.url}/ping/{token}", data=b"after the restart") as response:
                assert response.status == 200
            after = {key: n for key, n in stored_bodies(daemon.db)[b"after the restart"]}
            assert after[f"job{job}"] == before + 1
    daemon.proc.send_signal(signal.SIGTERM)
    assert await daemon.wait() == 0
