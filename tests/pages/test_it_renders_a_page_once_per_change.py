"""Visitors who come while a page is being made wait for that one render (made on
a read thread, not the event loop), instead of each rendering it again: after a
change, a burst of requests costs one render, and all of them get its ETag. The
kept page is gzipped once, for the visitors whose Accept-Encoding asks."""

from __future__ import annotations

import asyncio
import gzip

import aiohttp
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


async def test_it_answers_the_kept_page_gzipped_to_who_asks(api):
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": "shop", "published": True})
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        async with raw.get(f"{api.url}/status/shop", headers={"Accept-Encoding": "gzip"}) as answer:
            packed, packed_headers = await answer.read(), answer.headers
        async with raw.get(f"{api.url}/status/shop", headers={"Accept-Encoding": "identity"}) as answer:
            plain, plain_headers = await answer.read(), answer.headers
        async with raw.get(f"{api.url}/status/shop", headers={"Accept-Encoding": "gzip;q=0"}) as answer:
            assert "Content-Encoding" not in answer.headers
        async with raw.get(f"{api.url}/status/shop", headers={
                "Accept-Encoding": "gzip", "If-None-Match": packed_headers["ETag"]}) as answer:
            assert answer.status == 304
    assert packed_headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain_headers
    assert packed_headers["Vary"] == plain_headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed) == plain and b"Shop" in plain
    assert packed_headers["ETag"] != plain_headers["ETag"]  # one representation, one ETag
