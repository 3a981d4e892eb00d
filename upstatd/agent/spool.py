"""The agent's spool: one SQLite file holding what must outlive the process.

- the spool's random id and how far its `seq` numbers are given out (`reserved`);
- the results the daemon could not take yet, in `seq` order, bounded by bytes and
  age (oldest dropped first, counted);
- the last assignment (its body, ETag and the clock offset), so an agent started
  while the daemon is away goes on probing.

Results reach this file only when a push failed (agent/outbox.py keeps them in
memory first). `seq` must never repeat within a spool id, across restarts too,
yet writing the counter per result would cost a write per probe: numbers are
reserved a block at a time (RESERVE) and a restart starts after the block, so a
crash leaves a gap, never a repeat (the daemon ignores seq <= what it acked; gaps
cost nothing).

The functions take a sqlite3 connection (run through store/db.Database on its
thread); `Spool` is the agent's handle over them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
from typing import NamedTuple

from upstatd.store import db

RESERVE = 100_000  # seq numbers reserved per write of the counter
DROP_CHUNK = 1000  # rows deleted per statement when over max_size

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY, at REAL NOT NULL, body BLOB NOT NULL)",
)


class Opened(NamedTuple):
    spool_id: str
    next_seq: int         # the first seq this run may give out
    reserved: int         # given out up to here without another write
    results: int          # results in the file
    bytes: int            # their bodies' bytes
    assignment: bytes | None
    etag: str | None
    offset: float         # the daemon's wall time minus ours, at the last pull


class Stored(NamedTuple):
    results: int
    bytes: int
    dropped: int          # by the bounds, in this call


def _meta(conn: sqlite3.Connection, name: str, default=None):
    row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return default if row is None else row[0]


def _set(conn: sqlite3.Connection, name: str, value) -> None:
    conn.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                 (name, value))


def open_spool(conn: sqlite3.Connection) -> Opened:
    """Make the tables (and the id, the first time); reserve this run's first block."""
    for statement in SCHEMA:
        conn.execute(statement)
    spool_id = _meta(conn, "spool_id")
    if spool_id is None:
        spool_id = secrets.token_hex(16)
        _set(conn, "spool_id", spool_id)
    top = conn.execute("SELECT max(seq) FROM results").fetchone()[0] or 0
    next_seq = max(int(_meta(conn, "reserved", 0)), top) + 1
    reserved = reserve(conn, next_seq)
    count, size = conn.execute("SELECT count(*), coalesce(sum(length(body)), 0) FROM results").fetchone()
    return Opened(spool_id, next_seq, reserved, count, size, _meta(conn, "assignment"), _meta(conn, "etag"),
                  float(_meta(conn, "offset", 0.0)))


def reserve(conn: sqlite3.Connection, first: int) -> int:
    """Numbers from `first` may be given out up to the value returned."""
    top = first + RESERVE - 1
    _set(conn, "reserved", top)
    return top


def append(conn: sqlite3.Connection, rows: list[tuple[int, float, bytes]], before: tuple[int, int],
           max_size: int, max_age: float, now: float) -> Stored:
    """Add (seq, at, body) rows, then apply the bounds: results older than `max_age` at
    `now` go, then the oldest until the bodies fit in `max_size` bytes. `before`:
    (results, bytes) in the file before this call."""
    conn.executemany("INSERT OR IGNORE INTO results (seq, at, body) VALUES (?, ?, ?)", rows)
    count = before[0] + len(rows)
    size = before[1] + sum(len(body) for _, _, body in rows)
    dropped = 0
    gone = conn.execute("DELETE FROM results WHERE at < ? RETURNING length(body)", (now - max_age,)).fetchall()
    while True:
        dropped += len(gone)
        count -= len(gone)
        size -= sum(length for (length,) in gone)
        if size <= max_size or count <= 0:
            break
        gone = conn.execute("DELETE FROM results WHERE seq IN (SELECT seq FROM results ORDER BY seq LIMIT ?) "
                            "RETURNING length(body)", (_to_drop(size - max_size, size, count),)).fetchall()
    return Stored(count, size, dropped)


def _to_drop(excess: int, size: int, count: int) -> int:
    """Rows that free about `excess` bytes at the mean row size (at least one, at most a chunk)."""
    mean = max(1, size // max(1, count))
    return max(1, min(DROP_CHUNK, -(-excess // mean)))


def first(conn: sqlite3.Connection, limit: int) -> list[bytes]:
    """The oldest `limit` bodies, in seq order."""
    return [body for (body,) in conn.execute("SELECT body FROM results ORDER BY seq LIMIT ?", (limit,))]


def ack(conn: sqlite3.Connection, acked_seq: int) -> tuple[int, int]:
    """Delete what the daemon has taken: (results, bytes) deleted."""
    gone = conn.execute("DELETE FROM results WHERE seq <= ? RETURNING length(body)", (acked_seq,)).fetchall()
    return len(gone), sum(length for (length,) in gone)


def save_assignment(conn: sqlite3.Connection, body: bytes, etag: str | None, offset: float) -> None:
    _set(conn, "assignment", body)
    _set(conn, "etag", etag)
    _set(conn, "offset", offset)


class Spool:
    """The spool file of one agent process (its lock held while open), its counts kept in memory."""

    def __init__(self, database: db.Database, lock_fd: int, opened: Opened, max_size: int, max_age: float) -> None:
        self.database = database
        self._lock_fd = lock_fd
        self.id = opened.spool_id
        self.opened = opened
        self.results = opened.results
        self.bytes = opened.bytes
        self.dropped = 0              # since this process started (Push.spool_dropped)
        self.max_size = max_size
        self.max_age = max_age
        self._next = opened.next_seq
        self._reserved = opened.reserved

    @classmethod
    async def open(cls, path: str, max_size: int, max_age: float) -> Spool:
        """Raises Busy when another agent holds the file."""
        lock_fd = db.lock(path)
        if lock_fd is None:
            raise Busy(f"another upstatd agent is using the spool {path}")
        try:
            db.prepare_file(path)  # 0600: it holds the assignment, and monitors' credentials with it
            database = await db.Database.open(path)
            try:
                opened = await database.transaction(open_spool)
            except BaseException:
                await database.close()
                raise
        except BaseException:
            os.close(lock_fd)
            raise
        return cls(database, lock_fd, opened, max_size, max_age)

    @property
    def available(self) -> int:
        """Seq numbers take_seq() may give out before extend() must write."""
        return self._reserved - self._next + 1

    async def extend(self) -> None:
        self._reserved = await self.database.transaction(reserve, self._reserved + 1)

    def take_seq(self) -> int:
        """The next seq (Outbox keeps `available` ahead of its needs)."""
        if self._next > self._reserved:
            raise RuntimeError("seq numbers used past the reserved block")
        seq = self._next
        self._next += 1
        return seq

    async def append(self, rows: list[tuple[int, float, bytes]], now: float) -> int:
        """Store rows; returns how many the bounds dropped (the oldest)."""
        stored = await self.database.transaction(append, rows, (self.results, self.bytes), self.max_size,
                                                 self.max_age, now)
        self.results, self.bytes = stored.results, stored.bytes
        self.dropped += stored.dropped
        return stored.dropped

    async def first(self, limit: int) -> list[bytes]:
        return await self.database.call(first, limit) if self.results else []

    async def ack(self, acked_seq: int) -> None:
        if self.results:
            count, size = await self.database.transaction(ack, acked_seq)
            self.results -= count
            self.bytes -= size

    async def save_assignment(self, body: bytes, etag: str | None, offset: float) -> None:
        # shielded: a stop that cancels the caller while the job waits behind another on the
        # spool's one thread would otherwise cancel the job itself, and a restart would pull
        # (and apply) an assignment the agent already had
        await asyncio.shield(self.database.transaction(save_assignment, body, etag, offset))

    async def close(self) -> None:
        await self.database.close()
        os.close(self._lock_fd)


class Busy(Exception):
    pass
