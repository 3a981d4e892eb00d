"""Helpers of the heartbeat tests (the fixtures are in this directory's conftest.py):
the heartbeats the daemon runs, a Pinger to ping it and read its SQLite file
back read-only (no flush: a 200 means committed), and SlowPost for a ping
whose body comes in parts."""

from __future__ import annotations

import asyncio
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import aiohttp

PING_KEY = "pk_0123456789abcdefXYZ"   # 22 characters of [A-Za-z0-9_-]
BACKUP = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"   # the token of heartbeat "backup"
POSTONLY = "1f0e6c7a-3b2d-4e5f-8a9b-0c1d2e3f4a5b"  # methods: post
MANUAL = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"    # manual_resume: true
UNKNOWN = "00000000-1111-4222-8333-444444444444"   # nobody's token

HEARTBEATS = f"""
heartbeats:
  - {{key: backup, period: 1h, grace: 10m, token: "{BACKUP}"}}
  - {{key: reports, slug: nightly-reports, cron: "0 3 * * *", grace: 1h}}
  - {{key: postonly, period: 1h, token: "{POSTONLY}", methods: post}}
  - {{key: manual, period: 1h, token: "{MANUAL}", manual_resume: true}}
"""

PING_COLUMNS = ("n", "created_at", "kind", "exit_status", "rid", "duration_ms", "method", "remote_addr", "scheme",
                "user_agent", "body_size", "body")


def read_rows(db_path: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Rows straight from the file, on a connection of our own (read-only): what is there
    is what the daemon committed, nothing it merely queued."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


class Pinger:
    """An Api (tests/api/conftest.py) with ping helpers and readers of the tables."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.url = api.url
        self.db_path = api.db_path
        self.session: aiohttp.ClientSession = api.session

    async def ping(self, method: str, path: str, *, data: Any = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any, str]:
        """`path` without the /ping/ prefix -> (status, headers, text)."""
        async with self.session.request(method, f"{self.url}/ping/{path}", data=data,
                                        headers=headers or {}) as response:
            return response.status, response.headers, await response.text()

    def rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return read_rows(self.db_path, sql, *args)

    def heartbeat(self, key: str) -> sqlite3.Row:
        """The heartbeats row of a YAML key (or of an API heartbeat's id)."""
        found = self.rows("SELECT * FROM heartbeats WHERE coalesce(key, id) = ?", key)
        assert len(found) == 1, f"no heartbeat {key}"
        return found[0]

    def pings(self, key: str) -> list[dict[str, Any]]:
        """The pings of a heartbeat, oldest first, as dicts of PING_COLUMNS."""
        seq = self.heartbeat(key)["seq"]
        return [dict(zip(PING_COLUMNS, row)) for row in self.rows(
            f"SELECT {', '.join(PING_COLUMNS)} FROM pings WHERE heartbeat_seq = ? ORDER BY n", seq)]

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) FROM {table}")[0][0]


def heartbeats_yaml(pings: str = f"pings: {{key: {PING_KEY}}}", heartbeats: str = HEARTBEATS) -> str:
    return textwrap.dedent(heartbeats).strip() + "\n" + pings + "\n"


class SlowPost:
    """A POST on a raw loopback connection whose body goes in parts: the daemon
    has the head and the first part (its handler is waiting for the rest) until
    `more()` sends the next part and `finish()` the rest, returning
    (status, raw response)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, parts: list[bytes]) -> None:
        self.reader, self.writer, self.parts = reader, writer, parts

    @classmethod
    async def send(cls, url: str, path: str, *parts: bytes) -> SlowPost:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        size = sum(map(len, parts))
        writer.write(f"POST /ping/{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\n"
                     f"Connection: close\r\n\r\n".encode())
        self = cls(reader, writer, list(parts))
        await self.more()
        return self

    async def more(self) -> None:
        self.writer.write(self.parts.pop(0))
        await self.writer.drain()

    async def finish(self) -> tuple[int, bytes]:
        try:
            while self.parts:
                await self.more()
            raw = await asyncio.wait_for(self.reader.read(), timeout=10)
        finally:
            self.writer.close()
        return int(raw.split(b" ", 2)[1]), raw


class Raw:
    """One loopback connection spoken to byte for byte: what a ping server's tests send
    (pipelined, malformed, slow) and the answers read back one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> Raw:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, host)

    def ping(self, path: str, method: str = "GET", body: bytes = b"", headers: str = "") -> bytes:
        """The bytes of a ping request for /ping/<path>."""
        length = f"Content-Length: {len(body)}\r\n" if body else ""
        return f"{method} /ping/{path} HTTP/1.1\r\nHost: {self.host}\r\n{length}{headers}\r\n".encode() + body

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, head_only: bool = False, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        """The next answer: (status, headers by lower-case name, body)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(length), timeout) if length else b""
        return int(lines[0].split(" ", 2)[1]), headers, body

    async def rest(self, timeout: float = 10) -> bytes:
        """Everything until the server closes the connection, or resets it (a close with
        bytes of ours unread); a TimeoutError if it does neither."""
        got = b""
        try:
            while chunk := await asyncio.wait_for(self.reader.read(65536), timeout):
                got += chunk
        except (ConnectionResetError, BrokenPipeError):  # reset, or found so by a write of ours
            pass
        return got

    def close(self) -> None:
        self.writer.close()
