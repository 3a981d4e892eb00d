"""HEAD /metrics answers the headers without scraping, and a scraper that hangs up
in the middle of a large answer (its scrape_timeout) is logged as abandoned, not
as a failed request with a traceback."""

from __future__ import annotations

import asyncio

import pytest

from upstatd.metrics import MonitorLines


async def test_head_answers_the_headers_only(start_api):
    api = await start_api("metrics: {enabled: true}")
    async with api.session.head(api.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert await response.read() == b""


async def test_a_scraper_that_hangs_up_is_not_an_error(start_api, capfd, monkeypatch):
    api = await start_api("metrics: {enabled: true}")
    endless = [b"# HELP upstatd_x x\n# TYPE upstatd_x gauge\n"] + [b"upstatd_x 1\n" * 10_000] * 10_000
    monkeypatch.setattr(MonitorLines, "pieces", staticmethod(lambda entries, chunk=0: iter(endless)))
    reader, writer = await asyncio.open_connection("127.0.0.1", api.daemon.config.server.port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    await reader.read(65536)
    writer.transport.abort()  # gone, mid-answer
    captured = ""
    for _ in range(100):
        await asyncio.sleep(0.05)
        captured += capfd.readouterr().out
        if "metrics.scrape_abandoned" in captured:
            break
    else:
        pytest.fail("the abandoned scrape was not logged")
    assert "Traceback" not in captured and "Error handling request" not in captured
