"""Opening the SQLite file: pragmas, permissions, versioned migrations.

Migrations are `migrations/NNNN_name.sql`, applied in order at start, each
in one transaction that also bumps `PRAGMA user_version` to NNNN. Before a
database that has a schema is migrated, a copy of it is written beside it
(`<db>.pre-migration-<from>-<to>`, the last PRE_MIGRATION_KEPT of them kept).
"""

from __future__ import annotations

import asyncio
import fcntl
import glob
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("upstatd.store")

READERS = 4  # read connections: API reads, roll-up batches and dispatchers' queue reads side by side
PRE_MIGRATION_KEPT = 3  # copies made before a migration, newest first; older ones are deleted

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",   # WAL + NORMAL: durable across a process crash
    "PRAGMA busy_timeout = 5000",
    "PRAGMA temp_store = MEMORY",
)


class MigrationError(Exception):
    pass


def migrations() -> list[tuple[int, str, str]]:
    out = []
    for entry in resources.files("upstatd.store").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            out.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(out)


def prepare_file(path: str) -> None:
    """Create the directory and an empty 0600 database file: it will hold secrets
    (token hashes), and SQLite gives -wal and -shm files the same mode."""
    Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def lock(storage_path: str) -> int | None:
    """Take the flock on `<db>.lock` that says "this database is in use": the daemon
    holds it while it runs (one daemon per database), `upstatd restore` while it
    replaces the file. Returns the descriptor (closing it releases the lock), or
    None when another process holds it."""
    os.makedirs(os.path.dirname(storage_path) or ".", exist_ok=True, mode=0o750)
    fd = os.open(storage_path + ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class Database:
    """SQLite connections on threads of their own: `await db.call(fn, *args)` runs
    `fn(conn, *args)` on one of them. Store functions are plain sqlite3 code, so
    the same function serves a read and a writer transaction.

    The writer's Database has one thread and one connection (its calls run in
    order). The readers' has READERS: in WAL mode readers do not block each
    other or the writer, and sqlite3 lets go of the GIL while a statement
    runs, so a long read (a roll-up batch, a 400-day SLA) does not hold up
    the API's other reads. Each thread opens its connection on first use.

    Why not aiosqlite: its public API costs a thread hop per statement, and the
    writer sends a whole batch (a flip is five statements) in one hop; that
    needed aiosqlite's private `_execute`. This is the same thread design in a
    page of code, with no private API."""

    def __init__(self, path: str, readonly: bool, size: int) -> None:
        self._path, self._readonly = path, readonly
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="sqlite-ro" if readonly else "sqlite-rw")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    async def open(cls, path: str, readonly: bool = False) -> Database:
        database = cls(path, readonly, READERS if readonly else 1)
        try:
            await database.call(_fetchall, "SELECT 1", ())  # a file that cannot open fails here, not later
        except BaseException:
            await database.close()
            raise
        return database

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self._path, self._readonly)
            with self._lock:
                self._opened.append(conn)
        return conn

    def _run(self, fn: Callable[..., T], args: tuple) -> T:
        return fn(self._conn(), *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, fn, args)

    async def execute_fetchall(self, sql: str, args: tuple | list = ()) -> list[sqlite3.Row]:
        return await self.call(_fetchall, sql, args)

    async def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(conn, *args) inside BEGIN ... COMMIT (rolled back if it raises)."""
        return await self.call(in_transaction, fn, *args)

    async def close(self) -> None:
        """After the calls under way end (the threads are joined first)."""
        self._executor.shutdown(wait=True)
        for conn in self._opened:
            conn.close()
        self._opened.clear()


def connect(path: str, readonly: bool = False) -> sqlite3.Connection:
    # check_same_thread off: a Database uses it only on the thread that made it, and closes it
    # once that thread has ended
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)  # explicit BEGIN/COMMIT
    conn.row_factory = sqlite3.Row
    for pragma in PRAGMAS:
        conn.execute(pragma)
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


def _fetchall(conn: sqlite3.Connection, sql: str, args: tuple | list) -> list[sqlite3.Row]:
    return conn.execute(sql, args).fetchall()


def in_transaction(conn: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    conn.execute("BEGIN")
    try:
        result = fn(conn, *args)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def newest_version() -> int:
    known = migrations()
    return known[-1][0] if known else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations; returns the schema version. A database that already
    has a schema (version > 0) is copied first (copy_before_migrating)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    known = migrations()
    newest = known[-1][0] if known else 0
    if version > newest:
        raise MigrationError(f"the database is at schema version {version}, newer than this "
                             f"upstatd knows ({newest}); upgrade upstatd or restore a backup")
    if 0 < version < newest:
        copy_before_migrating(conn, version, newest)
    for number, name, sql in known:
        if number > version:
            try:
                conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise MigrationError(f"migration {number:04d}_{name} failed: {exc}") from exc
            version = number
    return version


def main_file(conn: sqlite3.Connection) -> str:
    """The file of the connection's main database ("" for an in-memory one)."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or ""
    return ""


def copy_before_migrating(conn: sqlite3.Connection, old: int, new: int) -> str | None:
    """Write `<db>.pre-migration-<old>-<new>` through the online backup API and keep
    only the newest PRE_MIGRATION_KEPT such copies. No copy, no migration: a failure
    (disk full) is a MigrationError, and the database stays as it was."""
    from upstatd.store.backup import BackupError, copy_database

    path = main_file(conn)
    if not path:
        return None
    dest = f"{path}.pre-migration-{old:04d}-{new:04d}"
    try:
        # One step: at start the daemon holds the lock, so nothing else writes meanwhile.
        copied = copy_database(conn, dest, pages=-1, sleep=0, verify=False)
    except BackupError as exc:
        raise MigrationError(f"not migrating {path} from schema version {old} to {new}: the copy kept "
                             f"before a migration could not be written: {exc}") from None
    log.info("store.pre_migration_copy", path=dest, from_version=old, to_version=new, bytes=copied.size,
             seconds=round(copied.seconds, 3))
    for stale in pre_migration_copies(path)[PRE_MIGRATION_KEPT:]:
        try:
            os.remove(stale)
            log.info("store.pre_migration_copy_removed", path=stale)
        except OSError as exc:
            log.warning("store.pre_migration_copy_not_removed", path=stale, error=str(exc))
    return dest


def pre_migration_copies(path: str) -> list[str]:
    """The copies made before migrations of the database at `path`, newest first."""
    found = [name for name in glob.glob(glob.escape(path) + ".pre-migration-*")
             if re.fullmatch(r"\d{4}-\d{4}", name[len(path) + len(".pre-migration-"):])]
    return sorted(found, key=lambda name: (os.stat(name).st_mtime_ns, name), reverse=True)
