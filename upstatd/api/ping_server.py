"""The ping URLs' own HTTP/1.1 server, in front of aiohttp on the same listener.

Every connection starts here (after the connection caps, api/listener.py) and
is parsed with httptools. A request for a ping URL is answered here, with the
bytes aiohttp's route (api/ping.py) sends, and only once its ping is committed;
any other request hands the whole connection to aiohttp's protocol, from that
request's first byte on, so the API, /healthz and the rest see what they always
saw. A request is only taken here when it is plainly a ping: GET, HEAD or POST,
HTTP/1.0 or 1.1 (1.1 with a Host), a path under /ping/ and a query of plain
characters (no percent-escapes or dot segments: aiohttp decodes and normalizes
those, so it gets them). Requests that do not parse, or whose head outgrows
HEAD_LIMIT, go to aiohttp too, which answers them its way (a 400 and close).

A connection can be handed over only at the first byte of a request whose
bytes it still holds: one that began at the start of a read. A client that
does not pipeline always does so. A pipelined request that is not a ping
(or that does not parse) after pings in the same read is not answered: the
pings before it are, then the connection closes, and the client retries it
on a new one (RFC 9112 9.3.2).

Bounds, as on aiohttp's side: a whole head within `server.header_timeout` of
the connection opening or of the previous answer (else the connection closes,
unanswered), a body within `server.body_timeout` (else a 408 and close), at
most DRAIN_MAX body bytes read (then the ping is recorded with what came and
the connection closes), a URL or header line of at most 8190 bytes and 128
headers (past that aiohttp answers), at most MAX_QUEUED pipelined pings
waiting for their commit before the connection stops being read, and no
reading while the client does not read its answers. No task per ping: its
answer is written from the one done callback of the writer's flush that holds it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections import deque
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from typing import Any

import httptools
from aiohttp.http import SERVER_SOFTWARE

from upstatd.api import forwarded
from upstatd.api.ping import (DRAIN_MAX, PingError, Ping, create, done, not_stored, prepare, record,
                              refuse_while_failing, answer_headers)

LEAN_METHODS = frozenset(("GET", "HEAD", "POST"))
# a path under /ping/ and a query of characters aiohttp takes as they are
LEAN_TARGET = re.compile(rb"/ping/([A-Za-z0-9._~/-]*)(?:\?([A-Za-z0-9._~=&-]*))?")
MAX_LINE = 8190     # aiohttp's max_line_size and max_field_size
MAX_HEADERS = 128   # aiohttp's max_headers
HEAD_LIMIT = 64 * 1024  # bytes of a head held here; past that aiohttp reads it (and refuses it)
MAX_QUEUED = 64     # pipelined requests waiting for their answers before reading pauses
WANTED = {b"host": "host", b"user-agent": "agent", b"expect": "expect", b"x-forwarded-for": "xff",
          b"x-forwarded-proto": "xfp"}
CREATING: set[asyncio.Task] = set()  # the ?create=1 pings whose heartbeat is being made
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
BAD_REQUEST = (b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Content-Length: 11\r\nConnection: close\r\n\r\nBad Request")


class Serving:
    """What every connection of one listener shares: the heartbeats, settings, and the
    rendered answers (the bytes before the Date line, per status, limit and version)."""

    def __init__(self, service: Any, creator: Any, trusted: tuple, header_timeout: float,
                 body_timeout: float) -> None:
        self.service = service      # heartbeats.service.HeartbeatService
        self.creator = creator      # ping.SlugCreator, or None
        self.trusted = trusted      # networks whose X-Forwarded-* are believed
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._heads: dict[tuple, bytes] = {}
        self._date_second = -1
        self._date = b""
        self._flush: Any = None       # the writer's flush future the pings recorded now wait for
        self._waiting: list[tuple] = []  # its (connection, request, beat)s, answered by one callback

    def after_commit(self, connection: PingConnection, request: Request, beat: Any) -> None:
        """Answer the request when the writer's next flush is done: one done callback per
        flush for all the pings it holds (64 a commit under load), not one per ping."""
        future = self.service.writer.flushed()
        if future is not self._flush:
            self._flush, self._waiting = future, []
            future.add_done_callback(partial(_committed, self._waiting))
        self._waiting.append((connection, request, beat))

    def render(self, status: int, text: str, version: str, keep_alive: bool, head_only: bool) -> bytes:
        """The whole answer, byte for byte as aiohttp's web.Response(text=...) with ping.answer_headers."""
        body = text.encode()
        limit = self.service.settings.body_limit
        key = (status, limit, version, len(body))
        head = self._heads.get(key)
        if head is None:
            lines = [f"HTTP/{version} {status} {HTTPStatus(status).phrase}"]
            lines += [f"{name}: {value}" for name, value in answer_headers(status, limit).items()]
            lines += ["Content-Type: text/plain; charset=utf-8", f"Content-Length: {len(body)}", "Date: "]
            head = self._heads[key] = "\r\n".join(lines).encode()
            if len(self._heads) > 256:  # limits change on reload; a few statuses and lengths otherwise
                self._heads.clear()
        now = int(time.time())
        if now != self._date_second:
            self._date_second, self._date = now, formatdate(now, usegmt=True).encode()
        if version == "1.1":
            tail = b"\r\n\r\n" if keep_alive else b"\r\nConnection: close\r\n\r\n"
        else:
            tail = b"\r\nConnection: keep-alive\r\n\r\n" if keep_alive else b"\r\n\r\n"
        return b"".join((head, self._date, SERVER_LINE, tail, b"" if head_only else body))


SERVER_LINE = f"\r\nServer: {SERVER_SOFTWARE}".encode()


def _committed(waiting: list[tuple], future: asyncio.Future) -> None:
    for connection, request, beat in waiting:
        connection._committed(request, beat, future)


class Request:
    """One request on a lean connection, from its head to its answer."""
    __slots__ = ("url", "host", "agent", "expect", "xff", "xfp", "headers", "method", "version", "keep_alive",
                 "ping", "create", "creating", "early", "complete", "timed", "body", "size", "answer")

    def __init__(self) -> None:
        self.url = b""
        self.host = self.agent = self.expect = None
        self.xff: list[str] = []
        self.xfp: list[str] = []
        self.headers = 0
        self.ping: Ping | None = None
        self.create: str | None = None
        self.creating = False
        self.early = False       # answered before its body came: the body is read and dropped
        self.complete = False
        self.timed = False
        self.body = bytearray()
        self.size = 0
        self.answer: bytes | None = None


class HandOff(Exception):
    """Raised in a parser callback: this request is aiohttp's."""


class TooLarge(Exception):
    """Raised in a parser callback: a head past aiohttp's limits."""


class Stop(Exception):
    """Raised in a parser callback: read no more of this connection."""


class PingConnection(asyncio.Protocol):
    """One connection: counted against the caps, then pings here and the rest to aiohttp."""

    def __init__(self, caps: Any, handlers: Any, serving: Serving | None) -> None:
        self.caps = caps
        self.handlers = handlers    # () -> aiohttp's RequestHandler, made on hand-off
        self.serving = serving
        self.handler: Any = None    # aiohttp's, once handed over
        self.address: str | None = None
        self.transport: Any = None
        self.parser: Any = None
        self.request: Request | None = None
        self.queue: deque[Request] = deque()  # parsed, answers not yet written, in order
        self.raw: bytearray | None = None     # the current request's bytes from its first, while held
        self.fresh = False                   # the next request begins at the start of this read
        self.waiting_hand_off = False        # handed over once the queue is written
        self.closing = False                 # close once the queue is written
        self.unread = False                  # bytes of the client's left unread: close gently
        self.read_paused = False
        self.write_paused = False
        self.deadline = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.loop: Any = None

    # -- the transport's side -------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        peer = transport.get_extra_info("peername")
        address = peer[0] if peer else ""
        if not self.caps.admit(address):
            transport.abort()
            return
        self.address = address
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        if self.serving is None:
            self._hand_off(b"")
            return
        self.parser = httptools.HttpRequestParser(self)
        self._set_deadline(self.serving.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self.handler is not None:
            self.handler.data_received(data)
            return
        if self.address is None or self.closing:
            return
        if self.waiting_hand_off:
            self.raw += data
            return
        if self.request is None:
            self.raw, self.fresh = data, True
        elif self.raw is not None:
            self.raw += data
            if len(self.raw) > HEAD_LIMIT:
                self._not_mine()
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._not_mine()
            return
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if isinstance(cause, Stop):
                self.closing = self.unread = True
            elif isinstance(cause, HandOff) or self.raw is not None:
                self._not_mine()  # aiohttp's request, or aiohttp's refusal of what does not parse
                return
            else:
                self._refuse()
                return
        request = self.request
        if request is not None and request.ping is not None and not request.early and not request.timed:
            request.timed = True  # its body is still to come (it did not come with the head)
            self._set_deadline(self.serving.body_timeout)
        self._flow()

    def eof_received(self) -> bool | None:
        if self.handler is not None:
            return self.handler.eof_received()
        if self.queue:
            self.closing = True
            return True  # keep the writing half open: the answers still come
        return None

    def pause_writing(self) -> None:
        if self.handler is not None:
            self.handler.pause_writing()
            return
        self.write_paused = True
        self._flow()

    def resume_writing(self) -> None:
        if self.handler is not None:
            self.handler.resume_writing()
            return
        self.write_paused = False
        self._flow()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.address is None:
            return
        self.caps.release(self.address)
        self.address = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.queue.clear()
        self.raw = None
        if self.handler is not None:
            self.handler.connection_lost(exc)

    # -- httptools' callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        if not self.fresh:
            self.raw = None  # pipelined: where it began in this read is not known
        self.fresh = False
        self.request = Request()

    def on_url(self, url: bytes) -> None:
        request = self.request
        request.url += url
        if len(request.url) > MAX_LINE:
            raise TooLarge

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self.request
        request.headers += 1
        if request.headers > MAX_HEADERS or len(name) + len(value) + 2 > MAX_LINE:
            raise TooLarge
        field = WANTED.get(name.lower())
        if field is None:
            return
        text = value.decode("latin-1")
        if field == "xff":
            request.xff.append(text)
        elif field == "xfp":
            request.xfp.append(text)
        elif getattr(request, field) is None:
            setattr(request, field, text)

    def on_headers_complete(self) -> None:
        request = self.request
        parser = self.parser
        method = parser.get_method().decode()
        version = parser.get_http_version()
        target = LEAN_TARGET.fullmatch(request.url)
        if (target is None or method not in LEAN_METHODS or version not in ("1.1", "1.0")
                or (version == "1.1" and request.host is None) or b"/." in request.url or b"//" in request.url
                or (request.expect is not None and request.expect.lower() != "100-continue")):
            raise HandOff
        self.raw = None
        request.method, request.version = method, version
        request.keep_alive = parser.should_keep_alive()
        self.queue.append(request)
        serving = self.serving
        service = serving.service
        rid = create_asked = None
        if target.group(2):
            for part in target.group(2).split(b"&"):
                name, _, value = part.partition(b"=")
                if name == b"rid" and rid is None:
                    rid = value.decode()
                elif name == b"create" and create_asked is None:
                    create_asked = value.decode()
        try:
            request.ping, beat = prepare(service, method, target.group(1).decode(), rid)
            if beat is None:
                request.creating = True
                request.create = create_asked
                task = self.loop.create_task(self._create(request))
                CREATING.add(task)  # held: the loop keeps only a weak reference
                task.add_done_callback(CREATING.discard)
                return
            refuse_while_failing(service)
        except PingError as exc:
            self._early(request, exc)
            return
        self._continue(request)

    def on_body(self, body: bytes) -> None:
        request = self.request
        request.size += len(body)
        if request.early:
            return
        limit = self.serving.service.settings.body_limit
        if len(request.body) < limit:
            request.body += body[:limit - len(request.body)]
        if request.size > DRAIN_MAX:  # a flood: what came is recorded, and the connection closes
            request.keep_alive = False
            self.on_message_complete()
            raise Stop

    def on_message_complete(self) -> None:
        request = self.request
        self.request = None
        request.complete = True
        if not request.keep_alive:
            self.closing = True
            self.transport.pause_reading()  # nothing after this request is read
            self.read_paused = True
        if request.early:
            self._set_deadline(self.serving.header_timeout)  # the next head's, after LINGER's
        elif not request.creating:
            self._record(request)

    # -- the ping's way ---------------------------------------------------------------------

    def _continue(self, request: Request) -> None:
        """100 Continue to a client that waits for it, as aiohttp sends it: when the body is wanted."""
        if request.expect is not None and not request.complete and self.queue[0] is request:
            self.transport.write(CONTINUE)

    async def _create(self, request: Request) -> None:
        serving = self.serving
        try:
            _, request.ping.created = await create(request.create, serving.creator, request.ping.name)
            refuse_while_failing(serving.service)
        except PingError as exc:
            request.creating = False
            self._early(request, exc)
            return
        request.creating = False
        if self.address is None:
            return
        if request.complete:
            self._record(request)
        else:
            self._continue(request)

    def _record(self, request: Request) -> None:
        serving = self.serving
        service = serving.service
        remote, scheme = self.address, "http"
        if serving.trusted and (request.xff or request.xfp):
            remote, scheme = forwarded.resolve(remote, scheme, request.xff, request.xfp, serving.trusted)
        try:
            beat = record(service, request.ping, request.method, bytes(request.body), request.size, remote,
                          request.agent, scheme)
        except PingError as exc:
            self._answer(request, exc.status, exc.text)
            return
        request.body = b""
        serving.after_commit(self, request, beat)

    def _committed(self, request: Request, beat: Any, future: asyncio.Future) -> None:
        if future.cancelled():
            self._answer(request, 503, "the ping could not be stored, retry later")
            return
        exc = future.exception()
        if exc is not None:
            failure = not_stored(beat, exc) if isinstance(exc, sqlite3.Error) else PingError(
                503, "the ping could not be stored, retry later")
            self._answer(request, failure.status, failure.text)
            return
        self._answer(request, *done(request.ping))

    def _early(self, request: Request, exc: PingError) -> None:
        """An answer before the body: the rest of the body is read and dropped (within LINGER
        of the answer, as aiohttp's lingering; else the connection closes)."""
        request.early = True
        request.body = b""
        self._answer(request, exc.status, exc.text)

    def _answer(self, request: Request, status: int, text: str) -> None:
        if self.address is None:
            return
        request.answer = self.serving.render(status, text, request.version, request.keep_alive and (
            request.complete or request.early), request.method == "HEAD")
        self._flow()

    # -- the connection's flow ------------------------------------------------------------

    def _flow(self) -> None:
        """Write the answers that are ready, in order; then close, hand over, or read on."""
        queue = self.queue
        transport = self.transport
        if transport is None:
            return
        wrote = False
        while queue and queue[0].answer is not None:
            request = queue.popleft()
            transport.write(request.answer)
            wrote = True
            if not request.complete:  # answered before its body came (or within it: a 408)
                if not request.early or not request.keep_alive:
                    self.closing = True
                else:
                    self._set_deadline(LINGER)
        if wrote and not queue:
            if self.closing:
                self._close()
                return
            if self.request is None or not self.request.early:
                self._set_deadline(self.serving.header_timeout)
        if not queue and self.waiting_hand_off:
            raw, self.raw = self.raw, None
            self._hand_off(raw)
            return
        if self.closing and not queue:
            self._close()
            return
        pause = self.write_paused or len(queue) >= MAX_QUEUED or self.closing
        if pause != self.read_paused:
            self.read_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def _close(self) -> None:
        """Close; after a body left unread (a flood, a 408), first end our side and read
        and drop for LINGER: a close with bytes unread would reset the connection, and the
        client could lose the answer."""
        transport = self.transport
        if not self.unread or not transport.can_write_eof():
            transport.close()
            return
        self.unread = False
        transport.write_eof()
        if self.read_paused:
            self.read_paused = False
            transport.resume_reading()
        self._set_deadline(LINGER)

    def _not_mine(self) -> None:
        """The current request is aiohttp's: hand over from its first byte, once every
        answer before it is written; if its first byte is gone, close after them."""
        if self.raw is None:
            self.closing = True
        else:
            self.waiting_hand_off = True
            self.transport.pause_reading()
            self.read_paused = True
        self._flow()

    def _refuse(self) -> None:
        """A request that does not parse, not held to hand over: a 400 after the answers before it."""
        self.request = None
        refusal = Request()
        refusal.answer, refusal.complete = BAD_REQUEST, True
        self.queue.append(refusal)
        self.closing = True
        self._flow()

    def _hand_off(self, raw: bytes | bytearray) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.parser = None
        self.handler = self.handlers()
        self.handler.connection_made(self.transport)
        if self.read_paused:
            self.transport.resume_reading()
        if raw:
            self.handler.data_received(bytes(raw))
        if self.write_paused:
            self.handler.pause_writing()

    # -- the deadline ------------------------------------------------------------------------

    def _set_deadline(self, seconds: float) -> None:
        """One timer per connection, moved only when a deadline comes sooner than it."""
        loop = self.loop
        self.deadline = loop.time() + seconds
        if self.timer is None or self.deadline < self.timer_at - 0.001:
            if self.timer is not None:
                self.timer.cancel()
            self.timer_at = self.deadline
            self.timer = loop.call_at(self.deadline, self._expired)

    def _expired(self) -> None:
        self.timer = None
        if self.address is None or self.handler is not None:
            return
        loop = self.loop
        if self.deadline > loop.time() + 0.001:
            self.timer_at = self.deadline
            self.timer = loop.call_at(self.deadline, self._expired)
            return
        request = self.request
        if request is not None and request.ping is not None and not request.early:
            if request.creating:  # waiting on the database, not the client
                self._set_deadline(self.serving.body_timeout)
                return
            self.request = None
            self.closing = self.unread = True
            self._answer(request, 408, f"the body did not arrive within {self.serving.body_timeout:g} s")
            return
        if any(queued.answer is None for queued in self.queue):  # answers waiting for their commit
            self._set_deadline(self.serving.header_timeout)
            return
        self.transport.close()  # no whole head in time, or a dropped body that did not end


LINGER = 1.0  # s: as api/listener.py's lingering_time
