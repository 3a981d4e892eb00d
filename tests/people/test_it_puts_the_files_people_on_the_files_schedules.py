"""A schedule of the config file names the file's people by key: the people are
reconciled first, so at start and at a reload that adds both, the schedule's
layers hold their usr_ ids and `current` names who is on call."""

from __future__ import annotations

from upstatd.clock import FakeClock

NOW = 1_775_000_000  # 2026-03-31T23:33:20Z, a Tuesday: Anna's week (from Friday 03-27)

PEOPLE = """
people:
  - {key: anna, name: Anna Berzina}
  - {key: bob, name: Bob}
on_call:
  - key: ops
    name: Ops
    layers:
      - users: [anna, bob]
        timezone: Europe/Riga
        starts_at: 2026-03-27T10:00
        length: weekly
"""


async def test_the_files_schedule_holds_the_files_people(start_api):
    api = await start_api(PEOPLE, clock=FakeClock(wall=NOW))
    _, _, people = await api.request("GET", "/api/people")
    ids = {row["key"]: row["id"] for row in people["data"]}
    _, _, schedules = await api.request("GET", "/api/on-call")
    [ops] = schedules["data"]
    assert ops["layers"][0]["users"] == [ids["anna"], ids["bob"]], ops
    status, _, shown = await api.request("GET", f"/api/on-call/{ops['id']}")
    assert status == 200 and shown["current"]["user_id"] == ids["anna"], shown

    # a reload adding a person and naming them in a new layer: people first, so the key resolves
    api.config_path.write_text(api.config_path.read_text().replace(
        "  - {key: bob, name: Bob}\n", "  - {key: bob, name: Bob}\n  - {key: lead, name: Lead}\n").replace(
        "        length: weekly\n", "        length: weekly\n      - {users: [lead], starts_at: 2026-03-02T00:00, "
                                   "length: weekly}\n"))
    assert await api.daemon.reload()
    _, _, people = await api.request("GET", "/api/people")
    lead = next(row["id"] for row in people["data"] if row["key"] == "lead")
    _, _, shown = await api.request("GET", f"/api/on-call/{ops['id']}")
    assert [layer["users"] for layer in shown["layers"]] == [[ids["anna"], ids["bob"]], [lead]], shown
