"""What the daemon builds around a service under test: the event bus and the
incident memory, on the test's writer (tests that build services by hand)."""

from __future__ import annotations

from upstatd.config.incidents import IncidentSettings
from upstatd.events import EventBus
from upstatd.incidents.service import IncidentService


def outbox(clock, writer) -> tuple[EventBus, IncidentService]:
    bus = EventBus(writer)
    return bus, IncidentService(clock, writer, bus, IncidentSettings())
