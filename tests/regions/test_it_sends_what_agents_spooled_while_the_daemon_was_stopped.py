"""The daemon stopped for 30 s while the agents probe: once it is back, every result the
agents spooled arrives exactly once (one check per grid slot, none twice), in order per
monitor and region, and the states are right."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time

from labkit import Regions
from netns import requires_netns

pytestmark = requires_netns

MONITORS = """
monitors:
  - {{key: shop, type: http, url: "{target}", regions: [eu, us], interval: 1s, timeout: 1s,
     confirmation: {{failures: 2, successes: 1, recheck: 1s}}}}
"""
OUTAGE = 30.0


def checks_by_region(db: str, monitor_id: str) -> dict[str | None, list[int]]:
    """region name -> the created_at (ms) of its checks, in check order."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT r.name, c.created_at FROM checks c JOIN monitors m ON m.seq = c.monitor_seq "
                            "LEFT JOIN regions r ON r.seq = c.region WHERE m.id = ? ORDER BY c.seq",
                            (monitor_id,)).fetchall()
    finally:
        conn.close()
    out: dict[str | None, list[int]] = {}
    for region, created in rows:
        out.setdefault(region, []).append(created)
    return out


async def test_spooled_results_arrive_once_and_in_order(lab, tmp_path):
    await lab.start_target()
    async with Regions(lab, tmp_path, MONITORS) as regions:
        async def up() -> bool:
            return await regions.region_states("shop") == {"eu": "up", "us": "up"}
        await regions.until(up, what="up from eu and us")
        shop = (await regions.monitor("shop"))["id"]

        regions.daemon.proc.send_signal(signal.SIGTERM)  # the agents go on probing and spool
        assert await regions.daemon.wait() == 0
        stopped = time.time()
        lab.block("us", lab.target)   # us sees it down while the daemon cannot hear it
        await asyncio.sleep(OUTAGE)
        await regions.daemon.start()
        back = time.time()

        async def caught_up() -> bool:
            states = await regions.region_states("shop")
            return states.get("us") == "down" and states.get("eu") == "up"
        await regions.until(caught_up, timeout=30, what="the spooled results taken")
        assert (await regions.monitor("shop"))["current_state"] == "up"  # 1 of 2 regions: no majority
        await asyncio.sleep(2)  # the pushes after the catch-up

    found = checks_by_region(str(tmp_path / "state" / "upstatd.db"), shop)
    assert set(found) == {"eu", "us"}  # agents' checks carry their region
    for region, times in found.items():
        assert times == sorted(times), f"region {region}: out of order"
        during = [at for at in times if stopped * 1000 < at < back * 1000]
        assert len(during) >= OUTAGE - 3, f"region {region}: {len(during)} results of the outage arrived"
    # eu saw it up throughout, so probed once a slot, no re-check: one check a second, none twice
    eu = found["eu"]
    gaps = [later - earlier for earlier, later in zip(eu, eu[1:])]
    assert all(600 < gap < 1400 for gap in gaps), [gap for gap in gaps if not 600 < gap < 1400]
