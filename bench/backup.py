"""python -m bench.backup [--mb 1000] [--dir DIR]: what `upstatd backup` costs a busy daemon.

Builds a database of about --mb MB with the real schema (db.migrate) and HTTP check
rows shaped like the storage scenario's (100 monitors' history), then runs a writer
process that commits like the daemon's group-commit writer (every 10 ms a transaction
of 20 check rows, with the daemon's pragmas) and measures each commit, first alone,
then while each way of copying runs in this process:

- paged:    the default, PAGES_PER_STEP pages a step, STEP_SLEEP between steps, all in
            one read transaction on the source (what `upstatd backup` does)
- one-step: pages=-1, the whole copy in one step
- cli:      the real `upstatd backup FILE -c CONFIG` (copy + integrity_check + start-up)
- no-snapshot: paged steps without the read transaction around them, given 60 s: it
            restarts from page 1 whenever the writer commits between two steps

Prints one line per way: its seconds, writer commits during it, commit latency
p50/p99/max (ms), the longest gap between the starts of two commits (ms; 10 ms when
nothing stalls), the largest -wal seen (the open snapshot holds the checkpoint back)
and the same figures for the writer alone just before; then the copy and the
integrity_check phases apart.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from upstatd.store import backup, db
from upstatd.store.checks import COLUMNS, INSERT

MONITORS = 100
ROWS_PER_COMMIT = 20
COMMIT_EVERY = 0.010
BASELINE = 5.0  # seconds of the writer alone before each copy


def check_row(monitor: int, n: int, rng: random.Random) -> tuple:
    """A row of `checks` (every column but seq) like an HTTPS check's."""
    values = {"monitor_seq": monitor, "created_at": 1_700_000_000_000 + n * 60_000, "ok": 1, "state": "up",
              "latency_us": rng.randint(20_000, 400_000), "status_code": 200, "error_kind": None,
              "error_message": None, "resolve_us": rng.choice((3, 5, 800)), "connect_us": rng.randint(900, 30_000),
              "tls_us": rng.randint(2_000, 60_000), "first_byte_us": rng.randint(5_000, 200_000),
              "transfer_us": rng.randint(50, 3_000), "details": None}
    return tuple(values.get(column) for column in COLUMNS[1:])  # COLUMNS[0] is seq


def build(path: Path, mb: int) -> None:
    db.prepare_file(str(path))
    conn = db.connect(str(path))
    db.migrate(conn)
    rng = random.Random(1)
    seq, minute = 1, 0
    while os.path.getsize(path) < mb * 1_000_000:
        conn.execute("BEGIN")
        rows = []
        for _ in range(1_000):  # 1,000 minutes of 100 monitors a transaction
            for monitor in range(1, MONITORS + 1):
                rows.append((seq, *check_row(monitor, minute, rng)))
                seq += 1
            minute += 1
        conn.executemany(INSERT, rows)
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def writer(path: str, start_seq: int, stop, results) -> None:
    """The daemon's writer, roughly: a transaction of ROWS_PER_COMMIT rows every COMMIT_EVERY."""
    conn = db.connect(path)
    rng = random.Random(2)
    seq, commits = start_seq, []
    next_at = time.monotonic()
    while not stop.is_set():
        began = time.monotonic()
        conn.execute("BEGIN")
        conn.executemany(INSERT, [(seq + i, *check_row(1 + i % MONITORS, seq + i, rng)) for i in range(ROWS_PER_COMMIT)])
        conn.execute("COMMIT")
        seq += ROWS_PER_COMMIT
        commits.append((began, time.monotonic() - began))
        next_at += COMMIT_EVERY
        time.sleep(max(0.0, next_at - time.monotonic()))
    conn.close()
    results.put(commits)


def unsnapshotted(source: str, dest: str, limit: float) -> str:
    """Paged steps as Python's backup() does them by default: each step its own read."""
    src = db.connect(source, readonly=True)
    dst = sqlite3.connect(dest)
    restarts, last = 0, None

    def progress(status, remaining, total):
        nonlocal restarts, last
        if last is not None and remaining > last:
            restarts += 1
        last = remaining
        if time.monotonic() > deadline:
            raise TimeoutError

    deadline = time.monotonic() + limit
    try:
        src.backup(dst, pages=backup.PAGES_PER_STEP, sleep=backup.STEP_SLEEP, progress=progress)
        outcome = f"finished, {restarts} restarts"
    except TimeoutError:
        outcome = f"not finished after {limit:.0f} s: restarted {restarts} times"
    finally:
        src.close()
        dst.close()
    return outcome


def measure(path: Path, label: str, copy) -> None:
    (start_seq,) = sqlite3.connect(path).execute("SELECT coalesce(max(seq), 0) + 1 FROM checks").fetchone()
    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    proc = multiprocessing.Process(target=writer, args=(str(path), start_seq, stop, results))
    proc.start()
    time.sleep(BASELINE)  # the writer alone, warmed up
    wal_peak = [0]
    watching = threading.Event()

    def watch():
        while not watching.is_set():
            try:
                wal_peak[0] = max(wal_peak[0], os.path.getsize(f"{path}-wal"))
            except FileNotFoundError:
                pass
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    began = time.monotonic()
    note, phases = copy()
    ended = time.monotonic()
    watching.set()
    watcher.join()
    time.sleep(1.0)
    stop.set()
    commits = results.get()
    proc.join()
    alone = sorted(latency for at, latency in commits if at < began - 0.2)

    def pct(values, p):
        return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")

    def stats(start, end):
        during = [(at, latency) for at, latency in commits if start <= at <= end]
        gaps = [b[0] - a[0] for a, b in zip(during, during[1:])]
        latencies = sorted(latency for _, latency in during)
        return (f"commits {len(during):5}  latency p50 {pct(latencies, .5):5.2f} p99 {pct(latencies, .99):6.2f} "
                f"max {max(latencies, default=0) * 1000:7.2f} ms  longest gap {max(gaps, default=0) * 1000:6.1f} ms")

    print(f"{label:12} {ended - began:7.2f} s  {stats(began, ended)}  wal peak {wal_peak[0] / 1e6:6.1f} MB  "
          f"(alone, {len(alone)} commits: p50 {pct(alone, .5):.2f} p99 {pct(alone, .99):.2f} max "
          f"{max(alone, default=0) * 1000:.2f} ms)  {note}", flush=True)
    for name, start, end in phases:
        print(f"  {name:10} {end - start:7.2f} s  {stats(start, end)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=1000, help="database size to build (default %(default)s MB)")
    parser.add_argument("--dir", type=Path, default=None, help="where (default: a temporary directory)")
    parser.add_argument("--skip-no-snapshot", action="store_true")
    args = parser.parse_args(argv)
    base = args.dir or Path(tempfile.mkdtemp(prefix="upstatd-bench-backup-"))
    base.mkdir(parents=True, exist_ok=True)
    path = base / "upstatd.db"
    if not path.exists():
        began = time.monotonic()
        build(path, args.mb)
        print(f"built {path}: {os.path.getsize(path) / 1e6:.0f} MB in {time.monotonic() - began:.0f} s", flush=True)
    config = base / "config.yaml"
    config.write_text(f'storage: {{path: "{path}"}}\nmonitors: []\n')
    dest = base / "backup.db"

    def library(**options):
        def run():
            began = time.monotonic()
            copied = backup.backup(str(path), str(dest), **options)
            copied_at = began + copied.seconds
            return (f"copy {copied.seconds:.2f} s, check {copied.check_seconds:.2f} s, {copied.steps} steps, "
                    f"{copied.size / 1e6:.0f} MB", [("copy", began, copied_at),
                                                     ("check", copied_at, copied_at + copied.check_seconds)])
        return run

    def cli():
        done = subprocess.run([sys.executable, "-m", "upstatd", "backup", str(dest), "-c", str(config)],
                              capture_output=True, text=True)
        return (done.stdout or done.stderr).strip().split(": ", 1)[-1], []

    def no_snapshot():
        return unsnapshotted(str(path), str(base / "unsnapshotted.db"), 60), []

    measure(path, "paged", library())
    measure(path, "one-step", library(pages=-1, sleep=0))
    measure(path, "cli", cli)
    if not args.skip_no_snapshot:
        measure(path, "no-snapshot", no_snapshot)
    print(f"(files in {base})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
