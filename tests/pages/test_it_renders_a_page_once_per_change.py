"""Visitors who come while a page is being made wait for that one render (made on
a read thread, not the event loop), instead of each rendering it again: after a
change, a burst of requests costs one render, and all of them get its ETag."""

from __future__ import annotations

import asyncio

import pytest

from loopback import closed_port
from upstatd.clock import FakeClock
from upstatd.pages import view

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_renders_a_page_once_for_a_burst_of_visitors(api, monkeypatch):
    renders = []
    build = view.build

    def counted(*args, **kwargs):
        renders.append(args[1].page.id)
        return build(*args, **kwargs)
    monkeypatch.setattr(view, "build", counted)

    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "name": "shop"})
    await api.request("POST", f"/api/monitors/{monitor['id']}/pause")
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": "shop", "published": True})
    await api.request("POST", f"/api/status-pages/{page['id']}/resources",
                      json={"monitor_id": monitor["id"], "public_name": "Website"})

    async def burst() -> set[str]:
        answers = await asyncio.gather(*(api.session.get(f"{api.url}/status/shop") for _ in range(16)))
        for answer in answers:
            assert answer.status == 200
            await answer.read()
        return {answer.headers["ETag"] for answer in answers}

    first = await burst()
    assert len(renders) == 1 and len(first) == 1
    api.clock.advance(1)  # the change is a later updated_at (the version compares times)
    await api.request("PATCH", f"/api/status-pages/{page['id']}", json={"name": "Shop, Inc."})
    second = await burst()
    assert len(renders) == 2 and len(second) == 1 and second != first
