"""A monitor with a constructed history, for the tests of the figures the API
answers (/status, the lists' stats): times are Unix seconds around NOW, the
FakeClock's wall time (a whole hour)."""

from __future__ import annotations

from fractions import Fraction

from loopback import closed_port
from upstatd.store.monitors import INSERT_STATE_CHANGE

NOW = 1_800_000_000
MIN = 60
HOUR = 3600
DAY = 86400


def pct(up_minutes: int, counted_minutes: int) -> float:
    """The exact uptime percentage the API answers for these minutes."""
    return float(Fraction(100 * up_minutes, counted_minutes))


async def make_monitor(api, **fields) -> tuple[str, int]:
    """A TCP monitor of a closed port -> (its id, its row seq)."""
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", **fields})
    assert status == 201, made
    rows = await api.daemon.read_db.execute_fetchall("SELECT seq FROM monitors WHERE id = ?", (made["id"],))
    return made["id"], rows[0][0]


def check_row(seq: int, at: int, ok: bool, latency_ms: float, **extra) -> tuple:
    """A row of `checks` (store/checks.py's column order)."""
    return (seq, at * 1000, int(ok), "up" if ok else "down", round(latency_ms * 1000), extra.get("status_code"),
            extra.get("error_kind"), extra.get("error_message"),
            extra.get("resolve_us"), extra.get("connect_us"), None, None, None, extra.get("details"))


async def history(api, seq: int, created_at: int, changes: list[tuple[int, str, str]],
                  pauses: list[tuple[int, int | None]] = ()) -> None:
    """Backdate the monitor to `created_at` and store its state changes and pauses (Unix seconds)."""
    def write(conn):
        conn.execute("UPDATE monitors SET created_at = ?, current_state = ?, state_since = ? WHERE seq = ?",
                     (created_at * 1000, changes[-1][2], changes[-1][0] * 1000, seq))
        for at, before, after in changes:
            conn.execute(INSERT_STATE_CHANGE, (seq, at * 1000, before, after, None, None, None))
        for started, ended in pauses:
            conn.execute("INSERT INTO monitor_pauses (monitor_seq, started_at, ended_at) VALUES (?, ?, ?)",
                         (seq, started * 1000, None if ended is None else ended * 1000))
    await api.daemon.writer.run(write)
