"""Helpers of the maintenance window tables: UTC text <-> Unix seconds, windows made checked."""

from __future__ import annotations

from datetime import datetime, timezone as tz

from upstatd.maintenance.windows import Window, check_window

NOW = datetime(2026, 1, 1, tzinfo=tz.utc).timestamp()


def utc(text: str) -> float:
    """'2026-03-29T01:00:00' (UTC) -> Unix seconds."""
    return datetime.fromisoformat(text + "+00:00").timestamp()


def shown(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, tz.utc).isoformat(timespec="seconds")[:-6]


def recurring(kind: str, expression: str, duration: float, timezone: str = "Europe/Riga") -> Window:
    return check_window(Window(kind, expression=expression, duration=duration, timezone=timezone), NOW)


def once(start: str, end: str) -> Window:
    return check_window(Window("once", starts_at=utc(start), ends_at=utc(end)), NOW)
