"""A webhook receiver on loopback: an aiohttp server that records every POST
and answers from a script (a list of statuses, then 200), optionally slowly.

    receiver = await Receiver(script=[500, 500, 500]).start()
    ... url=receiver.url ...
    await receiver.wait_for(4)
    receiver.got[-1].body, receiver.got[-1].headers["Upstat-Signature"]
    receiver.connections()   # how many connections they came over
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from loopback import eventually  # noqa: F401  (the kit's users import it from here)

SECRET = "s3cret-s3cret-s3cret"


@dataclass
class Received:
    headers: CIMultiDict
    body: bytes
    at: float          # time.monotonic()
    status: int        # what it was answered
    peer: tuple = ()   # the client's (address, port): one per connection

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, script: list[int] | None = None, delay: float = 0.0, then: int = 200) -> None:
        self.script = list(script or [])
        self.then = then  # the status once the script is used up
        self.delay = delay
        self.got: list[Received] = []
        self.runner: web.AppRunner | None = None
        self.port = 0
        self._arrived = asyncio.Event()

    async def start(self, port: int = 0) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        self.port = self.runner.addresses[0][1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.script.pop(0) if self.script else self.then
        peer = tuple(request.transport.get_extra_info("peername") or ()) if request.transport else ()
        self.got.append(Received(CIMultiDict(request.headers), body, time.monotonic(), status, peer))
        self._arrived.set()
        return web.Response(status=status, text="nope" if status >= 300 else "thanks")

    def connections(self) -> int:
        """How many connections the requests came over (distinct client ports)."""
        return len({item.peer for item in self.got})

    def ok(self) -> list[Received]:
        return [item for item in self.got if 200 <= item.status < 300]

    async def wait_for(self, count: int, timeout: float = 10.0, ok: bool = False) -> None:
        async def enough() -> None:
            while len(self.ok() if ok else self.got) < count:
                self._arrived.clear()
                await self._arrived.wait()
        await asyncio.wait_for(enough(), timeout)



async def deliveries(daemon, key: str = "hooks") -> list[tuple]:
    """(attempt, ok, status_code, event_id) of an endpoint's deliveries, oldest first, once committed."""
    await daemon.writer.flush()
    return list(await daemon.read_db.execute_fetchall(
        "SELECT attempt, ok, status_code, event_id FROM webhook_deliveries WHERE endpoint_seq = "
        "(SELECT seq FROM webhook_endpoints WHERE key = ?) ORDER BY seq", (key,)))


def webhooks_yaml(url: str, key: str = "hooks", events: str = '["*"]', secret: str = SECRET,
                  extra: str = "") -> str:
    return f"""
    webhooks:
      - key: {key}
        url: "{url}"
        events: {events}
        secret: "{secret}"
        {extra}
    """
