"""The email sender: one SMTP transaction per message through aiosmtplib.

The mail is multipart/alternative: the message's plain text, then its HTML.
`security` is how the connection is protected: `starttls` (connect in the
clear, then STARTTLS, required: a server that does not offer it fails the
attempt), `tls` (TLS from the first byte, usually port 465) or `none` (never
upgraded, for a relay on localhost). The whole attempt, connect to QUIT, is
bounded by `timeout`.

Failures are Attempts, never exceptions. Permanent ones are retry=False: a
5xx reply (a refused sender or recipient, a refused message, a failed login)
and a server that lacks what the configuration asks for (STARTTLS, AUTH).
Transient ones are retry=True: a 4xx reply, a refused or dropped connection,
a timeout, a TLS failure (a certificate may be renewed). When some
recipients are refused and others accept the mail, the attempt is a success
whose error names the refused ones.
"""

from __future__ import annotations

import asyncio
import email.message
import email.utils
import ssl
import time
from collections.abc import Sequence
from typing import Literal

import aiosmtplib

from upstatd.alerts.message import Message
from upstatd.delivery.outbox import Attempt

Security = Literal["starttls", "tls", "none"]
SECURITIES = ("starttls", "tls", "none")
TIMEOUT = 30.0  # seconds for the whole attempt
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def build(message: Message, sender: str, to: Sequence[str], domain: str | None = None) -> email.message.EmailMessage:
    """The MIME message: headers, then a text part and an HTML part."""
    mail = email.message.EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = email.utils.formatdate(message.facts.at, usegmt=True)
    mail["Message-ID"] = email.utils.make_msgid("upstatd", domain=domain or _domain(sender))
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to an alert
    mail["X-Upstatd-Incident"] = message.facts.incident_id
    mail["X-Upstatd-Reason"] = message.facts.reason
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def _domain(address: str) -> str:
    return email.utils.parseaddr(address)[1].rpartition("@")[2] or "localhost"


class EmailChannel:
    def __init__(self, *, host: str, port: int | None = None, security: Security = "starttls",
                 username: str | None = None, password: str | None = None,
                 sender: str, to: Sequence[str], timeout: float = TIMEOUT,
                 tls_context: ssl.SSLContext | None = None) -> None:
        if security not in SECURITIES:
            raise ValueError(f"security must be one of {', '.join(SECURITIES)}, not {security!r}")
        if not to:
            raise ValueError("an email channel needs at least one recipient")
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security = security
        self.username = username
        self.password = password
        self.sender = sender
        self.to = list(to)
        self.timeout = timeout
        self.tls_context = tls_context  # None: the system's CAs, the host name checked

    def __repr__(self) -> str:  # no password in a log line or a traceback
        return f"EmailChannel({self.host}:{self.port}, {self.security}, to={len(self.to)})"

    async def send(self, message: Message) -> Attempt:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                errors, _reply = await aiosmtplib.send(
                    build(message, self.sender, self.to),
                    sender=self.sender, recipients=self.to,
                    hostname=self.host, port=self.port,
                    username=self.username or None, password=self.password or None,
                    use_tls=self.security == "tls", start_tls=self.security == "starttls",
                    tls_context=self.tls_context, timeout=self.timeout)
        except (TimeoutError, aiosmtplib.SMTPTimeoutError):
            return self._failed(started, None, f"no answer within {self.timeout:g}s", True)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            listed = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            permanent = all(500 <= code < 600 for code in codes)
            return self._failed(started, codes[0] if codes else None, f"recipients refused: {listed}", not permanent)
        except aiosmtplib.SMTPResponseException as exc:  # sender refused, data refused, auth failed, HELO, ...
            what = type(exc).__name__.removeprefix("SMTP")
            return self._failed(started, exc.code, f"{what}: {exc.code} {exc.message}", not 500 <= exc.code < 600)
        except aiosmtplib.SMTPNotSupported as exc:  # no STARTTLS, no AUTH: the configuration asks for it
            return self._failed(started, None, f"not supported by the server: {exc}", False)
        except (aiosmtplib.SMTPException, OSError) as exc:  # refused, dropped, TLS failed
            # aiosmtplib says "... extension not supported by server" with a plain SMTPException
            unsupported = type(exc) is aiosmtplib.SMTPException and "not supported" in str(exc)
            return self._failed(started, None, f"{type(exc).__name__}: {exc}", not unsupported)
        latency, status = _ms(started), 250  # aiosmtplib keeps the DATA reply's text, not its code
        if errors:
            listed = "; ".join(f"{who}: {r.code} {r.message}" for who, r in errors.items())
            return Attempt(True, status, latency, f"some recipients refused: {listed}")
        return Attempt(True, status, latency, None)

    def _failed(self, started: float, code: int | None, error: str, retry: bool) -> Attempt:
        return Attempt(False, code, _ms(started), error, retry)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
