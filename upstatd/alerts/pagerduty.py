"""The PagerDuty sender: PagerDuty's Events API v2, one event per message.

Why a channel type of its own when Apprise has a `pagerduty://` URL: a page
is an alert with a life (opened, acknowledged, resolved), and PagerDuty ties
the events of one alert together by their `dedup_key`. Here it is the
incident's id, so the incident's resolve resolves its page and an
acknowledge acknowledges it. Apprise 2.3 (what pyproject allows) cannot do
that for us. It sends only `trigger` and `resolve`, never `acknowledge`. Its
dedup key is none at all by default (every notification a new alert), one
fixed for the URL (every incident of every monitor on the channel would be
one alert), or, with `action=map`, a hash of the message's first line: that
is upstatd's subject, and the subject of a recovery is not the subject of
the outage, so the resolve names an alert that does not exist and the page
stays open. Its severity is the notification type's (a failure is always
`critical`) or one fixed for the URL; it wants a REST API key as well, which
the Events API does not use; PagerDuty's reasons for a refusal stay in its
debug log, and AppriseChannel retries every failure, a 400 included.

What is sent, as PagerDuty's reference describes it: opened, reminder and
escalated are `trigger` events with a payload (summary, source, severity,
timestamp, component, class, custom_details) and the incident's link; the
incident's runbooks are `custom_details.runbooks` (title, steps, link) and one
entry of `links` each when they have a page (server.public_url);
acknowledged and resolved are `acknowledge` and `resolve` events with only
the routing key, the dedup key and the action. A test message is a trigger
with a dedup key of its own each time, so it never lands on a real
incident's page (nor on an earlier test that was acknowledged, which would
not notify anyone).

The answers: 2xx (PagerDuty says 202) accepted; 400 and other 4xx refused
for good (the same event would be refused again) except 408 and 429; 429,
5xx, timeouts and network failures retried, as PagerDuty asks. A refusal's
error is PagerDuty's own `message` and `errors`, cut to ERROR_LENGTH.

The routing key is the integration's secret: whoever holds it can page
people. It is only ever in the request body: never in an error (a receiver
that echoes it back is masked), a log line or the repr.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import aiohttp
from yarl import URL

import upstatd
from upstatd.alerts.message import Message
from upstatd.delivery.outbox import Attempt
from upstatd.delivery.post import SessionUser, post, worth_retrying

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"  # EU accounts: events.eu.pagerduty.com
TIMEOUT = 10.0
SUMMARY_LENGTH = 1024  # PagerDuty's limit for payload.summary
ERROR_LENGTH = 300     # characters of PagerDuty's reasons kept in an error
MASK = "***"

ACTIONS = {
    "opened": "trigger",
    "reminder": "trigger",
    "escalated": "trigger",
    "acknowledged": "acknowledge",
    "resolved": "resolve",
    "test": "trigger",
}

# upstatd's severities -> PagerDuty's (critical, error, warning, info)
SEVERITIES = {"critical": "critical", "major": "error", "minor": "warning", "warning": "warning"}
UNKNOWN_SEVERITY = "critical"  # PagerDuty refuses any other word: a loud page beats a lost one


class PagerDutyChannel(SessionUser):
    def __init__(self, routing_key: str, *, url: str = EVENTS_URL, timeout: float = TIMEOUT,
                 session: aiohttp.ClientSession | None = None) -> None:
        if not routing_key or not routing_key.strip():
            raise ValueError("a PagerDuty routing key (the integration key) is required")
        self._routing_key = routing_key.strip()
        self.url = url
        self.headers = {"Content-Type": "application/json",
                        "User-Agent": f"upstatd/{upstatd.__version__} (alerts)"}
        self.timeout = timeout
        self.session = session

    def __repr__(self) -> str:  # never the routing key; the URL only by its host
        return f"PagerDutyChannel({URL(self.url).host})"

    def event(self, message: Message) -> dict[str, Any]:
        """The Events API v2 body for this message."""
        facts = message.facts
        action = ACTIONS[facts.reason]
        dedup_key = f"upstatd-test-{uuid.uuid4().hex}" if facts.reason == "test" else facts.incident_id
        event: dict[str, Any] = {"routing_key": self._routing_key, "event_action": action, "dedup_key": dedup_key}
        if action != "trigger":
            return event
        context = message.context
        payload = {
            "summary": _cut(message.subject, SUMMARY_LENGTH),
            "source": facts.url or facts.name,
            "severity": SEVERITIES.get(facts.severity, UNKNOWN_SEVERITY),
            "timestamp": datetime.datetime.fromtimestamp(facts.at, datetime.timezone.utc).isoformat(
                timespec="milliseconds"),
            "component": facts.name,
            "class": facts.error_kind,
            "custom_details": _without_none({
                "kind": facts.kind,
                "type": facts.type,
                "error": context.get("error"),
                "down_since": context.get("since"),
                "down_for": context.get("down_for"),
                "phases": {p.name: p.ms for p in facts.phases} or None,
                "incident_id": facts.incident_id,
                "runbooks": context.get("runbooks") or None,
            }),
        }
        event["payload"] = _without_none(payload)
        event["client"] = "upstatd"
        incident_url = context.get("incident_url")
        links = [{"href": incident_url, "text": f"upstatd incident {facts.incident_id}"}] if incident_url else []
        links += [{"href": runbook["url"], "text": f"Runbook: {runbook['title']}"}
                  for runbook in context.get("runbooks") or () if runbook["url"]]
        if incident_url:
            event["client_url"] = incident_url
        if links:
            event["links"] = links
        return event

    async def send(self, message: Message) -> Attempt:
        data = json.dumps(self.event(message)).encode()
        session = await self._session()
        posted = await post(session, self.url, data, self.headers, self.timeout)
        status, error = posted.status, posted.error
        if error is not None and status is not None:  # masked before anything is cut from it
            answer = posted.answer.decode("utf-8", "replace").replace(self._routing_key, MASK).strip()
            error = _refusal(status, answer) or _cut(f"HTTP {status}: {answer}" if answer else f"HTTP {status}",
                                                     ERROR_LENGTH)
        elif error is not None:
            error = error.replace(self._routing_key, MASK)
        return Attempt(error is None, status, posted.latency_ms, error, worth_retrying(status, error))


def _refusal(status: int, answer: str) -> str | None:
    """`HTTP 400: <message>: <errors>` from PagerDuty's JSON answer, or None
    when the answer is not PagerDuty's (a proxy's page, say)."""
    try:
        body = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    reasons = [str(body["message"])] if body.get("message") else []
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        reasons.append("; ".join(str(e) for e in errors))
    if not reasons:
        return None
    return _cut(f"HTTP {status}: " + ": ".join(reasons), ERROR_LENGTH)


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
