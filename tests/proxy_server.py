"""A small HTTP proxy on loopback for the proxy tests: absolute-form requests
(`GET http://host/path HTTP/1.1`) and `CONNECT host:port` tunnels, each
recorded in `.seen`; it can demand Proxy-Authorization, and it goes on only
to loopback addresses (anything else is answered 403, never dialled).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost",)


@dataclass
class Passed:
    method: str
    target: str                     # the request target as sent: an absolute URL or host:port
    headers: dict[str, str]         # names lower-cased
    answer: int                     # the status the proxy answered (200 for a tunnel opened)


class LoopbackProxy:
    def __init__(self, credentials: str | None = None) -> None:
        self.credentials = credentials  # the Proxy-Authorization value to demand, or None
        self.seen: list[Passed] = []
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task] = set()
        self.port = 0

    async def start(self) -> LoopbackProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2)
        if self.server is not None:
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self.tasks.discard(task)
            writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        passed = Passed(method, target, headers, 0)
        self.seen.append(passed)
        if self.credentials is not None and headers.get("proxy-authorization") != self.credentials:
            passed.answer = 407
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = await self._dial(host.strip("[]"), int(port), passed, writer)
            if upstream is None:
                return
            passed.answer = 200
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await self._pipe(reader, writer, *upstream)
            return
        parts = urlsplit(target)
        if parts.scheme != "http":
            passed.answer = 400
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = await self._dial(parts.hostname, parts.port or 80, passed, writer)
        if upstream is None:
            return
        passed.answer = 200
        origin_form = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [line for line in lines[1:] if line and not line.lower().startswith("proxy-authorization:")]
        upstream[1].write(("\r\n".join([f"{method} {origin_form} HTTP/1.1", *kept]) + "\r\n\r\n").encode("latin-1"))
        await self._pipe(reader, writer, *upstream)

    async def _dial(self, host: str, port: int, passed: Passed, writer: asyncio.StreamWriter):
        if not _loopback(host):
            passed.answer = 403
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return None
        try:
            return await asyncio.open_connection(host, port)
        except OSError:
            passed.answer = 502
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return None

    async def _pipe(self, reader, writer, up_reader, up_writer) -> None:
        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            finally:
                sink.transport.abort()
        try:
            await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer), return_exceptions=True)
        finally:
            up_writer.transport.abort()


def _loopback(host: str | None) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


async def start_proxy(credentials: str | None = None) -> LoopbackProxy:
    return await LoopbackProxy(credentials).start()
