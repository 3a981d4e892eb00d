"""A reopened incident starts its policy over from the reopening: step 1 pages
the on-call person again, and the steps after wait their own time from then."""

from __future__ import annotations

from escalatekit import armed, paged, paging, settle, tick, timeline
from loopback import eventually


async def test_a_reopening_pages_from_the_first_step(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    api, incident = await paging(start_api, path, smtp)
    await tick(api, 601)
    await eventually(lambda: paged(smtp) == ["anna", "bob"], timeout=10)
    actions = f"/api/incidents/{incident['id']}"
    assert (await api.request("POST", f"{actions}/resolve", json={}))[0] == 200
    await tick(api, 60)
    assert (await api.request("POST", f"{actions}/reopen", json={}))[0] == 200
    await armed(api, incident["id"])
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["anna", "bob", "anna"], timeout=10)
    await tick(api, 590)
    await settle()
    assert paged(smtp) == ["anna", "bob", "anna"]  # Bob's wait counts from the reopening's first step
    await tick(api, 11)
    await eventually(lambda: paged(smtp) == ["anna", "bob", "anna", "bob"], timeout=10)
    assert len(await timeline(api, incident["id"])) == 4
