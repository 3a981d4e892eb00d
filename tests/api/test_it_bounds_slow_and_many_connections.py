"""Connections that hold the listener: a request head trickled a header at a
time is cut at server.header_timeout, a body that does not come at
server.body_timeout (408), and connections beyond max_connections_per_address
or max_connections are closed as they open. Pings from a well-behaved client
keep answering within 50 ms while 500 slow clients trickle."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

SLOW = 500


# The slow clients run in a process of their own, as an attacker would: their
# work does not share the daemon's event loop. Each sends a request head a
# header at a time and prints, as JSON, how long until the server cut it.
SLOW_CLIENTS = r"""
import asyncio, json, sys, time

async def trickle(port, every, until):
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /api/monitors HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for n in range(int(until / every)):  # bounded: gives up after `until`
            try:
                if not await asyncio.wait_for(reader.read(1024), timeout=every):
                    return time.monotonic() - started
            except asyncio.TimeoutError:
                writer.write(b"X-Slow-%d: 1\r\n" % n)
        return None
    except ConnectionError:
        return time.monotonic() - started
    finally:
        writer.close()

async def main(port, count):
    tasks = [asyncio.create_task(trickle(port, 0.2, 5.0)) for _ in range(count)]
    print("connected", flush=True)
    print(json.dumps(await asyncio.gather(*tasks)), flush=True)

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


async def make_heartbeat(api) -> str:
    status, _, made = await api.request("POST", "/api/heartbeats", json={"period_seconds": 3600})
    assert status == 201, made
    return made["ping_url"]


async def test_it_cuts_trickled_heads_while_pings_answer(start_api):
    api = await start_api(server="header_timeout: 1s, max_connections_per_address: 1000")
    ping_url = await make_heartbeat(api)
    latencies = []
    async with aiohttp.ClientSession() as session:
        async with session.get(ping_url) as response:  # new -> up: the flip is not what is measured
            assert response.status == 200
        attack = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SLOW_CLIENTS, str(api.daemon.config.server.port), str(SLOW),
            stdout=asyncio.subprocess.PIPE)
        try:
            assert await asyncio.wait_for(attack.stdout.readline(), 10) == b"connected\n"
            started = time.monotonic()
            while time.monotonic() - started < 3.0:  # across the cut at 1 s
                sent = time.monotonic()
                async with session.get(ping_url) as response:
                    assert response.status == 200
                latencies.append(time.monotonic() - sent)
                await asyncio.sleep(0.05)
            closed_after = json.loads(await asyncio.wait_for(attack.stdout.readline(), 15))
        finally:
            if attack.returncode is None:
                attack.kill()
            await attack.wait()
    assert len(latencies) >= 30
    # within 50 ms; one outlier of the ~50 is allowed (up to 200 ms) for a machine busy with
    # other work, where a stall of a few tens of ms can land on any process
    worst = sorted(latencies)
    assert worst[-2] < 0.05 and worst[-1] < 0.2, worst[-5:]
    assert len(closed_after) == SLOW
    # every slow client is cut at the timeout: 1 s after it connected, give or take the load
    assert all(after is not None and 0.9 <= after <= 3.0 for after in closed_after), sorted(closed_after)[::50]


async def test_it_gives_up_on_a_body_that_does_not_come(start_api):
    api = await start_api(server="body_timeout: 1s")
    port = api.daemon.config.server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /api/monitors HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                     + api.admin_token.encode() + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"type\": ")
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(4096), timeout=5)
        assert 0.9 <= time.monotonic() - started <= 3
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b'"code":"body_timeout"' in answer
    finally:
        writer.close()
    _, _, listed = await api.request("GET", "/api/monitors")
    assert listed["data"] == []


async def test_it_gives_up_on_a_ping_body_that_does_not_come(start_api):
    api = await start_api(server="body_timeout: 1s")
    ping_url = await make_heartbeat(api)
    path = ping_url.split("/", 3)[3].encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", api.daemon.config.server.port)
    try:
        writer.write(b"POST /" + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nstarted")
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(4096), timeout=5)
        assert 0.9 <= time.monotonic() - started <= 3
        assert answer.startswith(b"HTTP/1.1 408 ")
    finally:
        writer.close()
    heartbeat_id = (await api.request("GET", "/api/heartbeats"))[2]["data"][0]["id"]
    _, _, pings = await api.request("GET", f"/api/heartbeats/{heartbeat_id}/pings")
    assert pings["data"] == []  # not recorded


async def open_idle(port: int, local: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))


async def is_cut(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed this connection at once."""
    try:
        return await asyncio.wait_for(reader.read(1), timeout=0.5) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def test_it_caps_connections_per_address_and_in_all(start_api):
    api = await start_api(server="max_connections_per_address: 3, max_connections: 5, header_timeout: 30s")
    port = api.daemon.config.server.port
    held = [await open_idle(port, "127.0.0.1") for _ in range(3)]
    assert not any([await is_cut(reader) for reader, _ in held])
    fourth, fourth_writer = await open_idle(port, "127.0.0.1")
    assert await is_cut(fourth)  # a fourth from the same address
    held += [await open_idle(port, "127.0.0.2") for _ in range(2)]
    assert not await is_cut(held[-1][0])
    sixth, sixth_writer = await open_idle(port, "127.0.0.3")
    assert await is_cut(sixth)  # a sixth in all, from a new address
    for _, writer in held[:1]:
        writer.close()
    await asyncio.sleep(0.1)
    status, _, _ = await api.request("GET", "/api/monitors")  # room again for one
    assert status == 200
    for _, writer in (*held[1:], (fourth, fourth_writer), (sixth, sixth_writer)):
        writer.close()


async def test_it_does_not_hold_a_trusted_proxy_to_the_per_address_cap(start_api):
    api = await start_api(server="max_connections_per_address: 2, trusted_proxies: [127.0.0.1]")
    port = api.daemon.config.server.port
    held = [await open_idle(port, "127.0.0.1") for _ in range(4)]  # the proxy: every client behind it
    assert not any([await is_cut(reader) for reader, _ in held])
    others = [await open_idle(port, "127.0.0.2") for _ in range(3)]
    assert [await is_cut(reader) for reader, _ in others] == [False, False, True]
    for _, writer in (*held, *others):
        writer.close()
