"""GET /api/on-call/{id}/shifts?from=&to= answers what the pure core answers for
the worked example of docs/on-call.md (a weekly Riga rotation, an office-hours
layer on top, Anna's Tuesday-evening override), with the people's names; the
range defaults to now .. now + 7 days; a bad range is a 400 naming `from` or `to`."""

from __future__ import annotations

from upstatd.clock import FakeClock
from upstatd.oncall import rotations
from upstatd.oncall.layers import Layer, Restriction
from upstatd.oncall.rotations import Override, Schedule

from oncallkit import utc
from handoffkit import start_api  # noqa: F401  (the fixture)
from schedulekit import PEOPLE, with_people

NOW = utc("2026-03-27T00:00:00")
ROTATION = {"users": ["usr_anna", "usr_bob"], "timezone": "Europe/Riga", "starts_at": "2026-03-06T10:00",
            "length": "weekly"}
OFFICE = {"users": ["usr_lead"], "timezone": "Europe/Riga", "starts_at": "2026-03-02T00:00", "length": "weekly",
          "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]}
EVENING = (utc("2026-03-31T15:00:00"), utc("2026-03-31T20:00:00"))  # 18:00-23:00 EEST


def core_schedule() -> Schedule:
    office = Layer(("usr_lead",), "2026-03-02T00:00", "weekly", "Europe/Riga",
                   (Restriction(("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00"),))
    return Schedule((Layer(("usr_anna", "usr_bob"), "2026-03-06T10:00", "weekly", "Europe/Riga"), office),
                    (Override("usr_anna", *EVENING),))


async def made(api) -> str:
    _, _, schedule = await api.request("POST", "/api/on-call", json={"name": "Ops", "layers": [ROTATION, OFFICE]})
    status, _, _ = await api.request("POST", f"/api/on-call/{schedule['id']}/overrides", json={
        "user_id": "usr_anna", "starts_at": int(EVENING[0]), "ends_at": int(EVENING[1])})
    assert status == 201
    return schedule["id"]


async def test_it_lists_the_shifts_the_core_computes(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=NOW))
    schedule_id = await made(api)
    start, end = int(utc("2026-03-27T00:00:00")), int(utc("2026-04-04T00:00:00"))
    status, _, shifts = await api.request("GET", f"/api/on-call/{schedule_id}/shifts?from={start}&to={end}")
    assert status == 200, shifts
    expected = [{"user_id": item.user, "name": PEOPLE[item.user], "starts_at": item.start, "ends_at": item.end,
                 "source": {"kind": item.source.kind, "index": item.source.index}}
                for item in rotations.shifts(core_schedule(), start, end)]
    assert shifts["data"] == expected and shifts["has_more"] is False
    # the example as the docs tell it: Bob's week from Friday 03-27 10:00 EET, the lead on weekdays
    # 09:00-17:00, Anna on Tuesday 03-31 18:00-23:00
    assert [(item["name"], item["starts_at"]) for item in shifts["data"][:3]] == [
        ("Anna", start), ("Lead", utc("2026-03-27T07:00:00")), ("Bob", utc("2026-03-27T15:00:00"))]
    evening = [item for item in shifts["data"] if item["source"]["kind"] == "override"]
    assert [(item["name"], item["starts_at"], item["ends_at"]) for item in evening] == [("Anna", *EVENING)]

    status, _, week = await api.request("GET", f"/api/on-call/{schedule_id}/shifts")
    assert status == 200 and week["data"][0]["starts_at"] == int(NOW)
    assert week["data"][-1]["ends_at"] == int(NOW) + 7 * 86400


async def test_it_refuses_a_bad_range_naming_the_param(start_api, tmp_path):
    api = await start_api(with_people(tmp_path), clock=FakeClock(wall=NOW))
    schedule_id = await made(api)
    start = int(NOW)
    for query, param in ((f"from={start}&to={start + 401 * 86400}", "to"), (f"from={start}&to={start - 1}", "to"),
                         ("from=yesterday", "from"), (f"to={start}&until=1", "until")):
        status, _, answer = await api.request("GET", f"/api/on-call/{schedule_id}/shifts?{query}")
        assert (status, answer["error"]["param"]) == (400, param), (query, answer)
