"""GET /metrics on the real daemon answers gzip (`Content-Encoding: gzip`) to a
scraper that sends `Accept-Encoding: gzip`, as Prometheus does, and plain text
to one that does not (or refuses gzip with q=0); both bodies parse with
prometheus-client's parser and hold the same series. 300 monitors make pieces
of the answer larger than OFF_LOOP, so the thread path is taken too."""

from __future__ import annotations

import asyncio
import gzip
import urllib.request

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from loopback import closed_port
from upstatd.metrics import OFF_LOOP

MONITORS = 300


def series(text: str) -> set[tuple]:
    """Every sample's name and labels (values move between two scrapes: counters, checks)."""
    return {(sample.name, tuple(sorted(sample.labels.items())))
            for family in text_string_to_metric_families(text) for sample in family.samples}


def fetch_plain(url: str) -> tuple[dict, bytes]:
    """urllib: a client that sends `Accept-Encoding: identity`."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return dict(response.headers), response.read()


async def test_it_gzips_for_a_scraper_that_asks(start_api):
    port = closed_port()
    monitors = "".join(f"""
          - key: m{i:03d}
            type: tcp
            url: tcp://127.0.0.1:{port}
            interval: 1h""" for i in range(MONITORS))
    api = await start_api(f"""
        monitors:{monitors}
        heartbeats:
          - key: backup
            period: 1h
        metrics: {{enabled: true}}
        """)

    # as Prometheus asks; auto_decompress off: the bytes on the wire
    async with aiohttp.ClientSession(auto_decompress=False) as raw:
        async with raw.get(api.url + "/metrics", headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status == 200
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            assert response.headers["Vary"] == "Accept-Encoding"
            compressed = await response.read()
        async with raw.get(api.url + "/metrics", headers={"Accept-Encoding": "deflate, gzip;q=0"}) as response:
            assert "Content-Encoding" not in response.headers
            refused = await response.read()
        async with raw.head(api.url + "/metrics", headers={"Accept-Encoding": "GZIP"}) as response:
            assert response.headers["Content-Encoding"] == "gzip"
    unzipped = gzip.decompress(compressed)
    assert len(compressed) * 5 < len(unzipped)

    headers, plain = await asyncio.to_thread(fetch_plain, api.url + "/metrics")
    assert "Content-Encoding" not in headers and headers["Content-Type"].startswith("text/plain; version=0.0.4")

    got = series(unzipped.decode())
    assert got == series(plain.decode()) == series(refused.decode())
    states = {labels for name, labels in got if name == "upstatd_monitor_state"}
    assert len(states) == MONITORS * 4
    assert ("upstatd_heartbeat_up", (("key", "backup"), ("name", "backup"), ("type", "period"))) in got
    # the state family alone is one piece, larger than OFF_LOOP: compressed on a thread
    assert sum(len(line) + 1 for line in plain.split(b"\n") if line.startswith(b"upstatd_monitor_state{")) > OFF_LOOP
