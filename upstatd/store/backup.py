"""Copies of the SQLite file: `upstatd backup`, `upstatd restore`, and the copy
migrate() keeps before it changes the schema.

Every copy goes through SQLite's online backup API, in steps of PAGES_PER_STEP
pages with STEP_SLEEP between them, all inside one read transaction on the
source. That transaction matters: without it each step reads on its own, and a
write by another process (the running daemon's) between two steps restarts the
copy from page 1, so a paged backup of a busy database never ends (measured:
never finished against a writer committing every 10 ms). Inside it every step
reads the same snapshot. In WAL mode a reader never blocks the writer; what the
open snapshot holds back is the checkpoint, so the -wal file grows while the
copy runs and shrinks to normal at the next checkpoint after it.

A copy is written to a 0600 temporary file beside its destination, switched to
journal_mode=DELETE (one self-contained file, no -wal beside it), checked with
`PRAGMA integrity_check`, flushed, and only then renamed over the destination:
a failure (disk full, corruption) leaves whatever was there before.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import quote

from upstatd.store import db

PAGES_PER_STEP = 1024   # 4 MiB a step at the default 4 KiB page size
STEP_SLEEP = 0.005      # seconds between steps: lets the daemon's writer at the disk
# fsync the copy every this many steps (64 MiB), so that a GB of dirty pages does not
# go to disk at once in its final commit. bench/backup.py does not tell this apart
# from the daemon's own catch-up checkpoint when the snapshot closes: the worst
# commit of a 1 GB run was 10-113 ms with it, 64-106 ms without (BENCHMARKS.md).
FLUSH_EVERY_STEPS = 16
SIDE_FILES = ("-journal", "-wal", "-shm")
DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class BackupError(Exception):
    """A copy could not be made or does not pass its checks; the message says why."""


class DatabaseInUse(BackupError):
    pass


@dataclass(frozen=True)
class Copied:
    path: str
    size: int              # bytes
    schema_version: int    # PRAGMA user_version
    seconds: float         # copying, from the first step to the rename
    check_seconds: float   # integrity_check (0 when not verified)
    pages: int
    steps: int


@dataclass(frozen=True)
class Restored:
    path: str              # the database, now the backup's contents
    kept: str | None       # where the database that was there is kept
    size: int
    schema_version: int


def copy_database(source: sqlite3.Connection, dest: str, *, pages: int = PAGES_PER_STEP,
                  sleep: float = STEP_SLEEP, verify: bool = True) -> Copied:
    """A consistent copy of `source`'s main database at `dest` (replaced atomically)."""
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise BackupError(f"cannot write {dest}: there is no directory {directory}")
    started = time.monotonic()
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(dest)}.", suffix=".tmp")  # 0600
    except OSError as exc:
        raise BackupError(f"cannot write in {directory}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        version, total, steps = _copy_into(source, tmp, pages, sleep)
        copied_at = time.monotonic()
        if verify:
            problems = integrity_problems(tmp)
            if problems:
                raise BackupError(f"the copy fails PRAGMA integrity_check, so {dest} was not written "
                                  f"(is the database itself damaged?): {'; '.join(problems[:5])}")
        checked_at = time.monotonic()
        _fsync(tmp)
        os.replace(tmp, dest)
        _fsync(directory)
    except sqlite3.Error as exc:
        _remove(tmp)
        if _damaged(exc):
            raise BackupError(f"cannot copy the database, it is damaged ({exc}), so {dest} was not "
                              f"written") from None
        raise BackupError(f"cannot write {dest}: {exc}") from None
    except OSError as exc:
        _remove(tmp)
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    return Copied(dest, os.path.getsize(dest), version, copied_at - started, checked_at - copied_at, total, steps)


def _copy_into(source: sqlite3.Connection, path: str, pages: int, sleep: float) -> tuple[int, int, int]:
    """Copy into the (empty) file at `path`; -> (schema version, pages, steps)."""
    progress = {"steps": 0, "total": 0}
    fd = os.open(path, os.O_RDONLY)

    def step(status: int, remaining: int, total: int) -> None:
        progress["steps"] += 1
        progress["total"] = total
        if progress["steps"] % FLUSH_EVERY_STEPS == 0:
            os.fsync(fd)  # the copy's pages to disk a bit at a time, not all in its final commit

    target = sqlite3.connect(path, isolation_level=None)
    try:
        snapshot = not source.in_transaction
        if snapshot:  # one read transaction for every step: see the module's docstring
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        try:
            (version,) = source.execute("PRAGMA user_version").fetchone()
            source.backup(target, pages=pages, sleep=sleep, progress=step)
        finally:
            if snapshot and source.in_transaction:
                source.execute("COMMIT")
        target.execute("PRAGMA journal_mode = DELETE")  # the source's WAL flag came along with page 1
    finally:
        target.close()
        os.close(fd)
    return version, progress["total"], progress["steps"]


def integrity_problems(path: str) -> list[str]:
    """PRAGMA integrity_check's complaints about the file at `path` ([] when it says ok)."""
    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:  # damage bad enough that the check itself stops
        if not _damaged(exc):
            raise
        rows = [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def backup(db_path: str, dest: str, *, pages: int = PAGES_PER_STEP, sleep: float = STEP_SLEEP) -> Copied:
    """`upstatd backup`: copy the database at `db_path` to `dest`, the daemon running or not."""
    if not os.path.exists(db_path):
        raise BackupError(f"no database at {db_path}: has the daemon run with this config?")
    if os.path.exists(dest) and os.path.samefile(dest, db_path):
        raise BackupError(f"{dest} is the database itself; name another file")
    try:
        # Read-write but query-only: a read-only connection would leave -wal and -shm behind
        # when it is the last one to close (the daemon stopped); this one removes them. Not
        # db.connect: its pragmas would switch a file not in WAL mode (a fresh restore) to it.
        source = sqlite3.connect(db_path, isolation_level=None, timeout=5)
        source.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {db_path}: {exc}") from None
    try:
        return copy_database(source, dest, pages=pages, sleep=sleep)
    finally:
        source.close()


def restore(backup_path: str, db_path: str, now: float) -> Restored:
    """`upstatd restore`: put the backup at `backup_path` in place of the database,
    holding the daemon's lock throughout (refused while a daemon holds it)."""
    fd = db.lock(db_path)
    if fd is None:
        raise DatabaseInUse(f"a daemon is running on {db_path} (it holds {db_path}.lock): stop it first "
                            f"(systemctl stop upstatd), then restore")
    try:
        return _restore_locked(backup_path, db_path, now)
    finally:
        os.close(fd)


def _restore_locked(backup_path: str, db_path: str, now: float) -> Restored:
    if not os.path.isfile(backup_path):
        raise BackupError(f"no such file: {backup_path}")
    if os.path.exists(db_path) and os.path.samefile(backup_path, db_path):
        raise BackupError(f"{backup_path} is the database itself")
    directory = os.path.dirname(os.path.abspath(db_path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(db_path)}.", suffix=".restore")
    except OSError as exc:
        raise BackupError(f"cannot write in {directory}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        # Copied (not renamed) through the backup API: the backup stays as it is, it may be
        # on another file system, and a -wal beside it is read too.
        try:
            source = sqlite3.connect(f"file:{quote(os.path.abspath(backup_path))}?mode=ro", uri=True,
                                     isolation_level=None)
            try:
                version, _, _ = _copy_into(source, tmp, -1, 0)
            finally:
                source.close()
        except sqlite3.Error as exc:
            raise BackupError(f"cannot read {backup_path} as an upstatd database: {exc}") from None
        _check_restorable(backup_path, tmp, version)
        _match_owner(tmp, db_path if os.path.exists(db_path) else directory)
        _fsync(tmp)
        kept = _keep_current(db_path, now)
        os.replace(tmp, db_path)
        _fsync(directory)
    except sqlite3.Error as exc:
        _remove(tmp)
        raise BackupError(f"cannot restore {backup_path}: {exc}") from None
    except OSError as exc:
        _remove(tmp)
        raise BackupError(f"cannot restore {backup_path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    return Restored(db_path, kept, os.path.getsize(db_path), version)


def _check_restorable(backup_path: str, copy: str, version: int) -> None:
    newest = db.newest_version()
    if version > newest:
        raise BackupError(f"{backup_path} has schema version {version}, newer than this upstatd knows "
                          f"({newest}): it was made by a newer upstatd; upgrade upstatd to restore it")
    conn = sqlite3.connect(f"file:{quote(copy)}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    if version < 1 or "monitors" not in tables:
        raise BackupError(f"{backup_path} is not an upstatd database (schema version {version}, "
                          f"no monitors table)")
    problems = integrity_problems(copy)
    if problems:
        raise BackupError(f"{backup_path} fails PRAGMA integrity_check, not restored: "
                          f"{'; '.join(problems[:5])}")


def _keep_current(db_path: str, now: float) -> str | None:
    """Move the database that is there aside as `<db>.before-restore-<UTC time>`, its
    -wal and -journal (content not yet in the file) with it, its -shm removed: left
    beside the restored file, a stale -wal would be replayed into it."""
    if not os.path.exists(db_path):
        for suffix in SIDE_FILES:
            _remove(db_path + suffix, side_files=False)
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    kept, n = f"{db_path}.before-restore-{stamp}", 1
    while os.path.exists(kept):
        n += 1
        kept = f"{db_path}.before-restore-{stamp}-{n}"
    try:
        os.link(db_path, kept)  # the database keeps its name until the rename over it
    except OSError:
        os.rename(db_path, kept)
    for suffix in ("-wal", "-journal"):
        if os.path.exists(db_path + suffix):
            if os.path.getsize(db_path + suffix) > 0:
                os.rename(db_path + suffix, kept + suffix)
            else:
                os.remove(db_path + suffix)
    _remove(db_path + "-shm", side_files=False)
    return kept


def _match_owner(path: str, like: str) -> None:
    """Run as root for a daemon running as its own user: give the restored file that
    user, or the daemon could not open it."""
    if os.geteuid() != 0:
        return
    stat = os.stat(like)
    os.chown(path, stat.st_uid, stat.st_gid)


def _damaged(exc: sqlite3.Error) -> bool:
    """The error says the file is damaged or no database (primary code, extended ones included)."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in DAMAGED


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: str, side_files: bool = True) -> None:
    """Remove a file if it is there (with the -journal, -wal and -shm SQLite may have left)."""
    for name in (path, *(path + suffix for suffix in SIDE_FILES if side_files)):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass
