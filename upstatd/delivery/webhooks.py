"""Webhook delivery: signed POSTs of events, retried, per endpoint in order.
(Skeleton: filled in by the webhooks work.)"""

from __future__ import annotations

from typing import Any

from upstatd.clock import Clock
from upstatd.config.webhooks import WebhookSpec
from upstatd.events import EventBus


class WebhookDispatcher:
    def __init__(self, clock: Clock, writer: Any, read_conn: Any, bus: EventBus) -> None:
        self.clock = clock
        self.writer = writer
        self.read_conn = read_conn
        self.bus = bus

    async def start(self, specs: tuple[WebhookSpec, ...]) -> None:
        """Reconcile the YAML endpoints, start one delivery task per enabled endpoint."""

    async def reload(self, specs: tuple[WebhookSpec, ...]) -> None:
        """Apply a reloaded `webhooks:` section."""

    async def stop(self) -> None:
        """Stop delivering; what is not delivered stays in the outbox for the next start."""
