"""Alerts and their attempts are kept `retention.alerts`: an old alert goes once
its channel's consumer is done with it (sent, given up, or passed by the
cursor) and its incident is resolved or closed; its attempts go with it. What
a consumer still needs stays whatever its age: a queued alert past the
cursor, the members of a digest still to go, and every alert of an open or
acknowledged incident, from which reminders are rebuilt at start
(alerts/dispatcher.py load_told)."""

from prunekit import FAILED, OK, alert, attempt, channel, ids, incident, prune_all, set_cursor
from upstatd.alerts.dispatcher import load_told

TABLES = ("alerts", "alert_attempts")


def seed(conn) -> dict[str, list[str]]:
    ch = channel(conn)
    resolved, closed = incident(conn, "resolved"), incident(conn, "closed")
    opened, acknowledged = incident(conn, "open"), incident(conn, "acknowledged")
    rows: dict[str, list[str]] = {"go": [], "stay": []}

    def add(kind: str, *args, **kwargs) -> str:
        alert_id = alert(conn, ch, *args, **kwargs)
        rows[kind].append(alert_id)
        return alert_id

    for status in ("sent", "failed"):
        attempt(conn, ch, add("go", 100, status, resolved), 100, OK if status == "sent" else FAILED)
    add("go", 100, "sent", closed, reason="resolved")
    add("go", 100, "sent", reason="test")                     # no incident
    sent_digest = add("stay", 100, "sent", reason="digest")   # goes at the next pass, after its members
    for _ in range(2):
        add("go", 100, "suppressed", resolved, digest_id=sent_digest)
    # the open and acknowledged incidents' alerts, the reminders' source
    for reason in ("opened", "reminder", "reminder"):
        attempt(conn, ch, add("stay", 100, "sent", opened, reason=reason), 100)
    add("stay", 100, "sent", acknowledged)
    add("go", 100, "queued", resolved)   # queued, then passed by the cursor (the channel re-enabled)
    set_cursor(conn, ch)
    # past the cursor: the consumer's queue
    head = add("stay", 95, "queued", resolved)     # being retried
    attempt(conn, ch, head, 95, FAILED, 60_000)
    waiting = add("stay", 95, "queued", reason="digest")
    add("stay", 95, "suppressed", resolved, digest_id=waiting)
    add("stay", 5, "sent", resolved)               # recent
    add("stay", 100, "sent", resolved)             # the newest row, however old
    rows["sent digest"] = [sent_digest]
    return rows


async def test_old_alerts_nobody_needs_go_with_their_attempts(store):
    database, writer, _ = store
    rows = await writer.run(seed)
    told = await database.call(load_told)
    assert len(told) == 2   # the open and the acknowledged incident
    assert [await prune_all(writer, table, 90) for table in TABLES] == [len(rows["go"]), 2]
    assert sorted(await ids(database, "SELECT id FROM alerts")) == sorted(rows["stay"])
    kept = await ids(database, "SELECT DISTINCT event_id FROM alert_attempts")
    assert set(kept) <= set(rows["stay"]) and len(kept) == 4
    assert await database.call(load_told) == told   # reminders and "told" rebuilt as before
    # the sent digest's members are gone now: it goes at the next pass
    assert [await prune_all(writer, table, 90) for table in TABLES] == [1, 0]
    assert rows["sent digest"][0] not in await ids(database, "SELECT id FROM alerts")


async def test_nothing_younger_than_the_retention_goes(store):
    database, writer, _ = store
    rows = await writer.run(seed)
    before = await ids(database, "SELECT seq FROM alerts ORDER BY seq")
    assert [await prune_all(writer, table, 101) for table in TABLES] == [0, 0]
    assert await ids(database, "SELECT seq FROM alerts ORDER BY seq") == before
    assert rows["go"]
