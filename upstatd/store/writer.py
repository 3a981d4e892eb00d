"""The one writer: every write to SQLite goes through this task.

High-volume rows (checks) and small statements (state changes) are queued
without waiting and committed many per transaction (group commit: 1 row per
transaction ~8k rows/s, 100+ ~180k rows/s). Work that must know it is durable
(`await writer.run(fn)`, `await writer.flush()`) waits for its commit.
If a commit fails (disk full), the batch is kept and retried; checks beyond
MAX_PENDING are dropped and counted rather than growing memory without bound.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
import structlog

log = structlog.get_logger("upstatd.store")

CHECK_COLUMNS = ("seq", "monitor_seq", "created_at", "ok", "state", "latency_us", "status_code",
                 "error_kind", "error_message", "resolve_us", "connect_us", "tls_us",
                 "first_byte_us", "transfer_us", "details")
INSERT_CHECK = (f"INSERT INTO checks ({', '.join(CHECK_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in CHECK_COLUMNS)})")
MAX_PENDING = 200_000
RETRY_DELAY = 1.0


class Writer:
    def __init__(self, conn: aiosqlite.Connection, linger: float = 0.05) -> None:
        self.conn = conn
        self.linger = linger  # wait this long for more rows before committing
        self._checks: list[tuple] = []
        self._ops: list[tuple[str, tuple]] = []
        self._rows: dict[str, list[tuple]] = {}          # INSERT -> rows, run with executemany
        self._latest: dict[Any, tuple[str, tuple]] = {}  # key -> the last statement queued for it
        self._jobs: list[tuple[Callable[[aiosqlite.Connection], Awaitable[Any]], asyncio.Future]] = []
        self._flushes: list[asyncio.Future] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._next_seq = 1
        self.rows_written = 0
        self.commits = 0
        self.dropped = 0
        self.failing = False
        self._rejected: sqlite3.Error | None = None  # why the last batch was refused (not retried)

    async def start(self) -> None:
        async with self.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM checks") as cursor:
            (self._next_seq,) = await cursor.fetchone()
        self._task = asyncio.create_task(self._loop(), name="store-writer")

    def add_check(self, row: tuple) -> int:
        """Queue a check row (every column but seq); returns its seq."""
        if len(self._checks) >= MAX_PENDING:
            self._checks.pop(0)
            self.dropped += 1
        seq = self._next_seq
        self._next_seq += 1
        self._checks.append((seq, *row))
        self._wake.set()
        return seq

    def add(self, sql: str, params: tuple = ()) -> None:
        """Queue a statement; statements run in order, before the batch's checks."""
        self._ops.append((sql, params))
        self._wake.set()

    def add_row(self, sql: str, row: tuple) -> None:
        """Queue a row for `sql` (an INSERT); a batch runs each statement's rows in one executemany."""
        self._rows.setdefault(sql, []).append(row)
        self._wake.set()

    def put(self, key: Any, sql: str, params: tuple) -> None:
        """Queue a statement that supersedes any queued under the same key (a row's
        latest state: one UPDATE per batch, however many changes came in it)."""
        self._latest[key] = (sql, params)
        self._wake.set()

    async def run(self, fn: Callable[[aiosqlite.Connection], Awaitable[Any]]) -> Any:
        """Run fn(conn) in its own transaction after what is queued; returns its result."""
        future = asyncio.get_running_loop().create_future()
        self._jobs.append((fn, future))
        self._wake.set()
        return await future

    async def flush(self) -> None:
        """Return once everything queued before this call is committed."""
        future = asyncio.get_running_loop().create_future()
        self._flushes.append(future)
        self._wake.set()
        await future

    async def stop(self) -> None:
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=10)
        except (TimeoutError, sqlite3.Error) as exc:
            log.error("store.flush_failed", error=str(exc), pending_checks=len(self._checks))
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    @property
    def pending(self) -> int:
        return len(self._checks) + len(self._ops) + len(self._latest) + sum(map(len, self._rows.values()))

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            if self.linger and not (self._jobs or self._flushes):
                await asyncio.sleep(self.linger)
            self._wake.clear()
            # Taken with the batch: a flush or job that arrives while this batch
            # commits waits for the next one, which holds what was queued meanwhile.
            flushes, self._flushes = self._flushes, []
            jobs, self._jobs = self._jobs, []
            if not await self._commit_batch():
                self._flushes, self._jobs = flushes + self._flushes, jobs + self._jobs
                await asyncio.sleep(RETRY_DELAY)
                self._wake.set()
                continue
            for fn, future in jobs:
                await self._run_job(fn, future)
            rejected, self._rejected = self._rejected, None
            for future in flushes:
                if future.done():
                    continue
                if rejected is None:
                    future.set_result(None)
                else:  # never report rows as committed that were not (a ping answered 200)
                    future.set_exception(rejected)

    async def _commit_batch(self) -> bool:
        checks, ops, rows, latest = self._checks, self._ops, self._rows, self._latest
        if not (checks or ops or rows or latest):
            return True
        self._checks, self._ops, self._rows, self._latest = [], [], {}, {}
        try:
            # The whole batch is one call into aiosqlite's thread: each call is a queue hop
            # and a thread wake-up each way, which costs more than the statements.
            await self.conn._execute(_write_batch, self.conn._conn, ops, list(latest.values()), rows, checks)
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                await self.conn.rollback()
            if not isinstance(exc, sqlite3.OperationalError):
                # Not the disk or a lock: retrying the same rows would fail forever.
                self.dropped += len(checks)
                self._rejected = exc
                log.error("store.batch_rejected", error=str(exc), checks=len(checks), statements=len(ops),
                          rows=sum(map(len, rows.values())))
                return True
            for sql, batch in rows.items():
                self._rows[sql] = batch + self._rows.get(sql, [])
            self._latest = {**latest, **self._latest}
            # Keep the batch, ahead of newer rows, for the retry.
            combined = checks + self._checks
            overflow = max(0, len(combined) - MAX_PENDING)
            self._checks = combined[overflow:]
            self.dropped += overflow
            self._ops = ops + self._ops
            if not self.failing:
                log.error("store.commit_failed", error=str(exc), pending_checks=len(self._checks))
            self.failing = True
            return False
        if self.failing:
            log.info("store.commit_recovered")
        self.failing = False
        self.commits += 1
        self.rows_written += len(checks) + len(ops) + len(latest) + sum(map(len, rows.values()))
        return True

    async def _run_job(self, fn: Callable, future: asyncio.Future) -> None:
        try:
            await self.conn.execute("BEGIN")
            result = await fn(self.conn)
            await self.conn.commit()
        except BaseException as exc:  # the job's error belongs to its caller
            if self.conn.in_transaction:
                await self.conn.rollback()
            if not future.done():
                future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if not future.done():
            future.set_result(result)


def _runs(statements: list[tuple[str, tuple]]) -> list[tuple[str, list[tuple]]]:
    """Consecutive statements with the same SQL, grouped: [(sql, [params, ...]), ...]."""
    out: list[tuple[str, list[tuple]]] = []
    for sql, params in statements:
        if out and out[-1][0] == sql:
            out[-1][1].append(params)
        else:
            out.append((sql, [params]))
    return out


def _write_batch(db: sqlite3.Connection, ops: list, latest: list, rows: dict, checks: list) -> None:
    """One transaction, run in aiosqlite's thread (aiosqlite's own `_execute`, with
    its sqlite3 connection): statements in order (runs of one statement as one
    executemany), then the latest per key, the rows, the checks."""
    db.execute("BEGIN")
    try:
        for sql, group in _runs(ops):
            db.executemany(sql, group)
        for sql, group in _runs(sorted(latest, key=lambda item: item[0])):
            db.executemany(sql, group)
        for sql, batch in rows.items():
            db.executemany(sql, batch)
        if checks:
            db.executemany(INSERT_CHECK, checks)
        db.commit()
    except BaseException:
        if db.in_transaction:
            db.rollback()
        raise
