"""One POST to a receiver, as every HTTP channel makes it: no redirects
followed, a total timeout, at most 64 KiB of the answer read, and every
failure in words (never an exception): the signed webhooks, the alert
channels' template webhooks and PagerDuty share it. The answer's bytes (as
far as read) come back too, for a channel whose receiver explains a refusal
in a body of its own (PagerDuty's Events API answers JSON with `message` and
`errors`)."""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

import aiohttp

ERROR_SNIPPET = 200  # characters of a failing answer's body kept in the error


class Posted(NamedTuple):
    status: int | None   # the receiver's answer, when it gave one
    error: str | None    # None: a 2xx
    latency_ms: float
    answer: bytes = b""  # the answer's body, at most 64 KiB of it


class SessionUser:
    """A sender that POSTs through the daemon's shared session, or (alone: tests, the CLI)
    one of its own, opened at the first POST and closed by close()."""
    session: aiohttp.ClientSession | None = None
    _own_session: aiohttp.ClientSession | None = None

    async def _session(self) -> aiohttp.ClientSession:
        if self.session is not None:
            return self.session
        if self._own_session is None or self._own_session.closed:
            self._own_session = aiohttp.ClientSession()
        return self._own_session

    async def close(self) -> None:
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None


def worth_retrying(status: int | None, error: str | None) -> bool:
    """A 4xx says the request will never be taken, except a timeout (408) or a rate limit (429);
    everything else may pass later."""
    return error is None or status is None or not (400 <= status < 500 and status not in (408, 429))


async def post(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str],
               timeout: float) -> Posted:
    started = time.perf_counter()
    status, error, answer = None, None, b""
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            status = response.status
            answer = await response.content.read(64 * 1024)
            if not 200 <= status < 300:
                text = answer[:ERROR_SNIPPET].decode("utf-8", "replace").strip()
                error = f"HTTP {status}" + (f": {text}" if text else "")
    except asyncio.TimeoutError:
        error = f"no answer within {timeout:g}s"
    except aiohttp.ClientError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except (OSError, ValueError) as exc:  # a URL aiohttp cannot use
        error = f"{type(exc).__name__}: {exc}"
    return Posted(status, error, round((time.perf_counter() - started) * 1000, 3), answer)
