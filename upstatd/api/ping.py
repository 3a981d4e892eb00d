"""The ping URLs that cron jobs and timers call. No authentication: the UUID
(or the ping key of a slug URL) is the secret.

    /ping/<uuid>                     success
    /ping/<uuid>/start               a run starts
    /ping/<uuid>/fail                failure
    /ping/<uuid>/log                 recorded, changes nothing
    /ping/<uuid>/<exit status>       0 success, 1-255 failure
    /ping/<ping key>/<slug>[/...]    the same by name; ?create=1 makes a missing one

HEAD, GET and POST; `?rid=<uuid>` pairs a start with its finish. A POST body
is kept up to `pings.body_limit` bytes. The answer is plain text, never
cached, and comes only once the ping is committed to the database: a job
that got a 200 is never reported missing because of a crash.

The answers a script may compare are Healthchecks' to the byte, with no
newline: `OK` (200), `Created` (201, a slug URL's ?create=1 made it),
`not found` (404), `ambiguous slug` (409). Refusals (400, 405, 503) say
what was wrong in words of their own.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import sqlite3
from typing import Any

import structlog
from aiohttp import web

from upstatd.api.bodies import BODY_TIMEOUT
from upstatd.api.errors import ApiError
from upstatd.config.heartbeats import SLUG_PATTERN
from upstatd.heartbeats.service import Beat, HeartbeatService

log = structlog.get_logger("upstatd.ping")

HEARTBEATS = web.AppKey("heartbeats", Any)   # HeartbeatService
CREATOR = web.AppKey("heartbeat_creator", Any)  # async (slug) -> (Beat, made), for ?create=1
METHODS = ("GET", "HEAD", "POST")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HEXISH = re.compile(r"[0-9a-fA-F-]{8,}")  # meant as a UUID, mistyped
SLUG = re.compile(SLUG_PATTERN)
ACTIONS = {None: "success", "start": "start", "fail": "fail", "log": "log"}
DRAIN_MAX = 16 * 1024 * 1024  # bytes of a body read (and counted) beyond what is kept
USAGE = ("ping URLs are /ping/<uuid>[/start|/fail|/log|/<exit status 0-255>] "
         "or /ping/<ping key>/<slug>[/start|/fail|/log|/<exit status>]")


class PingError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def answer_headers(status: int, limit: int | None) -> dict[str, str]:
    """The headers of every ping answer, in the order they are sent (both servers)."""
    headers = {"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"}
    if limit is not None:
        headers["Ping-Body-Limit"] = str(limit)
        headers["Access-Control-Expose-Headers"] = "Ping-Body-Limit"
    if status == 503:
        headers["Retry-After"] = "5"
    return headers


def answer(text: str, status: int = 200, limit: int | None = None) -> web.Response:
    return web.Response(text=text, status=status, headers=answer_headers(status, limit))


def parse_action(action: str | None) -> tuple[str, int | None]:
    """The last part of a ping URL -> (kind, exit status)."""
    if action in ACTIONS:
        return ACTIONS[action], None
    if action.isdigit() and action.isascii():
        status = int(action) if len(action) <= 3 else 256
        if status > 255:
            raise PingError(400, f"exit status must be 0-255, got {action}")
        return ("success" if status == 0 else "fail"), status
    raise PingError(400, f"unknown ping action '{action}': {USAGE}")


def parse_path(tail: str, ping_key: str) -> tuple[str, str, str | None]:
    """`<uuid>/start` -> ("token", uuid, "start"); `<key>/<slug>` -> ("slug", slug, None)."""
    parts = tail.split("/")
    if parts and parts[-1] == "":
        parts.pop()  # one trailing slash is allowed
    if not parts or not parts[0]:
        raise PingError(400, f"missing ping UUID: {USAGE}")
    first = parts[0]
    # The ping key first: a key made with uuidgen is UUID-shaped (pings.key allows it),
    # and its slug URLs must not be taken for a token with an action.
    if ping_key and len(parts) >= 2 and hmac.compare_digest(first.encode(), ping_key.encode()):
        if len(parts) > 3:
            raise PingError(400, f"too many parts in the ping URL: {USAGE}")
        if not SLUG.fullmatch(parts[1]):
            raise PingError(400, f"'{parts[1][:100]}' is not a valid slug (letters, digits, '-', '_', '.')")
        return "slug", parts[1], parts[2] if len(parts) == 3 else None
    if UUID.fullmatch(first):
        if len(parts) > 2:
            raise PingError(400, f"too many parts in the ping URL: {USAGE}")
        return "token", first.lower(), parts[1] if len(parts) == 2 else None
    if len(parts) == 1 or HEXISH.fullmatch(first):
        raise PingError(400, f"'{first[:100]}' is not a UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278: {USAGE}")
    raise PingError(404, "not found")  # a wrong ping key: as unknown as an unknown UUID


async def read_body(request: web.Request, limit: int) -> tuple[bytes, int]:
    """(the first `limit` bytes of the body, how many bytes it had). A body that has
    not come within server.body_timeout is a 408: the ping is not recorded."""
    if not request.can_read_body:
        return b"", 0
    seconds = request.app[BODY_TIMEOUT]
    try:
        async with asyncio.timeout(seconds):
            return await _read_body(request, limit)
    except TimeoutError:
        raise PingError(408, f"the body did not arrive within {seconds:g} s") from None


async def _read_body(request: web.Request, limit: int) -> tuple[bytes, int]:
    kept = bytearray()
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return bytes(kept), size
        size += len(chunk)
        if len(kept) < limit:
            kept += chunk[:limit - len(kept)]
        if size > DRAIN_MAX:  # stop reading a flood (and close the connection); what came is recorded
            if request.protocol is not None:
                request.protocol.force_close()
            return bytes(kept), size


class Ping:
    """One ping request as both servers see it: what its URL names, decided before
    its body is read (`prepare`), then recorded once the body came (`record`)."""
    __slots__ = ("form", "name", "kind", "exit_status", "rid", "created")

    def __init__(self, form: str, name: str, kind: str, exit_status: int | None, rid: str | None) -> None:
        self.form, self.name, self.kind, self.exit_status, self.rid = form, name, kind, exit_status, rid
        self.created = False


def prepare(service: HeartbeatService, method: str, tail: str, rid: str | None) -> tuple[Ping, Beat | None]:
    """(the ping, its running heartbeat: None for a slug that ?create=1 may make). A
    PingError for what is answered before the body is read."""
    if method not in METHODS:
        raise PingError(405, f"{method} is not allowed: ping with HEAD, GET or POST")
    form, name, action = parse_path(tail, service.ping_key)
    kind, exit_status = parse_action(action)
    if rid is not None:
        if not UUID.fullmatch(rid):
            raise PingError(400, f"rid must be a UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278, got "
                                 f"'{rid[:100]}'")
        rid = rid.lower()
    beat = running(service, form, name)
    if beat is None and form == "token":
        raise PingError(404, "not found")
    return Ping(form, name, kind, exit_status, rid), beat


def refuse_while_failing(service: HeartbeatService) -> None:
    if service.writer.failing:  # never a 200 that the disk did not take
        raise PingError(503, "storage unavailable, retry later")


def record(service: HeartbeatService, ping: Ping, method: str, body: bytes, size: int, remote: str | None,
           agent: str | None, scheme: str) -> Beat:
    """Queue the ping's row; the caller answers once the writer's next flush is done."""
    # Looked up again: while the body came (as slowly as the client likes), the
    # heartbeat may have been deleted (its rows are gone: a ping now would be an
    # orphan row answered 200) or replaced by a reload or an API change (a new
    # Beat: a ping on the old one reuses a ping number, and the batch holding the
    # duplicate is rejected after its 200).
    beat = running(service, ping.form, ping.name)
    if beat is None:
        raise PingError(404, "not found")
    service.ping(beat, ping.kind, method, exit_status=ping.exit_status, rid=ping.rid, body=body, body_size=size,
                 remote_addr=remote, user_agent=agent[:200] if agent else None, scheme=scheme)
    return beat


def not_stored(beat: Beat, exc: sqlite3.Error) -> PingError:
    """The answer when the batch holding this ping was refused."""
    log.error("ping.not_stored", heartbeat=beat.spec.key, error=str(exc))
    return PingError(503, "the ping could not be stored, retry later")


def done(ping: Ping) -> tuple[int, str]:
    return (201, "Created") if ping.created else (200, "OK")


async def handle(request: web.Request) -> web.Response:
    """The ping URLs through aiohttp: requests the lean server (api/ping_server.py)
    hands over, and the app alone (tests, tools)."""
    service: HeartbeatService = request.app[HEARTBEATS]
    limit = service.settings.body_limit
    try:
        ping, beat = prepare(service, request.method, request.match_info["tail"], request.query.get("rid"))
        if beat is None:
            beat, ping.created = await create(request.query.get("create"), request.app.get(CREATOR), ping.name)
        refuse_while_failing(service)
        body, size = await read_body(request, limit)
        beat = record(service, ping, request.method, body, size, request.remote, request.headers.get("User-Agent"),
                      request.scheme)
        try:
            await service.writer.flush()
        except sqlite3.Error as exc:
            raise not_stored(beat, exc) from None
    except PingError as exc:
        return answer(exc.text, exc.status, limit)
    status, text = done(ping)
    return answer(text, status, limit)


def running(service: HeartbeatService, form: str, name: str) -> Beat | None:
    """The running heartbeat a ping URL names, or None."""
    if form == "token":
        return service.by_token.get(name)
    found = service.find_slug(name)
    if len(found) > 1:
        log.warning("ping.ambiguous_slug", slug=name, heartbeats=[beat.id for beat in found])
        raise PingError(409, "ambiguous slug")  # Healthchecks' words; which ones: the log
    return found[0] if found else None


async def create(asked: str | None, creator: Any, slug: str) -> tuple[Beat, bool]:
    """The heartbeat of a missing slug with ?create=1 (`asked`: the query's `create`):
    (beat, whether this request made it)."""
    if asked not in ("1", "true") or creator is None:
        raise PingError(404, "not found")
    try:
        return await creator(slug)
    except ApiError as exc:  # the slug is taken by a heartbeat that is not running
        raise PingError(exc.status, exc.message) from None


class SlugCreator:
    """Makes the heartbeat a slug URL with ?create=1 names, once, however many
    pings for it arrive at the same moment."""

    def __init__(self, make) -> None:
        self.make = make  # async (slug) -> Beat
        self._pending: dict[str, asyncio.Future] = {}

    async def __call__(self, slug: str) -> tuple[Beat, bool]:
        """(the heartbeat, True for the one call that made it; False for calls that
        waited for it: their ping is answered 200, not 201)."""
        pending = self._pending.get(slug)
        if pending is not None:
            return await asyncio.shield(pending), False
        future = asyncio.get_running_loop().create_future()
        self._pending[slug] = future
        try:
            beat = await self.make(slug)
            future.set_result(beat)
            return beat, True
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        finally:
            del self._pending[slug]
