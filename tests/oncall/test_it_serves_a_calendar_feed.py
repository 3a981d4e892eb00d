"""A schedule's .ics feed over real HTTP: POST /api/on-call/{id}/calendar-url
makes a secret URL (only its sha256 is stored); the feed, read by a calendar
parser (`icalendar`), lists the same shifts as rotations.shifts and as
GET /api/on-call/{id}/shifts over the feed's range, names escaped; If-None-Match answers 304; a new URL ends the old one;
DELETE ends the feed; every refusal is the same 404."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar

from handoffkit import start_api, storage_yaml  # noqa: F401  (start_api: the fixture)
from oncallkit import utc
from rowskit import add_person, add_schedule
from upstatd.clock import FakeClock
from upstatd.oncall.calendar import feed_range
from upstatd.oncall.layers import Layer
from upstatd.oncall.rotations import Override, Schedule, shifts

NOW = utc("2026-03-20T12:34:56")
HOSTILE = 'Bērziņa, Anna; "ops"\nline two\\ ' + "x" * 80
LAYERS = [{"users": ["usr_anna", "usr_bob"], "timezone": "Europe/Riga", "starts_at": "2026-03-01T09:00",
           "length": "daily"}]
OVERRIDES = [("usr_bob", utc("2026-03-25T10:00:00"), utc("2026-03-25T14:30:00"))]


async def seeded(start_api, tmp_path):
    path = tmp_path / "state.db"
    add_person(str(path), "usr_anna", HOSTILE)
    add_person(str(path), "usr_bob", "Bob")
    add_schedule(str(path), "sch_ops", "Ops", LAYERS, OVERRIDES)
    return await start_api(storage_yaml(path), clock=FakeClock(wall=NOW))


async def get(api, url: str, **headers) -> tuple[int, Any, bytes]:
    async with api.session.get(url, headers=headers) as response:
        return response.status, response.headers.copy(), await response.read()


async def test_the_feed_lists_the_schedules_shifts(start_api, tmp_path, capsys):
    api = await seeded(start_api, tmp_path)
    status, _, made = await api.request("POST", "/api/on-call/sch_ops/calendar-url")
    assert status == 200, made
    url = made["calendar_url"]
    assert url.startswith(f"{api.url}/on-call/sch_ops.ics?secret=")
    secret = parse_qs(urlsplit(url).query)["secret"][0]
    stored = await api.daemon.read_db.execute_fetchall("SELECT calendar_secret FROM on_call_schedules")
    assert [tuple(row) for row in stored] == [(hashlib.sha256(secret.encode()).hexdigest(),)]  # the hash, never the secret

    status, headers, body = await get(api, url)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    core = Schedule((Layer(("usr_anna", "usr_bob"), "2026-03-01T09:00", "daily", "Europe/Riga"),),
                    tuple(Override(*item) for item in OVERRIDES))
    start, end = feed_range(NOW)
    assert start <= NOW - 7 * 86400 and end >= NOW + 90 * 86400
    names = {"usr_anna": HOSTILE, "usr_bob": "Bob"}
    found = shifts(core, start, end)
    expected = [(f"On call: {names[item.user]}", item.start, item.end) for item in found]
    assert len(expected) > 95  # daily shifts, the override splitting one
    assert [(str(e["SUMMARY"]), e["DTSTART"].dt.timestamp(), e["DTEND"].dt.timestamp()) for e in events] == expected
    # and the same as the API's shifts over the feed's range (the API answers at most 400 days)
    status, _, listed = await api.request("GET", f"/api/on-call/sch_ops/shifts?from={start:.0f}&to={end:.0f}")
    assert status == 200
    assert [(f"On call: {item['name']}", item["starts_at"], item["ends_at"]) for item in listed["data"]] == [
        (str(e["SUMMARY"]), e["DTSTART"].dt.timestamp(), e["DTEND"].dt.timestamp()) for e in events]
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids) and uids[0] == f"sch_ops-{found[0].user}-{int(found[0].start)}@upstatd"

    status, again, empty = await get(api, url, **{"If-None-Match": headers["ETag"]})
    assert (status, again["ETag"], empty) == (304, headers["ETag"], b"")
    assert secret not in capsys.readouterr().out  # the logs never carry it


async def test_a_new_url_ends_the_old_one_and_delete_ends_the_feed(start_api, tmp_path):
    api = await seeded(start_api, tmp_path)
    _, _, first = await api.request("POST", "/api/on-call/sch_ops/calendar-url")
    _, _, second = await api.request("POST", "/api/on-call/sch_ops/calendar-url")
    assert second["calendar_url"] != first["calendar_url"]
    gone = await get(api, first["calendar_url"])
    assert (await get(api, second["calendar_url"]))[0] == 200
    feed = f"{api.url}/on-call/sch_ops.ics"
    for url in (feed, feed + "?secret=", feed + "?secret=guess", f"{api.url}/on-call/sch_nope.ics?secret=guess"):
        assert (await get(api, url))[::2] == gone[::2] == (404, b"no such calendar\n"), url

    status, _, body = await api.request("DELETE", "/api/on-call/sch_ops/calendar-url")
    assert (status, body) == (204, None)
    assert (await get(api, second["calendar_url"]))[::2] == gone[::2]

    status, _, body = await api.request("POST", "/api/on-call/sch_nope/calendar-url")
    assert status == 404 and body["error"]["param"] == "id" and "sch_nope" in body["error"]["message"]
    status, _, body = await api.request("POST", "/api/on-call/sch_ops/calendar-url", json={"colour": "red"})
    assert status == 400 and body["error"]["param"] == "colour"
