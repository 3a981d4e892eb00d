"""The Apprise sender: any Apprise URL (Slack, Discord, Teams, Telegram, ntfy,
Gotify, Matrix, Pushover, PagerDuty, Opsgenie, ...), one notify per message.

Apprise is synchronous, so a send runs in a thread pool of this module's own
(POOL_SIZE threads, shared by every Apprise channel, never the loop's default
executor that other work uses): the event loop only awaits it. Each attempt
is bounded twice: Apprise's own call timeout (so the thread gives up too) and
an asyncio deadline on the await (so the caller gets its Attempt on time even
if a plugin ignores the first). A send still queued for a thread when its
deadline passes is cancelled, not run late.

What went wrong is in the Attempt's error: the warnings and errors Apprise
logged during that one call (its per-call capture, so concurrent sends do
not mix), with the URL and each of its parts masked. Apprise URLs carry
tokens, so the URL itself is never logged or returned; `where` is Apprise's
own privacy-masked form of it. The `apprise` logger does not propagate to the
daemon's log for the same reason.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
import urllib.parse

import apprise

from upstatd.alerts.message import Message
from upstatd.delivery.outbox import Attempt

TIMEOUT = 30.0   # seconds per attempt
POOL_SIZE = 4    # threads for all Apprise sends together
ERROR_LINES = 5  # log lines of a failure kept in its error
MASK = "***"

logging.getLogger("apprise").propagate = False  # its records can hold a URL's tokens

NOTIFY_TYPES = {
    "opened": apprise.NotifyType.FAILURE,
    "reminder": apprise.NotifyType.FAILURE,
    "escalated": apprise.NotifyType.FAILURE,
    "acknowledged": apprise.NotifyType.WARNING,
    "resolved": apprise.NotifyType.SUCCESS,
    "test": apprise.NotifyType.INFO,
}

_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool() -> concurrent.futures.ThreadPoolExecutor:
    """This module's thread pool, made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="upstatd-apprise")
        return _pool


def secrets_of(url: str) -> list[str]:
    """The parts of a URL that may be secret, longest first: the URL, its user
    and password, a host that is not a dotted name (Telegram's and others'
    tokens sit there), each path segment and each query value."""
    parts = {url}
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        return [url]
    netloc = split.netloc
    userinfo, _, hostport = netloc.rpartition("@")
    if userinfo:
        parts.update(userinfo.split(":", 1))
    if hostport and not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?", hostport):
        parts.add(hostport)
        parts.update(hostport.split(":"))  # a bot id and its token, say
    parts.update(segment for segment in split.path.split("/"))
    for _, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
        parts.add(value)
    parts.add(split.fragment)
    found = set()
    for part in parts:
        if len(part) >= 3:
            found.add(part)
            found.add(urllib.parse.unquote(part))
            found.add(urllib.parse.quote(part, safe=""))
    return sorted((p for p in found if len(p) >= 3), key=len, reverse=True)


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class AppriseChannel:
    def __init__(self, url: str, *, timeout: float = TIMEOUT,
                 executor: concurrent.futures.Executor | None = None) -> None:
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:  # unknown scheme or missing parts: say so without the URL
            scheme = url.partition("://")[0] if "://" in url else "?"
            raise ValueError(f"not a usable Apprise URL (scheme {scheme!r})")
        self._url = url
        self._secrets = secrets_of(url)
        self.where = mask(plugin.url(privacy=True), self._secrets)  # its privacy form keeps some paths
        self.timeout = timeout
        self.executor = executor

    def __repr__(self) -> str:
        return f"AppriseChannel({self.where})"

    async def send(self, message: Message) -> Attempt:
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor or pool(), self._notify, message)
        try:
            ok, lines = await asyncio.wait_for(future, self.timeout)
        except (TimeoutError, asyncio.TimeoutError):
            return Attempt(False, None, _ms(started), f"no answer within {self.timeout:g}s", True)
        except Exception as exc:  # a plugin that raised past Apprise's own handling
            return Attempt(False, None, _ms(started), mask(f"{type(exc).__name__}: {exc}", self._secrets), True)
        if ok:
            return Attempt(True, None, _ms(started), None)
        error = "; ".join(lines[-ERROR_LINES:]) or "Apprise reported a failure"
        return Attempt(False, None, _ms(started), mask(error, self._secrets), True)

    def _notify(self, message: Message) -> tuple[bool, list[str]]:
        """In a worker thread: one notify, its outcome and its logged problems."""
        notifier = apprise.Apprise()
        if not notifier.add(self._url):
            return False, ["Apprise could not load the URL"]
        result = notifier.notify(
            body=message.text, title=message.subject,
            notify_type=NOTIFY_TYPES.get(message.facts.reason, apprise.NotifyType.INFO),
            body_format=apprise.NotifyFormat.TEXT, timeout=self.timeout, log_level=logging.WARNING)
        lines = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
        if result.status == apprise.AppriseResultStatus.TIMEOUT and not lines:
            lines = [f"Apprise gave up after {self.timeout:g}s"]
        return bool(result), lines


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
