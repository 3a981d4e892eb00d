"""Driving the in-process daemon on a FakeClock for the maintenance tests
(tests/clockdrive.py), and the events they read back."""

from __future__ import annotations

import json

from clockdrive import Target, move_to, probe, wait_for

__all__ = ["Target", "events", "move_to", "probe", "wait_for"]


async def events(api, prefix: str) -> list[tuple[str, float, dict]]:
    await api.daemon.writer.flush()  # what is queued (the maintenance timers' events) committed first
    rows = await api.daemon.read_db.execute_fetchall("SELECT type, created_at, data FROM events ORDER BY seq")
    return [(kind, created / 1000, json.loads(data)["object"]) for kind, created, data in rows
            if kind.startswith(prefix)]
