"""Deleting a channel keeps its alerts as history (channel_id null), so the
next alert is numbered above every channel's cursor and reaches its channel's
queue: deleting the newest alert rows let SQLite reuse their numbers, below
the other channels' positions, where they were never sent."""

from __future__ import annotations

from loopback import closed_port
from upstatd.store import alerts as store


async def test_it_numbers_the_next_alert_past_a_deleted_channels(api):
    made = {}
    for name in ("kept", "deleted"):
        status, _, made[name] = await api.request("POST", "/api/alert-channels", json={
            "name": name, "type": "webhook", "webhook": {"url": f"http://127.0.0.1:{closed_port()}/in"}})
        assert status == 201, made[name]
    kept = await api.daemon.read_db.call(store.get, made["kept"]["id"])
    gone = await api.daemon.read_db.call(store.get, made["deleted"]["id"])
    now = round(api.clock.time() * 1000)

    def alert(conn, alert_id: str, channel_seq: int) -> int:
        conn.execute(store.INSERT_ALERT, (alert_id, channel_seq, None, "opened", "sent", None, None, "{}", None,
                                          now, now))
        return conn.execute("SELECT seq FROM alerts WHERE id = ?", (alert_id,)).fetchone()[0]

    def first_two(conn):
        told_kept = alert(conn, "alt_kept1", kept.seq)
        newest = alert(conn, "alt_gone1", gone.seq)   # the newest row is the deleted channel's
        conn.execute("UPDATE alert_channels SET cursor = ? WHERE seq = ?", (newest, kept.seq))  # all read
        return newest
    newest = await api.daemon.writer.run(first_two)

    status, _, _ = await api.request("DELETE", f"/api/alert-channels/{made['deleted']['id']}")
    assert status == 204
    seq = await api.daemon.writer.run(lambda conn: alert(conn, "alt_kept2", kept.seq))
    assert seq > newest
    sql, args = store.ledger(kept.seq).pending(newest, 10)
    queued = await api.daemon.read_db.execute_fetchall(sql, args)
    assert [row[1] for row in queued] == ["alt_kept2"]  # in the kept channel's queue, past its cursor

    status, _, page = await api.request("GET", "/api/alerts")
    assert status == 200, page
    shown = {item["id"]: item["channel_id"] for item in page["data"]}
    assert shown == {"alt_kept2": made["kept"]["id"], "alt_gone1": None, "alt_kept1": made["kept"]["id"]}
