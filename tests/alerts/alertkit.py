"""Helpers for the alert senders' tests: facts to render, and real peers on
loopback: an SMTP server (aiosmtpd, in the test's own event loop), an HTTP
receiver that answers as scripted, PagerDuty's Events API as its reference
describes it, and a ticker measuring event loop lag. For the daemon's tests:
the config of a daemon with one alert channel (`one_channel`). The
`receiver`, `smtp` and `pagerduty` fixtures (offered by conftest.py): a peer
started for the test, closed after it."""

from __future__ import annotations

import asyncio
import email
import json
import email.policy
import ssl
import textwrap
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult

from upstatd.alerts.message import Facts, Phase

START = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def facts(**changes) -> Facts:
    base = Facts(kind="monitor", name="shop frontend", reason="opened", incident_id="inc_7Hq2",
                 started_at=START, at=START + 725, url="https://shop.example/health", type="http",
                 error_kind="timeout", error_message="no answer within 10s",
                 phases=(Phase("dns", 2.0), Phase("connect", 11.0)), severity="critical")
    return msgspec.structs.replace(base, **changes)


# -- SMTP ------------------------------------------------------------------------

@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage
    tls: bool
    login: str | None

    def part(self, subtype: str) -> str:
        return self.message.get_body((subtype,)).get_content()


class MailHandler:
    """Accepts mail; refuses (550) any recipient at `refuse`, answers 451 to one at `busy`."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message,
                               tls=session.ssl is not None, login=login))
        return "250 2.0.0 accepted"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"alerts" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class SmtpServer:
    """A real SMTP server on 127.0.0.1; with `tls_context` it offers STARTTLS
    and a login (alerts / s3cret) after it."""

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self.handler = MailHandler()
        self.tls_context = tls_context
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails

    async def start(self) -> SmtpServer:
        def protocol() -> SMTP:
            if self.tls_context is None:
                return SMTP(self.handler, hostname="mail.test")
            return SMTP(self.handler, hostname="mail.test", tls_context=self.tls_context,
                        require_starttls=True, authenticator=_authenticate, auth_require_tls=True)
        self.server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


# -- HTTP ------------------------------------------------------------------------

@dataclass
class Got:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP receiver on 127.0.0.1 answering `status` (after `delay` seconds) to any POST;
    with `script`, its statuses first, one per request."""
    status: int = 200
    delay: float = 0.0
    script: list[int] = field(default_factory=list)
    got: list[Got] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0

    async def start(self, port: int = 0) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = self.runner.addresses[0][1]
        return self

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        self.got.append(Got(request.path_qs, dict(request.headers), await request.read()))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.script.pop(0) if self.script else self.status
        return web.json_response({"ok": status < 400}, status=status)

    def json(self, index: int) -> Any:
        return json.loads(self.got[index].body)

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


PD_SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class PagerDuty(Receiver):
    """PagerDuty's Events API v2 on 127.0.0.1: an event is checked as the
    reference says (a 32-character routing_key, an event_action, a dedup_key
    of at most 255 characters; a trigger's payload with a summary of at most
    1024 characters, a source and one of PagerDuty's four severities) and
    answered 202 with {status, message, dedup_key}, or 400 with {status,
    message, errors}. Every event taken is in `.events`. A `status` other
    than 202 is answered as it is, with `answer` (JSON for a dict) as its body;
    `delay` seconds before any answer."""
    status: int = 202
    answer: dict | str = ""
    events: list[dict] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append(Got(request.path_qs, dict(request.headers), body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 202:
            if isinstance(self.answer, dict):
                return web.json_response(self.answer, status=self.status)
            return web.Response(text=self.answer, status=self.status)
        try:
            event = json.loads(body)
        except ValueError:
            return self._invalid(["the body is not JSON"])
        errors = self._check(event)
        if errors:
            return self._invalid(errors)
        self.events.append(event)
        return web.json_response({"status": "success", "message": "Event processed",
                                  "dedup_key": event.get("dedup_key") or "generated-by-pagerduty"}, status=202)

    @staticmethod
    def _check(event: dict) -> list[str]:
        errors = []
        if len(str(event.get("routing_key", ""))) != 32:
            errors.append("routing_key: must be 32 characters")
        if event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
            errors.append("event_action: must be trigger, acknowledge or resolve")
        if len(str(event.get("dedup_key", ""))) > 255:
            errors.append("dedup_key: longer than 255 characters")
        if event.get("event_action") in ("acknowledge", "resolve") and not event.get("dedup_key"):
            errors.append("dedup_key: required to acknowledge or resolve")
        if event.get("event_action") == "trigger":
            payload = event.get("payload") or {}
            if not payload.get("summary") or len(payload["summary"]) > 1024:
                errors.append("payload.summary: required, at most 1024 characters")
            if not payload.get("source"):
                errors.append("payload.source: required")
            if payload.get("severity") not in PD_SEVERITIES:
                errors.append("payload.severity: must be critical, error, warning or info")
        return errors

    @staticmethod
    def _invalid(errors: list[str]) -> web.Response:
        return web.json_response({"status": "invalid event", "message": "Event object is invalid",
                                  "errors": errors}, status=400)


class LagMeter:
    """A task ticking every `interval` seconds; `worst` is the longest it was late."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.worst = 0.0
        self.ticks = 0
        self.task: asyncio.Task | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, time.perf_counter() - before - self.interval)
            self.ticks += 1

    def __enter__(self) -> LagMeter:
        self.task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc) -> None:
        self.task.cancel()


# -- a daemon with one alert channel -------------------------------------------

def one_channel(channel: str, more: str = "", key: str = "hook") -> str:
    """start_api's YAML for a daemon with one alert channel, KEY (CHANNEL: webhook_channel(...)
    or email_channel(...)), the default of every monitor and heartbeat; MORE (monitors,
    heartbeats, storage) after it."""
    return (f"alert_channels:\n  - {{key: {key}, {channel}}}\n"
            f"defaults: {{alert_channels: [{key}]}}\n" + textwrap.dedent(more).strip() + "\n")


def webhook_channel(url: str, options: str = "") -> str:
    """A webhook channel posting to URL; OPTIONS, the channel's other settings in flow YAML
    (`reminder_interval: 30m`)."""
    return f'type: webhook, {options + ", " if options else ""}webhook: {{url: "{url}"}}'


def email_channel(smtp: SmtpServer, options: str = "") -> str:
    """An email channel from upstatd@example.com to ops@example.com through SMTP, no TLS."""
    return (f"type: email, {options + ', ' if options else ''}email: {{host: 127.0.0.1, port: {smtp.port}, "
            "security: none, from: upstatd@example.com, to: [ops@example.com]}")


@pytest.fixture
async def receiver():
    """A started Receiver answering 200 (set `.script` before the daemon sends), closed after."""
    peer = await Receiver().start()
    yield peer
    await peer.close()


@pytest.fixture
async def smtp():
    """A started SmtpServer without TLS, closed after."""
    peer = await SmtpServer().start()
    yield peer
    await peer.close()


@pytest.fixture
async def pagerduty():
    """A started PagerDuty answering 202, closed after."""
    peer = await PagerDuty().start()
    yield peer
    await peer.close()
