"""Alert channels' senders: how a message reaches a person or a system.

This package is the first slice of alert channels (issue 13): the message
(message.py, a pure function from an alert's facts to a subject, text and
HTML) and one sender per channel type, each with the same small interface:

    class Sender(Protocol):
        async def send(self, message: Message) -> Attempt: ...

`Attempt` is the outbox's (upstatd.delivery.outbox.Attempt): a sender never
raises for a receiver's failure; it says how the try went, and whether
another try may succeed (`retry`). Senders:

    email.EmailChannel               SMTP through aiosmtplib (text + HTML parts)
    apprise_channel.AppriseChannel   any Apprise URL, off the loop in its own thread pool
    webhook.TemplateWebhookChannel   a JSON POST whose body is a sandboxed template
    pagerduty.PagerDutyChannel       PagerDuty Events API v2, the incident's id as dedup key (resolve resolves the page)

How they sit under the outbox: the alert channels' consumer (the next slice)
is an outbox Channel whose `send(event)` turns the event (and the incident
it names) into Facts, renders them with `message.render(facts, public_url,
channel_type, templates)` and returns `await sender.send(message)`; the
consumer's retries, cursor and disabling stay the outbox's.
"""

from __future__ import annotations

from typing import Protocol

from upstatd.alerts.message import Message
from upstatd.delivery.outbox import Attempt


class Sender(Protocol):
    """Send one message once; a receiver's failure is an Attempt, not an exception."""

    async def send(self, message: Message) -> Attempt: ...
