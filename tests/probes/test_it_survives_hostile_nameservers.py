"""A nameserver that floods its clients with huge datagrams neither stalls the loop nor grows
memory: the shared socket reads a bounded batch per turn into one buffer and keeps nothing."""

import asyncio
import time
import tracemalloc

import dns.message
import pytest

from dns_server import a_answer, start_udp
from upstatd.config.check import Problems
from upstatd.probes import dns_socket as dns_sockets
from upstatd.probes import run_probe
from upstatd.probes.dns import prepare

FLOOD = 3000             # datagrams per query
HUGE = 65000             # bytes each
BURSTS = 30


pytestmark = pytest.mark.usefixtures("closes_dns_sockets")


async def test_a_flood_of_huge_datagrams_neither_stalls_the_loop_nor_grows_memory():
    loop = asyncio.get_running_loop()

    def flood_then_answer(data, addr, transport):
        query = dns.message.from_wire(data)
        junk = (query.id ^ 1).to_bytes(2, "big") + b"\x81\x80" + b"\xee" * (HUGE - 4)

        def burst():
            for _ in range(FLOOD // BURSTS):
                transport.sendto(junk, addr)

        for n in range(BURSTS):  # loop turns between bursts, so the client reads most of it
            loop.call_later(n * 0.005, burst)
        # the right answer after the flood has been read (the kernel drops what its buffer can't hold)
        loop.call_later(0.3, transport.sendto, a_answer(query, "192.0.2.1").to_wire(), addr)

    transport, port = await start_udp(flood_then_answer)
    gaps: list[float] = []

    async def ticker():
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    problems = Problems("config.yaml")
    target = prepare("example.com", {"nameserver": f"127.0.0.1:{port}"}, ("monitors", 0), problems)
    ticking = asyncio.ensure_future(ticker())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = await run_probe("dns", target, 3)
        grown = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
        ticking.cancel()
        transport.close()
    assert result.ok, result
    shared = dns_sockets.sockets()[("127.0.0.1", port)]
    assert shared.ignored > 0 and shared.answers == 1
    assert grown < 2 * 1024 * 1024, f"{grown} bytes allocated at the peak while flooded"
    # the flood is sent inside the server's own callback (same loop): only our reading is judged
    assert max(gaps[1:]) < 0.25, f"the loop stalled {max(gaps[1:]):.3f}s"
