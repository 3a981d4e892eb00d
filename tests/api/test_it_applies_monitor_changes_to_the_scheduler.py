"""A change made over the API reaches the running scheduler within a second:
watched from the other side, on loopback HTTP targets counting the probes
they receive (the real clock)."""

from __future__ import annotations

import asyncio
import time

from loopback import start_web


async def wait_for(predicate, timeout: float) -> float:
    """Seconds until predicate() held; fails after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_it_probes_a_new_monitor_within_a_second(api):
    web = await start_web()
    try:
        status, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok"), "interval_seconds": 3600})
        assert status == 201
        assert await wait_for(lambda: web.seen, 1.0) < 1.0
        await api.daemon.writer.flush()
        _, _, fetched = await api.request("GET", f"/api/monitors/{made['id']}")
        assert fetched["last_check_at"] is not None
    finally:
        await web.close()


async def test_it_applies_an_update_and_a_delete_within_a_second(api):
    old, new = await start_web(), await start_web()
    try:
        _, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": old.url("/ok"), "interval_seconds": 3600})
        await wait_for(lambda: old.seen, 1.0)
        path = f"/api/monitors/{made['id']}"

        status, _, _ = await api.request("PATCH", path, json={"url": new.url("/ok")})
        assert status == 200
        assert await wait_for(lambda: new.seen, 1.0) < 1.0

        # A shorter interval is the new grid at once: a probe a second from now on.
        status, _, _ = await api.request("PATCH", path, json={"interval_seconds": 1})
        assert status == 200
        before = len(new.seen)
        await wait_for(lambda: len(new.seen) >= before + 3, 3.5)
        assert len(old.seen) == 1

        status, _, _ = await api.request("DELETE", path)
        assert status == 204
        assert made["id"] not in api.daemon.monitors.monitors
        assert api.daemon.monitors.slots.when(made["id"]) is None
        await asyncio.sleep(0.2)  # a probe already on its way may still arrive
        after = len(new.seen)
        await asyncio.sleep(1.5)
        assert len(new.seen) == after
    finally:
        await old.close()
        await new.close()
