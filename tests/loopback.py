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
import datetime
import socket
import ssl
import subprocess
import time
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
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "30", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
        check=True, capture_output=True)
    return cert, key


@dataclass
class Pki:
    """A test CA and leaf certificates it signed, made with `openssl ca` (which,
    unlike `openssl x509` in OpenSSL 3.0, can date a certificate in the past).
    Each leaf is a (cert, key) pair for localhost, 127.0.0.1 and ::1 unless said."""
    ca: Path
    valid: tuple[Path, Path]       # expires in 30 days
    expired: tuple[Path, Path]     # expired a day ago
    soon: tuple[Path, Path]        # expires in 5.2 days
    wrong_host: tuple[Path, Path]  # valid, but only for wrong.example
    far: tuple[Path, Path]         # expires in 2060: notAfter is a GeneralizedTime
    made_at: float


LOCAL_NAMES = "DNS:localhost,IP:127.0.0.1,IP:::1"


def make_test_pki(directory: Path) -> Pki:
    def run(*args: str) -> None:
        subprocess.run(args, check=True, capture_output=True)

    def stamp(seconds: float) -> str:
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y%m%d%H%M%SZ")

    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(ca_key), "-out", str(ca), "-days", "60", "-subj", "/CN=upstatd test CA",
        "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    (directory / "index.txt").write_text("")
    (directory / "serial").write_text("1000\n")
    (directory / "issued").mkdir()
    config = directory / "ca.cnf"
    config.write_text(
        "[ca]\ndefault_ca = test\n[test]\n"
        f"database = {directory}/index.txt\nnew_certs_dir = {directory}/issued\n"
        f"certificate = {ca}\nprivate_key = {ca_key}\nserial = {directory}/serial\n"
        "default_md = sha256\npolicy = any_name\ncopy_extensions = copy\nunique_subject = no\n"
        "[any_name]\ncommonName = supplied\n")
    now = time.time()

    def leaf(name: str, start: float, end: float | str, names: str = LOCAL_NAMES) -> tuple[Path, Path]:
        cert, key, csr = directory / f"{name}.pem", directory / f"{name}.key", directory / f"{name}.csr"
        common = names.split(",")[0].partition(":")[2]
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={common}", "-addext", f"subjectAltName={names}")
        run("openssl", "ca", "-batch", "-config", str(config), "-notext", "-in", str(csr), "-out", str(cert),
            "-startdate", stamp(start), "-enddate", end if isinstance(end, str) else stamp(end))
        return cert, key

    day = 86400
    return Pki(
        ca=ca,
        valid=leaf("valid", now - day, now + 30 * day),
        expired=leaf("expired", now - 3 * day, now - day),
        soon=leaf("soon", now - day, now + 5.2 * day),
        wrong_host=leaf("wrong-host", now - day, now + 30 * day, "DNS:wrong.example"),
        far=leaf("far", now - day, "20600101000000Z"),
        made_at=now)


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
    GET  /slow/{ms}          200 "ok" after that many milliseconds
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
        app.router.add_get("/slow/{ms}", self._slow)
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

    async def _slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(int(request.match_info["ms"]) / 1000)
        return web.Response(text="ok")

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
    """One scripted handler per connection; counts connections the client closed
    (`peer_closed`, for handlers that wait for it) and connections over (`ended`)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.accepted = 0
        self.peer_closed = 0
        self.peer_closed_event = asyncio.Event()
        self.ended = 0
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
            self.ended += 1

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

    async def all_ended(self, timeout: float = 2.0) -> None:
        """Wait (bounded) until every accepted connection is over; fails the test if not."""
        async def settled() -> None:
            while self.ended < self.accepted:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(settled(), timeout)

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


def drip(raw: bytes, interval: float = 1.0, at_once: bytes = b"") -> Handler:
    """Reads the request, writes `at_once` whole, then `raw` one byte per `interval`; stops when
    the client closes."""
    async def handler(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        closed = asyncio.ensure_future(server.wait_for_peer_close(reader))
        writer.write(at_once)
        try:
            for byte in raw:
                writer.write(bytes((byte,)))
                done, _ = await asyncio.wait({closed}, timeout=interval)
                if done:
                    return
            await closed
        finally:
            closed.cancel()
    return handler


async def endless_body(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 with a chunked body that never ends (until the client hangs up)."""
    await server.read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % CHUNK + b"e" * CHUNK + b"\r\n"
    while True:
        writer.write(chunk)
        await writer.drain()


def huge_header(size: int = 1024 * 1024) -> Handler:
    """A status line, then one header line of `size` bytes."""
    async def handler(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * size + b"\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await server.wait_for_peer_close(reader)
    return handler


async def redirect_loop(server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """/a redirects to /b, anything else to /a."""
    raw = await server.read_request(reader)
    target = b"/b" if raw.split(b" ", 2)[1] == b"/a" else b"/a"
    writer.write(b"HTTP/1.1 302 Found\r\nLocation: " + target + b"\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


GARBAGE = b"SPDY/9 banana split\r\n\r\n"
EARLY_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"
CLOSE_DELIMITED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until the close"
OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


async def start_raw(handler: Handler, host: str = "127.0.0.1") -> RawServer:
    return await RawServer(handler).start(host)


async def eventually(check, timeout: float = 10.0, interval: float = 0.02):
    """Poll an async or plain check until it returns something truthy (bounded by `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        await asyncio.sleep(interval)
