"""A schedule and an override made over the API reach the daemon's handoff timer
(oncall/service.py re-reads on on_call_schedule.* events): on_call.changed fires at
the override's start and at its end, with the people on either side."""

from __future__ import annotations

from clockdrive import move_to, wait_for
from handoffkit import events, start_api  # noqa: F401  (the fixture)
from oncallkit import utc
from schedulekit import with_people
from upstatd.clock import FakeClock

NOW = utc("2026-03-10T12:00:00")
DAILY = {"users": ["usr_anna", "usr_bob"], "starts_at": "2026-03-01T09:00", "length": "daily"}


async def test_an_override_over_the_api_is_a_handoff(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=NOW))
    _, _, schedule = await api.request("POST", "/api/on-call", json={"name": "Ops", "layers": [DAILY]})
    assert schedule["current"]["user_id"] == "usr_bob"   # day 9 from 03-01 09:00
    start, end = int(NOW) + 600, int(NOW) + 1800
    status, _, _ = await api.request("POST", f"/api/on-call/{schedule['id']}/overrides", json={
        "user_id": "usr_lead", "starts_at": start, "ends_at": end})
    assert status == 201
    # the service re-reads the schedules once told (after the commit): then its timer is armed; until
    # then it may not hold the new schedule at all (read on a busy machine after the POST answered)
    await wait_for(lambda: getattr(api.daemon.on_call.schedules.get(schedule["id"]), "overrides", None))
    await move_to(api, start + 1)
    await move_to(api, end + 1)
    told = [(data["previous"] and data["previous"]["id"], data["current"]["id"], data["at"])
            for _, data in await events(api, "on_call.changed")]
    # the first: a new schedule has someone on call where nobody was
    assert told == [(None, "usr_bob", int(NOW)), ("usr_bob", "usr_lead", start), ("usr_lead", "usr_bob", end)]
