"""A probe's failure reads the same whichever deadline it runs under: the scheduler's
wheel (a probe the runner launches) or asyncio.timeout (`upstatd probe`): same kind,
message and status, and its phases."""

from loopback import closed_port, respond
from upstatd.clock import FakeClock
from upstatd.probes import run_probe
from upstatd.probes.tcp import TcpTarget
from upstatd.scheduler.runner import Runner


async def on_the_wheel(kind: str, target):
    runner, results = Runner(FakeClock()), []

    async def job():
        results.append(await run_probe(kind, target, 30.0, runner.deadlines))
    assert runner.launch("m", job)
    await runner.drain(10)
    assert len(runner.wheel) == 0  # the deadline went with the probe
    return results[0]


def shape(result):
    return (result.ok, result.error_kind, result.error_message, result.status_code, sorted(result.phases))


async def test_a_refused_connection():
    target = TcpTarget("127.0.0.1", closed_port())
    alone, launched = await run_probe("tcp", target, 30.0), await on_the_wheel("tcp", target)
    assert shape(alone) == shape(launched)
    assert shape(launched)[:3] == (False, "connection_error", f"connection refused by 127.0.0.1:{target.port}")


async def test_a_wrong_status(web, http_target):
    target = http_target(web.url("/status/500"))
    alone, launched = await run_probe("http", target, 30.0), await on_the_wheel("http", target)
    assert shape(alone) == shape(launched)
    assert shape(launched)[:4] == (False, "status_code", "status 500, expected 2xx", 500)


async def test_a_malformed_answer(raw_server, http_target):
    server = await raw_server(respond(b"HTTP/1.1 2OO OK\r\n\r\n"))
    target = http_target(server.url("/"))
    alone, launched = await run_probe("http", target, 30.0), await on_the_wheel("http", target)
    assert shape(alone) == shape(launched)
    assert (launched.error_kind, launched.error_message.startswith("malformed HTTP response")) == (
        "invalid_response", True)
