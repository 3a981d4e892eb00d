"""The agent's side of /agent/v1/ (docs/regions.md, "Protocol"): a conditional pull of
the assignment and a push of a batch, over one aiohttp session (pushes are one request
a second: aiohttp's client is the house choice off the probe path).

Every failure is one of four exceptions, because the agent does four different things:
Unreachable (keep probing, spool), TokenRefused (401: stop), Throttled (429: wait
Retry-After) and Rejected (another 4xx: log, keep the batch).
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import aiohttp
import msgspec

import upstatd
from upstatd.regions.protocol import ASSIGNMENT_PATH, RESULTS_PATH, Assignment, Push, PushAnswer

TIMEOUT = 10.0  # s, per request


class Unreachable(Exception):
    """No answer, a timeout or a 5xx: the daemon may come back."""


class TokenRefused(Exception):
    """401: the token is unknown or revoked."""


class Throttled(Exception):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(Exception):
    """Another 4xx: the daemon refused the request as it is."""


class Pulled(NamedTuple):
    assignment: Assignment
    body: bytes         # as received: what the spool keeps
    etag: str | None
    offset: float       # the daemon's wall time minus ours


_ASSIGNMENT = msgspec.json.Decoder(Assignment)
_ANSWER = msgspec.json.Decoder(PushAnswer)
_ENCODE = msgspec.json.Encoder().encode


def decode_assignment(body: bytes) -> Assignment:
    return _ASSIGNMENT.decode(body)


class DaemonClient:
    def __init__(self, server: str, token: str, clock_time, timeout: float = TIMEOUT) -> None:
        self.server = server.rstrip("/")
        self._time = clock_time
        self._headers = {"Authorization": f"Bearer {token}", "User-Agent": f"upstatd-agent/{upstatd.__version__}",
                         "Content-Type": "application/json"}
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
        # (lowest, highest) offset the last push answer allows: the daemon read its clock
        # between our send and our receipt
        self.offset_bounds: tuple[float, float] | None = None

    def configure(self, server: str, token: str) -> None:
        """A re-read config (SIGHUP): the next request goes there, with that token."""
        self.server = server.rstrip("/")
        self._headers["Authorization"] = f"Bearer {token}"

    async def close(self) -> None:
        await self._session.close()

    async def pull(self, etag: str | None) -> Pulled | None:
        """The assignment, or None when it is still `etag` (304).

        The offset is taken against the middle of the request's round trip: the daemon
        read its clock somewhere between our send and our receipt."""
        headers = dict(self._headers)
        if etag is not None:
            headers["If-None-Match"] = etag
        sent = self._time()
        status, body, answer_headers = await self._request("GET", ASSIGNMENT_PATH, headers, None)
        received = self._time()
        if status == 304:
            return None
        try:
            assignment = _ASSIGNMENT.decode(body)
        except msgspec.ValidationError as exc:
            raise Rejected(f"the daemon's assignment does not decode: {exc}") from None
        return Pulled(assignment, body, answer_headers.get("ETag"), assignment.server_time - (sent + received) / 2)

    async def push(self, push: Push) -> PushAnswer:
        """The daemon's answer; `offset_bounds` is then what its `server_time` says of the offset."""
        sent = self._time()
        _, body, _ = await self._request("POST", RESULTS_PATH, self._headers, _ENCODE(push))
        received = self._time()
        try:
            answer = _ANSWER.decode(body)
        except msgspec.ValidationError as exc:
            raise Rejected(f"the daemon's answer to a push does not decode: {exc}") from None
        if answer.server_time is not None:
            self.offset_bounds = (answer.server_time - received, answer.server_time - sent)
        return answer

    async def _request(self, method: str, path: str, headers: dict, data: bytes | None):
        url = self.server + path
        try:
            async with self._session.request(method, url, headers=headers, data=data, allow_redirects=False) as response:
                body = await response.read()
                status = response.status
                answer_headers = response.headers
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise Unreachable(f"{method} {url}: {_reason(exc)}") from None
        if status < 300 or status == 304:
            return status, body, answer_headers
        message = f"{method} {path}: HTTP {status}: {_error_message(body)}"
        if status >= 500:
            raise Unreachable(message)
        if status == 401:
            raise TokenRefused(message)
        if status == 429:
            raise Throttled(message, _retry_after(answer_headers.get("Retry-After")))
        raise Rejected(message)


def refine_offset(offset: float, bounds: tuple[float, float]) -> float:
    """The offset kept while a push answer's bounds allow it (a pull's midpoint is the
    better measure: a push answer waits for the daemon's commit), else the nearest bound:
    a clock stepped or drifted on either side is followed within one push."""
    lowest, highest = bounds
    return min(max(offset, lowest), highest)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "no answer in time"
    return str(exc) or type(exc).__name__


def _error_message(body: bytes) -> str:
    """The API envelope's message ({"error": {"message": …}}), else the start of the body."""
    try:
        return str(msgspec.json.decode(body)["error"]["message"])
    except (msgspec.DecodeError, KeyError, TypeError):
        return body[:200].decode("utf-8", "replace") or "(no body)"


def _retry_after(value: str | None) -> float:
    try:
        return min(60.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return 1.0
