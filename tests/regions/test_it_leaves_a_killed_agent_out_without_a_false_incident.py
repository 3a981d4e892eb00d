"""SIGKILL of an agent (its region's namespace stays): `agent.down` within three push
intervals, no incident, its region out of the quorum; started again, `agent.up` and its
results count again."""

from __future__ import annotations

import time

from labkit import SHOP_EVERYWHERE as MONITORS, Regions
from netns import requires_netns

pytestmark = requires_netns


async def test_a_killed_agent_is_down_at_once_and_back_when_restarted(lab, tmp_path):
    await lab.start_target()
    async with Regions(lab, tmp_path, MONITORS) as regions:
        async def all_up() -> bool:
            return await regions.region_states("shop") == {"local": "up", "eu": "up", "us": "up"}
        await regions.until(all_up, what="up from all three regions")

        await regions.kill_agent("eu")
        killed = time.monotonic()
        (down,) = await regions.until(lambda: regions.events("agent.down"), timeout=10, what="agent.down")
        assert time.monotonic() - killed < 3 * 1.0 + 1.5  # three push intervals, and the timer's tick
        assert down["data"]["object"]["name"] == "eu-1"

        async def eu_left_out() -> bool:
            regions_now = (await regions.status("shop"))["regions"]
            return {item["name"]: item["fresh"] for item in regions_now} == {"local": True, "eu": False, "us": True}
        await regions.until(eu_left_out, what="eu out of the quorum")
        assert (await regions.monitor("shop"))["current_state"] == "up"
        assert await regions.incidents() == []

        await regions.start_agent("eu")
        await regions.until(lambda: regions.events("agent.up"), what="agent.up")

        async def eu_counts_again() -> bool:
            regions_now = (await regions.status("shop"))["regions"]
            return all(item["fresh"] for item in regions_now)
        await regions.until(eu_counts_again, what="eu's results count again")
        assert await regions.incidents() == []
