"""Hostile targets: each probe ends within its timeout with the right error kind,
closes its connection, leaves other probes' timing alone, and memory stays bounded.

A server that accepts and never answers, one that drips a byte a second, an
endless body, a 1 MB header line, a redirect loop, a TLS handshake that stalls.
"""

import asyncio
import gc
import os
import time

import pytest

from loopback import drip, endless_body, huge_header, idle, redirect_loop, silent
from upstatd.config.check import Problems
from upstatd.probes import run_probe, tls
from upstatd.probes.result import ERROR_KINDS

SLOW_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
# the head at once: dripped too, its 41 bytes took most of the 500 ms deadline, and on a busy
# machine all of it (the probe then timed out during first_byte, not during the transfer)
BODY_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"

# name -> (handler, probe type, scheme, path, ended by the deadline?, expected kind, message (format: url, timeout))
HOSTILE = {
    "never answers": (silent, "http", "http", "/", True, "timeout", "no answer within {timeout} (during first_byte)"),
    "drips its head": (drip(SLOW_HEAD), "http", "http", "/", True, "timeout", "no answer within {timeout} (during first_byte)"),
    "drips its body": (drip(b"b" * 100, 0.01, at_once=BODY_HEAD), "http", "http", "/", True, "timeout", "no answer within {timeout} (during transfer)"),
    "endless body": (endless_body, "http", "http", "/", False, None, None),  # success once 1 MiB is read
    "1 MB header line": (huge_header(), "http", "http", "/", False, "invalid_response", "response headers larger than 64 KiB"),
    "redirect loop": (redirect_loop, "http", "http", "/a", False, "invalid_response", "redirect loop at {url}"),
    "stalled TLS handshake": (idle, "http", "https", "/", True, "timeout", "no answer within {timeout} (during tls)"),
    "stalled TLS handshake (tls type)": (idle, "tls", "tls", "", True, "timeout", "no answer within {timeout} (during tls)"),
}


def tls_target(url: str):
    problems = Problems("config.yaml")
    target = tls.prepare(url, None, ("monitors", 0), problems)
    assert not problems, problems.messages()
    return target


@pytest.fixture
async def hostile(raw_server, http_target):
    """name -> (server, probe type, target) for every hostile kind, servers started."""
    out = {}
    for name, (handler, kind, scheme, path, *_rest) in HOSTILE.items():
        server = await raw_server(handler)
        url = server.url(path, scheme=scheme)
        out[name] = (server, kind, http_target(url) if kind == "http" else tls_target(url))
    return out


async def timed(kind, target, timeout):
    started = time.perf_counter()
    result = await run_probe(kind, target, timeout)
    return result, time.perf_counter() - started


def expected_message(name, server, timeout_text):
    template = HOSTILE[name][6]
    return template and template.format(url=server.url("/a"), timeout=timeout_text)


async def test_each_ends_within_its_timeout_with_the_right_kind(hostile):
    timeout = 0.5
    names = list(hostile)
    runs = await asyncio.gather(*(timed(hostile[n][1], hostile[n][2], timeout) for n in names))
    for name, (result, elapsed) in zip(names, runs):
        server, *_ = hostile[name]
        by_deadline, kind = HOSTILE[name][4], HOSTILE[name][5]
        assert (name, result.error_kind, result.error_message) == (
            name, kind, expected_message(name, server, "500ms"))
        assert result.error_kind is None or result.error_kind in ERROR_KINDS
        if by_deadline:
            assert timeout * 0.9 <= elapsed <= timeout * 1.1, (name, elapsed)
        else:
            assert elapsed < timeout, (name, elapsed)
    for name, (server, *_) in hostile.items():
        await server.all_ended()  # every connection closed, as the server sees it
        assert server.accepted == (2 if name == "redirect loop" else 1), name


async def test_good_probes_keep_their_pace_while_hostile_ones_run(hostile, web, http_target):
    good = http_target(web.url("/ok"))
    baseline = [(await timed("http", good, 1))[1] for _ in range(5)]

    async def good_loop():
        loop = asyncio.get_running_loop()
        start, lateness, latencies = loop.time(), [], []
        for i in range(20):
            due = start + i * 0.02
            await asyncio.sleep(max(0.0, due - loop.time()))
            lateness.append(loop.time() - due)
            result, elapsed = await timed("http", good, 1)
            assert (result.outcome, result.status_code) == ("up", 200)
            latencies.append(elapsed)
        return lateness, latencies

    async def hostile_probe(i: int, name: str):
        await asyncio.sleep(i * 0.002)  # launched over 100 ms, as the scheduler spreads probes
        return await run_probe(hostile[name][1], hostile[name][2], 1.0)

    names = [name for name in hostile for _ in range(7)][:50]
    hostile_runs = asyncio.gather(*(hostile_probe(i, n) for i, n in enumerate(names)))
    lateness, latencies = await good_loop()
    assert not hostile_runs.done()  # the good probes ran while hostile ones were in flight
    results = await hostile_runs
    assert len(results) == 50 and all(r.error_kind == HOSTILE[n][5] for n, r in zip(names, results))
    assert all(r.status_code is None or r.status_code == 200 for r in results)
    print(f"good probes beside 50 hostile ones: lateness max {max(lateness) * 1000:.1f} ms, "
          f"latency max {max(latencies) * 1000:.1f} ms (alone: {max(baseline) * 1000:.1f} ms)")
    # 20 good probes, all up, all on time, none slowed down by the 50 hostile ones in flight
    # A stall would show as the hostile deadline (0.5 s); the bound leaves room
    # for a busy 2-core CI machine without hiding one.
    assert max(lateness) < 0.15, lateness
    assert max(latencies) < max(0.15, 10 * max(baseline)), (latencies, baseline)


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm (Linux)")
async def test_memory_stays_bounded_over_1000_hostile_probes(hostile):
    names = list(hostile)
    timeout = 0.2

    async def batch(start: int) -> None:
        picks = [names[(start + i) % len(names)] for i in range(100)]
        results = await asyncio.gather(*(run_probe(hostile[n][1], hostile[n][2], timeout) for n in picks))
        for name, result in zip(picks, results):
            # 100 at once with a 200 ms deadline: each ends by its own limit (the exact kinds are
            # asserted above, one of each at a time) or, on a loaded host, by the deadline
            allowed = (HOSTILE[name][5], "timeout")
            assert result.error_kind in allowed, (name, result.error_kind, result.error_message)
        for server, *_ in hostile.values():
            await server.all_ended()

    for start in (0, 100):  # warm-up: buffers, contexts, the allocator's arenas at their high-water mark
        await batch(start)
    gc.collect()
    before = rss()
    for start in range(200, 1200, 100):
        await batch(start)
    gc.collect()
    growth = rss() - before
    print(f"RSS growth over 1,000 hostile probes: {growth / 2**20:.1f} MiB")
    assert growth < 20 * 2**20
    assert sum(server.accepted for server, *_ in hostile.values()) >= 1200
