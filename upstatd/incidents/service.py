"""Incidents at run time: opened when a monitor or heartbeat goes down,
resolved when it recovers, reopened when it fails again within the window.
(Skeleton: filled in by the incidents work.)"""

from __future__ import annotations

from typing import Any

from upstatd.clock import Clock
from upstatd.config.incidents import IncidentSettings
from upstatd.events import Event, EventBus


class IncidentService:
    def __init__(self, clock: Clock, writer: Any, bus: EventBus, settings: IncidentSettings) -> None:
        self.clock = clock
        self.writer = writer
        self.bus = bus
        self.settings = settings
        bus.subscribe(self.on_event)

    async def load(self, conn: Any) -> None:
        """Read what is open (at start, before any event)."""

    def on_event(self, event: Event) -> None:
        """monitor.down/degraded/up, heartbeat.down/up/new -> incidents."""
