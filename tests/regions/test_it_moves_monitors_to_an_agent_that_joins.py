"""A second agent of a region takes about half its monitors: each moved one is the old
agent's until a slot boundary three seconds ahead and the new one's from it; once that
time has passed the old agent's assignment no longer holds them."""

from __future__ import annotations

from regionkit import elapse, pull, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = "monitors:\n" + "".join(
    f'  - {{key: m{index}, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu]}}\n' for index in range(20))


def held(body: dict) -> dict[str, tuple]:
    return {item["monitor"]["key"]: (item["since"], item["until"]) for item in body["monitors"]}


async def test_monitors_move_at_a_boundary_and_leave_the_old_agent_after_it(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    _, etag, first = await pull(api, "eu")
    assert len(held(first)) == 20 and set(held(first).values()) == {(None, None)}

    _, _, second = await pull(api, "eu2")
    status, etag, first = await pull(api, "eu", etag=etag)
    assert status == 200  # its assignment changed: the moving ones now end
    old, new = held(first), held(second)
    moved = set(new)
    assert 3 <= len(moved) <= 17 and set(old) == {f"m{index}" for index in range(20)}
    for key in moved:
        assert old[key] == (None, NOW + 3.0) and new[key] == (NOW + 3.0, None)
    assert all(old[key] == (None, None) for key in set(old) - moved)

    await elapse(api, 4, ("eu", "eu2"))
    _, _, first = await pull(api, "eu")
    _, _, second = await pull(api, "eu2")
    assert set(held(first)) == {f"m{index}" for index in range(20)} - moved
    assert set(held(second)) == moved
    assert all(window[1] is None for window in (*held(first).values(), *held(second).values()))
