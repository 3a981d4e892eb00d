"""upstatd's own HTTP probe (`upstatd probe`, the code the daemon and agents run), inside the
lab: from a region the target is blocked from it fails at once as a connection error ("no
route to host"), not after its timeout; from another region it is up."""

from __future__ import annotations

import asyncio
import json
import sys


async def probe(lab, region: str, url: str) -> dict:
    code, out, err = await lab.run(region, [sys.executable, "-m", "upstatd", "probe", "--json", "--timeout", "5s", url])
    assert code in (0, 1), err
    return json.loads(out)


async def test_a_probe_from_the_blocked_region_fails_at_once(lab):
    await lab.start_target()
    url = lab.url(lab.target, 80, "/")
    lab.block("eu", lab.target)
    blocked, free = await asyncio.gather(probe(lab, "eu", url), probe(lab, "us", url))
    assert (blocked["outcome"], blocked["error_kind"]) == ("down", "connection_error")
    assert "no route to host" in blocked["error_message"]
    assert blocked["latency_ms"] < 500
    assert (free["outcome"], free["status_code"]) == ("up", 200)
