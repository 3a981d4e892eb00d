"""on_call.changed from the daemon on a FakeClock: each schedule's next handoff
is a timer; crossing it delivers the event (previous and current person, the
handoff's instant) to a webhook endpoint and stores who is on call; a restart
after handoffs while stopped tells the change once, at start; a local-time
handoff across Europe/Riga's spring change fires at its UTC instant."""

from __future__ import annotations

import sqlite3
import textwrap

from clockdrive import move_to, wait_for
from handoffkit import events, start_api, storage_yaml  # noqa: F401  (start_api: the fixture)
from hookkit import Receiver, webhooks_yaml
from oncallkit import utc
from rowskit import add_person, add_schedule
from upstatd.clock import FakeClock
from upstatd.events import Event

ANNA, BOB = {"id": "usr_anna", "name": "Anna"}, {"id": "usr_bob", "name": "Bob"}
OPS = {"id": "sch_ops", "name": "Ops"}


def seed(path, zone: str = "UTC", told: str | None = None) -> None:
    """Anna and Bob on a daily rotation handing off at 09:00 `zone`, Anna first on 03-01;
    `told`: who the last on_call.changed said."""
    add_person(str(path), "usr_anna", "Anna")
    add_person(str(path), "usr_bob", "Bob")
    add_schedule(str(path), "sch_ops", "Ops", [{"users": ["usr_anna", "usr_bob"], "timezone": zone,
                                               "starts_at": "2026-03-01T09:00", "length": "daily"}])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE on_call_schedules SET on_call_user_id = ?", (told,))


def told(api) -> str | None:
    with sqlite3.connect(api.db_path) as conn:
        return conn.execute("SELECT on_call_user_id FROM on_call_schedules").fetchone()[0]


def changes(found) -> list[tuple]:
    return [(data["previous"], data["current"], data["at"]) for _, data in found]


async def test_a_handoff_reaches_a_webhook_and_a_restart_tells_a_missed_one_once(start_api, tmp_path):
    path = tmp_path / "state.db"
    seed(path, told="usr_anna")   # 03-09 09:00 to 03-10 09:00 is Anna's (day 8)
    receiver = await Receiver().start()
    try:
        config = storage_yaml(path) + textwrap.dedent(webhooks_yaml(receiver.url, events='["on_call.changed"]'))
        first = await start_api(config, clock=FakeClock(wall=utc("2026-03-10T08:00:00")))
        handoff = utc("2026-03-10T09:00:00")
        await move_to(first, handoff - 1)
        assert await events(first, "on_call.changed") == []   # Anna was told already: nothing at start
        await move_to(first, handoff + 30)
        await receiver.wait_for(1)
        body = receiver.got[0].json
        assert body["type"] == "on_call.changed"
        assert body["data"] == {"object": {**OPS, "object": "on_call_schedule"}, "schedule": OPS,
                                "previous": ANNA, "current": BOB, "at": int(handoff)}
        assert body["created"] == int(handoff)  # the handoff's instant, not the tick that found it
        assert told(first) == "usr_bob"
        assert first.daemon.on_call.due["sch_ops"] == handoff + 86400   # the next one armed
        await first.daemon.stop()

        # stopped over two handoffs (Anna 03-11 09:00 ... still Anna at 10:00): told once, at start
        restart = utc("2026-03-11T10:00:00")
        second = await start_api(config, clock=FakeClock(wall=restart))
        assert changes(await events(second, "on_call.changed")) == [
            (ANNA, BOB, int(handoff)), (BOB, ANNA, int(restart))]
        await receiver.wait_for(2)
        await move_to(second, utc("2026-03-11T12:00:00"))
        assert len(await events(second, "on_call.changed")) == 2   # not told again
        assert told(second) == "usr_anna"
    finally:
        await receiver.close()


async def test_a_local_handoff_across_the_spring_change_fires_at_its_instant(start_api, tmp_path):
    path = tmp_path / "state.db"
    seed(path, "Europe/Riga", told="usr_bob")   # 03-28 09:00 EET (07:00Z) is day 27: Bob's
    api = await start_api(storage_yaml(path), clock=FakeClock(wall=utc("2026-03-28T12:00:00")))
    assert await events(api, "on_call.changed") == []
    # 09:00 EEST on 03-29 is 06:00Z (07:00Z was 09:00 in winter time)
    await move_to(api, utc("2026-03-29T05:59:00"))
    assert await events(api, "on_call.changed") == []
    await move_to(api, utc("2026-03-29T06:20:00"))
    assert changes(await events(api, "on_call.changed")) == [(BOB, ANNA, int(utc("2026-03-29T06:00:00")))]
    assert api.daemon.on_call.due["sch_ops"] == utc("2026-03-30T06:00:00")


async def test_a_schedule_never_told_says_who_is_on_call_at_start(start_api, tmp_path):
    path = tmp_path / "state.db"
    seed(path)
    api = await start_api(storage_yaml(path), clock=FakeClock(wall=utc("2026-03-10T08:00:00")))
    assert changes(await events(api, "on_call.changed")) == [(None, ANNA, int(utc("2026-03-10T08:00:00")))]


async def test_a_schedule_change_on_the_bus_is_read_again(start_api, tmp_path):
    """What the schedule commands emit (on_call_schedule.updated|deleted) makes the service
    read the schedules again: an edit that puts someone else on call now is a handoff, now;
    a deleted schedule's timer is gone."""
    path = tmp_path / "state.db"
    seed(path, told="usr_anna")
    now = utc("2026-03-10T08:00:00")
    api = await start_api(storage_yaml(path), clock=FakeClock(wall=now))
    swapped = '[{"users": ["usr_bob", "usr_anna"], "timezone": "UTC", "starts_at": "2026-03-01T09:00", ' \
              '"length": "daily"}]'
    await api.daemon.writer.run(lambda conn: conn.execute("UPDATE on_call_schedules SET layers = ?", (swapped,)))
    api.daemon.bus.publish(Event("evt_x", "on_call_schedule.updated", now, {"id": "sch_ops"}))
    await wait_for(lambda: api.daemon.on_call.current["sch_ops"] == "usr_bob")
    assert changes(await events(api, "on_call.changed")) == [(ANNA, BOB, int(now))]

    await api.daemon.writer.run(lambda conn: conn.execute("DELETE FROM on_call_schedules"))
    api.daemon.bus.publish(Event("evt_y", "on_call_schedule.deleted", now, {"id": "sch_ops"}))
    await wait_for(lambda: "sch_ops" not in api.daemon.on_call.schedules)
    assert api.daemon.on_call.timers.when("sch_ops") is None


async def test_a_schedule_the_core_refuses_is_skipped_not_fatal(start_api, tmp_path, capsys):
    """A stored row no command would write (a time zone edited by hand) is logged and left
    out; the daemon starts and the other schedules hand off."""
    path = tmp_path / "state.db"
    seed(path, told="usr_anna")
    add_schedule(str(path), "sch_bad", "Bad", [{"users": ["usr_anna"], "timezone": "Mars/Olympus",
                                               "starts_at": "2026-03-01T09:00", "length": "daily"}])
    api = await start_api(storage_yaml(path), clock=FakeClock(wall=utc("2026-03-10T08:00:00")))
    assert "on_call.schedule_unusable" in capsys.readouterr().out
    await move_to(api, utc("2026-03-10T09:00:00"))
    assert [data["schedule"]["id"] for _, data in await events(api, "on_call.changed")] == ["sch_ops"]
