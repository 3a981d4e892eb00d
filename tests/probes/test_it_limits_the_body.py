"""A huge body: the probe stops reading after MAX_BODY and still succeeds."""

import asyncio
import time

from upstatd.probes import run_probe
from upstatd.probes.http import MAX_BODY


async def test_a_64_mib_body_is_cut_off_without_failing(web, http_target):
    started = time.perf_counter()
    result = await run_probe("http", http_target(web.url("/big/64")), 5)
    assert (result.ok, result.status_code, result.error_kind) == (True, 200, None)
    assert "transfer" in result.phases
    # the server could not deliver everything: the probe hung up after ~1 MiB
    await asyncio.wait_for(web.big.finished.wait(), 5)
    assert not web.big.completed
    assert MAX_BODY < web.big.sent < web.big.total
    assert time.perf_counter() - started < 3


async def test_a_2_mib_body_is_fine(web, http_target):
    result = await run_probe("http", http_target(web.url("/big/2")), 5)
    assert (result.ok, result.status_code) == (True, 200)
