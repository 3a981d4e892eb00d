"""The one writer: every write to SQLite goes through this task.

Rows and small statements are queued without waiting and committed many per
transaction (group commit: 1 row per transaction ~8k rows/s, 100+ ~180k
rows/s), after a linger of LINGER seconds that anyone waiting for a commit
(`run`, `submit`, `flush`, `flushed`) or BATCH_ROWS rows of one statement cut
short: a commit costs about a page write per index page it touches, so the
check rows of 10,000 monitors cost the writer's thread half as much in one
commit per 500 ms as in one per 50 ms (BENCHMARKS.md). Work that must know it is durable (`await writer.run(fn)`,
`await writer.flush()`) waits for its commit. If a commit fails (disk full),
the batch is kept and retried; rows queued with a `cap` (checks) beyond it
are dropped and counted rather than growing memory without bound.

A caller that cannot wait for a failing disk runs `with patient(seconds):` (the
API does, for each write request): its jobs are then refused with `Unavailable`
at once while the writer is failing, or when one has not started within that
many seconds. A refused job, like one whose caller was cancelled, is never run
later. A job that has started is waited for: its answer is the truth either way.

The writer knows no table: it runs the statements it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import structlog

from upstatd.store.db import Database

log = structlog.get_logger("upstatd.store")

RETRY_DELAY = 1.0
LINGER = 0.5          # s: queued rows wait this long for more before a commit nobody waits for
BATCH_ROWS = 10_000   # rows of one statement that commit without lingering (a burst, the storage bench)
# (the task, seconds its jobs may wait to start): set by patient(). Only that task's jobs are held
# to it; a task started meanwhile (a consumer a request created) is the daemon's own work.
_PATIENCE: contextvars.ContextVar[tuple[asyncio.Task | None, float] | None] = contextvars.ContextVar(
    "writer_patience", default=None)


@contextlib.contextmanager
def patient(seconds: float) -> Iterator[None]:
    """Jobs this task runs meanwhile wait at most `seconds` to start (see the module's doc)."""
    token = _PATIENCE.set((asyncio.current_task(), seconds))
    try:
        yield
    finally:
        _PATIENCE.reset(token)


class Unavailable(Exception):
    """The database cannot take a job now (the writer is failing: disk full, a lock held elsewhere)."""


class Writer:
    def __init__(self, db: Database, linger: float = LINGER) -> None:
        self.db = db
        self.linger = linger  # wait this long for more rows before committing
        self._hurry: asyncio.Future | None = None  # while lingering: done ends the linger
        self._ops: list[tuple[str, tuple]] = []
        self._rows: dict[str, list[tuple]] = {}          # INSERT -> rows, run with executemany
        self._caps: dict[str, int] = {}                   # INSERT -> how many rows may wait
        self._latest: dict[Any, tuple[str, tuple]] = {}  # key -> the last statement queued for it
        self._jobs: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future]] = []
        self._started: set[asyncio.Future] = set()  # the jobs running now
        self._flushes: list[asyncio.Future] = []
        self._shared: asyncio.Future | None = None  # flushed()'s, until the loop takes it
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.rows_written = 0
        self.commits = 0
        self.jobs = 0      # transactions run for `run`/`submit` jobs
        self.dropped = 0
        self.failing = False
        self._rejected: sqlite3.Error | None = None  # why the last batch was refused (not retried)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="store-writer")

    def add(self, sql: str, params: tuple = ()) -> None:
        """Queue a statement; statements run in order, before the batch's rows."""
        self._ops.append((sql, params))
        self._wake.set()

    def add_row(self, sql: str, row: tuple, cap: int | None = None) -> None:
        """Queue a row for `sql` (an INSERT); a batch runs each statement's rows in one
        executemany. With `cap`, at most that many rows of `sql` wait: beyond it the
        oldest is dropped and counted (checks while the disk is full)."""
        rows = self._rows.get(sql)
        if rows is None:
            rows = self._rows[sql] = []
            if cap is not None:
                self._caps[sql] = cap
        elif cap is not None and len(rows) >= cap:
            rows.pop(0)
            self.dropped += 1
        rows.append(row)
        self._wake.set()
        if len(rows) >= BATCH_ROWS:
            self._hurry_up()

    def put(self, key: Any, sql: str, params: tuple) -> None:
        """Queue a statement that supersedes any queued under the same key (a row's
        latest state: one UPDATE per batch, however many changes came in it)."""
        self._latest[key] = (sql, params)
        self._wake.set()

    async def run(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run fn(conn) (plain sqlite3, on the database's thread) in its own
        transaction after what is queued; returns its result or raises its error."""
        held = _PATIENCE.get()
        patience = held[1] if held is not None and held[0] is asyncio.current_task() else None
        if patience is not None and self.failing:
            raise Unavailable("the database cannot be written now (is the disk full?)")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.append((fn, future))
        self._wake.set()
        self._hurry_up()
        if patience is None:
            return await future

        def give_up() -> None:
            if not future.done() and future not in self._started:
                future.set_exception(Unavailable(f"the database did not take the change within {patience:g} s"))

        timer = loop.call_later(patience, give_up)
        try:
            return await future
        finally:
            timer.cancel()

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future:
        """Queue a job without waiting for it (no patience: for the daemon's own work,
        the outbox's saves): it runs, and before a later flush() returns, unless its
        future is cancelled before it starts (await it through asyncio.shield to keep
        it); the future holds its result or its error."""
        future = asyncio.get_running_loop().create_future()
        self._jobs.append((fn, future))
        self._wake.set()
        self._hurry_up()
        return future

    async def flush(self) -> None:
        """Return once everything queued before this call is committed. Its own future: an
        awaiter cancelled (a request gone, a wait_for timed out) cancels only its own wait."""
        future = asyncio.get_running_loop().create_future()
        self._flushes.append(future)
        self._wake.set()
        self._hurry_up()
        await future

    def flushed(self) -> asyncio.Future:
        """flush() as a future, for a caller that adds a done callback rather than a task
        (the ping server: one per ping). Its exception is the batch's sqlite3.Error.
        Callers until the loop takes its next batch share one future (that batch holds
        everything each of them queued); never flush()'s, which its awaiter may cancel."""
        if self._shared is None:
            self._shared = asyncio.get_running_loop().create_future()
            self._flushes.append(self._shared)
            self._wake.set()
            self._hurry_up()
        return self._shared

    async def stop(self) -> None:
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=10)
        except (TimeoutError, sqlite3.Error) as exc:
            log.error("store.flush_failed", error=str(exc), pending=self.pending)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    @property
    def pending(self) -> int:
        return len(self._ops) + len(self._latest) + sum(map(len, self._rows.values()))

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            if self.linger and not (self._jobs or self._flushes or self._full()):
                await self._linger()
            self._wake.clear()
            # Taken with the batch: a flush or job that arrives while this batch
            # commits waits for the next one, which holds what was queued meanwhile.
            flushes, self._flushes = self._flushes, []
            self._shared = None
            jobs, self._jobs = self._jobs, []
            if not await self._commit_batch():
                live = [job for job in jobs if not job[1].done()]  # a cancelled one is dropped here
                self._flushes, self._jobs = flushes + self._flushes, live + self._jobs
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

    async def _linger(self) -> None:
        """Wait `linger` seconds, or less if someone waits for a commit meanwhile (_hurry_up)."""
        loop = asyncio.get_running_loop()
        self._hurry = hurry = loop.create_future()
        timer = loop.call_later(self.linger, _resolve, hurry)
        try:
            await hurry
        finally:
            timer.cancel()
            self._hurry = None

    def _hurry_up(self) -> None:
        hurry = self._hurry
        if hurry is not None and not hurry.done():
            hurry.set_result(None)

    def _full(self) -> bool:
        return any(len(rows) >= BATCH_ROWS for rows in self._rows.values())

    async def _commit_batch(self) -> bool:
        ops, rows, latest = self._ops, self._rows, self._latest
        if not (ops or rows or latest):
            return True
        self._ops, self._rows, self._latest = [], {}, {}
        try:
            # The whole batch is one call into the database's thread: each call is a
            # queue hop and a thread wake-up each way, which costs more than the statements.
            await self.db.call(_write_batch, ops, list(latest.values()), rows)
        except sqlite3.Error as exc:
            count = sum(map(len, rows.values()))
            if not isinstance(exc, sqlite3.OperationalError):
                # Not the disk or a lock: retrying the same rows would fail forever.
                self.dropped += count
                self._rejected = exc
                log.error("store.batch_rejected", error=str(exc), statements=len(ops) + len(latest), rows=count)
                return True
            # Keep the batch, ahead of what was queued meanwhile, for the retry.
            for sql, batch in rows.items():
                combined = batch + self._rows.get(sql, [])
                overflow = max(0, len(combined) - self._caps.get(sql, len(combined)))
                self._rows[sql] = combined[overflow:]
                self.dropped += overflow
            self._latest = {**latest, **self._latest}
            self._ops = ops + self._ops
            if not self.failing:
                log.error("store.commit_failed", error=str(exc), pending=self.pending)
            self.failing = True
            return False
        if self.failing:
            log.info("store.commit_recovered")
        self.failing = False
        self.commits += 1
        self.rows_written += len(ops) + len(latest) + sum(map(len, rows.values()))
        return True

    async def _run_job(self, fn: Callable, future: asyncio.Future) -> None:
        if future.done():  # refused (patient) or its caller cancelled: not applied later
            return
        self.jobs += 1
        self._started.add(future)
        try:
            result = await self.db.transaction(fn)
        except BaseException as exc:  # the job's error belongs to its caller
            if not future.done():
                future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        finally:
            self._started.discard(future)
        if not future.done():
            future.set_result(result)


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _runs(statements: list[tuple[str, tuple]]) -> list[tuple[str, list[tuple]]]:
    """Consecutive statements with the same SQL, grouped: [(sql, [params, ...]), ...]."""
    out: list[tuple[str, list[tuple]]] = []
    for sql, params in statements:
        if out and out[-1][0] == sql:
            out[-1][1].append(params)
        else:
            out.append((sql, [params]))
    return out


def _write_batch(db: sqlite3.Connection, ops: list, latest: list, rows: dict) -> None:
    """One transaction on the database's thread: statements in order (runs of one
    statement as one executemany), then the latest per key, then the rows."""
    db.execute("BEGIN")
    try:
        for sql, group in _runs(ops):
            db.executemany(sql, group)
        for sql, group in _runs(sorted(latest, key=lambda item: item[0])):
            db.executemany(sql, group)
        for sql, batch in rows.items():
            db.executemany(sql, batch)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
