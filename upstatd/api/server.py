"""The HTTP listener. For now it serves `/healthz`; the REST API, ping URLs and
status pages mount here later."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web



def build_app(health: Callable[[], dict]) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        body = health()
        return web.json_response(body, status=200 if body["status"] == "ok" else 503,
                                 headers={"Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
    return app


class HttpListener:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.host = host
        self.port = port

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, reuse_address=True)
        await site.start()

    async def stop(self) -> None:
        await self.runner.cleanup()

