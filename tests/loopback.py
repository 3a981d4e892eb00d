"""Real servers on loopback (127.0.0.1 / ::1) for probe and end-to-end tests.

Nothing here talks to another host. Two kinds of server:

WebServer   an aiohttp app with fixed routes (ok, fail, redirects, echo, big
            bodies); optionally TLS. Every request it handled is in `.seen`.
RawServer   an asyncio server running one scripted handler per connection, for
            what a well-behaved server never does (silence, garbage, early
            close). Raw request bytes are in `.requests`.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

CHUNK = 64 * 1024


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on: bound, then released."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# -- TLS -------------------------------------------------------------------------

def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """(cert, key) for localhost, 127.0.0.1 and ::1, made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
        check=True, capture_output=True)
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


# -- aiohttp server ----------------------------------------------------------------

@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class BigStats:
    sent: int = 0
    total: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    completed: bool = False


class WebServer:
    """Routes:
    GET  /ok                 200 "ok"
    GET  /fail               500
    GET  /status/{code}      that status
    GET  /redirect           302 to the relative "/ok"
    GET  /loop1, /loop2      302 to each other
    GET  /chain/{n}          n redirects, then 200
    *    /redirect-to?url=&code=   redirect to any URL with any 3xx code
    *    /form               POST: 303 to itself; otherwise 200 (post/redirect/get)
    *    /echo               200, JSON of what arrived: method, path, headers, body
    GET  /chunked            200, chunked body
    GET  /big/{mib}          200, that many MiB streamed; `.big` tells how far it got
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.big = BigStats()
        self.runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.scheme = "http"

    async def start(self, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> WebServer:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/ok", _text(200, "ok"))
        app.router.add_get("/fail", _text(500, "boom"))
        app.router.add_get("/status/{code}", self._status)
        app.router.add_get("/redirect", _redirect_handler(302, "/ok"))
        app.router.add_get("/loop1", _redirect_handler(302, "/loop2"))
        app.router.add_get("/loop2", _redirect_handler(302, "/loop1"))
        app.router.add_get("/chain/{n}", self._chain)
        app.router.add_route("*", "/redirect-to", self._redirect_to)
        app.router.add_route("*", "/form", self._form)
        app.router.add_route("*", "/echo", self._echo)
        app.router.add_get("/chunked", self._chunked)
        app.router.add_get("/big/{mib}", self._big)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, 0, ssl_context=ssl_context)
        await site.start()
        self.host = host
        self.port = self.runner.addresses[0][1]
        self.scheme = "https" if ssl_context else "http"
        return self

    def url(self, path: str = "/ok") -> str:
        return f"{self.scheme}://{url_host(self.host)}:{self.port}{path}"

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler):
        body = await request.read()
        self.seen.append(Seen(request.method, request.path_qs, list(request.headers.items()), body))
        return await handler(request)

    async def _status(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]))

    async def _chain(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        return web.Response(text="end of chain") if n <= 0 else _redirect(302, f"/chain/{n - 1}")

    async def _redirect_to(self, request: web.Request) -> web.Response:
        return _redirect(int(request.query.get("code", "302")), request.query["url"])

    async def _form(self, request: web.Request) -> web.Response:
        return _redirect(303, "/form") if request.method == "POST" else web.Response(text="thanks")

    async def _echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response({
            "method": request.method, "path": request.path_qs,
            "headers": list(request.headers.items()), "body": body.decode()})

    async def _chunked(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(3):
            await response.write(b"x" * 1000)
        await response.write_eof()
        return response

    async def _big(self, request: web.Request) -> web.StreamResponse:
        stats = self.big = BigStats(total=int(request.match_info["mib"]) * 1024 * 1024)
        response = web.StreamResponse()
        response.content_length = stats.total
        await response.prepare(request)
        chunk = b"b" * CHUNK
        try:
            while stats.sent < stats.total:
                await response.write(chunk)
                stats.sent += len(chunk)
            await response.write_eof()
            stats.completed = True
        except ConnectionError:
            pass  # the client hung up: what the body-limit test expects
        finally:
            stats.finished.set()
        return response


def _redirect(code: int, location: str) -> web.Response:
    return web.Response(status=code, headers={"Location": location})


def _redirect_handler(code: int, location: str):
    async def handler(request: web.Request) -> web.Response:
        return _redirect(code, location)
    return handler


def _text(status: int, body: str):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body)
    return handler


async def start_web(host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> WebServer:
    return await WebServer().start(host, ssl_context)


# -- scripted raw server ------------------------------------------------------------

Handler = Callable[["RawServer", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """One scripted handler per connection; counts connections the client closed."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.accepted = 0
        self.peer_closed = 0
        self.peer_closed_event = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task] = set()
        self.host = "127.0.0.1"
        self.port = 0

    async def start(self, host: str = "127.0.0.1") -> RawServer:
        self.server = await asyncio.start_server(self._serve, host, 0)
        self.host = host
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://{url_host(self.host)}:{self.port}{path}"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        # let the handlers see their connections end before the loop goes away
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2)
        if self.server is not None:
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.writers.add(writer)
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            await self.handler(self, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writers.discard(writer)
            self.tasks.discard(task)
            writer.transport.abort()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        """One request (head and Content-Length body), recorded in `.requests`."""
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        raw = head + (await reader.readexactly(length) if length else b"")
        self.requests.append(raw)
        return raw

    async def peer_closes(self, timeout: float = 2.0) -> None:
        """Wait (bounded) until a client closed a connection; fails the test if none did."""
        await asyncio.wait_for(self.peer_closed_event.wait(), timeout)

    async def wait_for_peer_close(self, reader: asyncio.StreamReader) -> None:
        while await reader.read(CHUNK):
            pass
        self.peer_closed += 1
        self.peer_closed_event.set()


# handlers

async def silent(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the request and never answers; notes when the client gives up."""
    await server.read_request(reader)
    await server.wait_for_peer_close(reader)


async def idle(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads nothing in particular, writes nothing; notes the client's close."""
    await server.wait_for_peer_close(reader)


async def hang_up(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Closes as soon as it accepted (before a TLS handshake or any answer)."""


def respond(raw: bytes, then_close: bool = True) -> Handler:
    """Reads the request, writes `raw` as is, closes (or waits for the client to)."""
    async def handler(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(raw)
        await writer.drain()
        if then_close:
            writer.close()
        else:
            await server.wait_for_peer_close(reader)
    return handler


def blurt(raw: bytes) -> Handler:
    """Writes `raw` as soon as it accepted, without reading, then waits for the client to close."""
    async def handler(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)
        await writer.drain()
        await server.wait_for_peer_close(reader)
    return handler


GARBAGE = b"SPDY/9 banana split\r\n\r\n"
EARLY_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"
CLOSE_DELIMITED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until the close"
OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def start_raw(handler: Handler, host: str = "127.0.0.1") -> RawServer:
    return await RawServer(handler).start(host)
