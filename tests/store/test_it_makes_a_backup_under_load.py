"""`upstatd backup` (the real command, a subprocess) of a running in-process daemon
that probes a loopback TCP port every second and takes heartbeat pings in a loop
meanwhile: the copy passes integrity_check, holds every ping answered 200 before the
backup started and every check committed by then, is 0600, and the pings go on
being answered while it is made."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid

import pytest

from backupkit import files, read
from cli import upstatd

TOKEN = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
HISTORY_ROWS = 300_000  # ~40 MB of older checks: a copy of several steps, with the daemon's writes between them


@pytest.fixture
async def tcp_target():
    async def accept(reader, writer):
        writer.close()
    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_it_makes_a_backup_of_a_running_daemon_under_probe_and_ping_load(start_api, tcp_target, tmp_path):
    api = await start_api(f"""
        pings: {{key: pk_0123456789abcdefXYZ}}
        monitors:
          - {{key: port, type: tcp, url: "tcp://127.0.0.1:{tcp_target}", interval: 1s, timeout: 500ms}}
        heartbeats:
          - {{key: job, period: 1h, token: "{TOKEN}"}}
        """)
    # History: older checks, written with the daemon stopped (it numbers its checks from what it finds).
    await api.daemon.stop()
    conn = sqlite3.connect(api.db_path)
    with conn:
        (seq,) = conn.execute("SELECT seq FROM monitors WHERE key = 'port'").fetchone()
        conn.executemany(
            "INSERT INTO checks (monitor_seq, created_at, ok, state, latency_us, connect_us, details) "
            "VALUES (?, ?, 1, 'up', 250, 200, ?)",
            ((seq, 1_700_000_000_000 + n * 60_000, '{"remote": "127.0.0.1"}') for n in range(HISTORY_ROWS)))
    conn.close()
    await api.daemon.start()

    acked: list[tuple[float, float, str]] = []  # (sent, answered) monotonic, rid: pings answered 200
    failed: list[str] = []
    stop = asyncio.Event()

    async def ping_loop():
        while not stop.is_set():
            rid = str(uuid.uuid4())
            sent = time.monotonic()
            async with api.session.post(f"{api.url}/ping/{TOKEN}?rid={rid}", data=b"still here") as response:
                await response.read()
                if response.status == 200:
                    acked.append((sent, time.monotonic(), rid))
                else:
                    failed.append(f"{response.status} {await response.text()}")

    pinger = asyncio.create_task(ping_loop())
    await asyncio.sleep(2.5)  # a few probes and many pings in
    assert acked, "no ping answered before the backup"
    backup = tmp_path / "backups" / "upstatd.db"
    backup.parent.mkdir()
    before = {rid for _, _, rid in acked}
    (checks_before,) = read(api.db_path, "SELECT count(*) FROM checks")[0]
    assert checks_before > HISTORY_ROWS  # the probes' own checks are among them
    started = time.monotonic()
    code, out, err = await upstatd("backup", str(backup), "-c", str(api.config_path))
    ended = time.monotonic()
    await asyncio.sleep(0.5)
    stop.set()
    await pinger

    assert code == 0, err
    assert not failed, failed
    assert out.startswith(f"wrote {backup}: ") and "schema version" in out and "integrity_check ok" in out
    steps = int(out.split(" pages in ")[1].split(" step")[0])
    assert steps >= 4, out  # several steps, so the daemon wrote between them
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert files(backup.parent) == ["upstatd.db"]  # no temp file, no -wal
    assert read(backup, "PRAGMA integrity_check") == [("ok",)]
    assert read(backup, "PRAGMA journal_mode") == [("delete",)]

    in_backup = {rid for (rid,) in read(backup, "SELECT rid FROM pings WHERE rid IS NOT NULL")}
    assert before <= in_backup, f"{len(before - in_backup)} pings answered 200 before the backup are missing"
    (checks_in_backup,) = read(backup, "SELECT count(*) FROM checks")[0]
    assert checks_in_backup >= checks_before
    # The daemon kept answering pings while the copy was made, none slowly.
    during = [answered - sent for sent, answered, _ in acked if started <= sent and answered <= ended]
    print(f"\nbackup {ended - started:.2f} s, {out.strip()}; {len(during)} pings answered during it, slowest {max(during or [0]) * 1000:.1f} ms, before it {max(a - s for s, a, _ in acked if a < started) * 1000:.1f} ms")
    assert during, f"no ping answered during the {ended - started:.2f} s backup"
    assert max(during) < 1.0, f"a ping took {max(during):.3f} s during the backup"
    # And it went on writing: the live database moved past the copy.
    (checks_after,) = read(api.db_path, "SELECT count(*) FROM checks")[0]
    assert checks_after > checks_in_backup or len(acked) > len(in_backup)
