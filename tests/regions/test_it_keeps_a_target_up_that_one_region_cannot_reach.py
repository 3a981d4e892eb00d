"""Three regions as network namespaces (the daemon in local, agents in eu and us): a target
reachable from all three is up; blocked from eu only it stays up by majority (eu shows
down) and no incident opens; blocked from us too, an incident opens naming both."""

from __future__ import annotations

import asyncio

from labkit import SHOP_EVERYWHERE as MONITORS, Regions
from netns import requires_netns

pytestmark = requires_netns


async def test_one_blocked_region_is_outvoted_and_two_open_an_incident(lab, tmp_path):
    await lab.start_target()
    async with Regions(lab, tmp_path, MONITORS) as regions:
        await regions.until(lambda: regions.region_states("shop"), what="per-region states")
        await regions.until(async_equal(regions.region_states, "shop", {"local": "up", "eu": "up", "us": "up"}),
                            what="up from all three regions")
        assert (await regions.monitor("shop"))["current_state"] == "up"

        lab.block("eu", lab.target)
        await regions.until(async_equal(regions.region_states, "shop", {"local": "up", "eu": "down", "us": "up"}),
                            what="eu sees it down")
        await asyncio.sleep(3)  # three more intervals: still outvoted
        assert (await regions.monitor("shop"))["current_state"] == "up"
        assert await regions.incidents() == []

        lab.block("us", lab.target)
        await regions.until(lambda: regions.incidents(), what="an incident once two regions see it down")
        (incident,) = await regions.incidents()
        assert incident["regions"] == ["eu", "us"]
        assert (await regions.monitor("shop"))["current_state"] == "down"


def async_equal(read, key, expected):
    async def check() -> bool:
        return await read(key) == expected
    return check
