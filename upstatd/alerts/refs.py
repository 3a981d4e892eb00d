"""How a monitor or heartbeat names its alert channels in its public shape:
`alert_channels: [{"id", "type"}]` (UptimeGuard's form), or null for the
defaults.

Subjects store what was written (keys or ids, `config/alert_channels.py
parse_refs`); the public shape shows each as its channel's id and type.
The probe path builds that shape without reading the database, so the
dispatcher keeps this table of every stored channel (`use`) as it syncs.
A ref that names no channel shows as `{"id": <ref>, "type": null}`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_channels: dict[str, tuple[str, str]] = {}  # id or key -> (id, type)


def use(rows: Iterable[Any]) -> None:
    global _channels
    table: dict[str, tuple[str, str]] = {}
    for row in rows:
        table[row.id] = (row.id, row.type)
        if row.key:
            table[row.key] = (row.id, row.type)
    _channels = table


def shown(refs: Iterable[str] | None) -> list[dict[str, str | None]] | None:
    if refs is None:
        return None
    out = []
    for ref in refs:
        channel_id, kind = _channels.get(ref, (ref, None))
        out.append({"id": channel_id, "type": kind})
    return out


def given(value: Any) -> list[str] | None:
    """An API body's `alert_channels` (ids or keys, or UptimeGuard's [{"id", "type"}]) -> refs."""
    if value is None:
        return None
    return [item if isinstance(item, str) else item.id for item in value]


def check(conn: Any, refs: Iterable[str] | None) -> None:
    """Each ref names a stored channel (the API's check; a config file's keys are checked on load)."""
    from upstatd.errors import Invalid
    from upstatd.store.alerts import find_ref
    for index, ref in enumerate(refs or ()):
        if find_ref(conn, ref) is None:
            raise Invalid(f"alert_channels.{index}: no alert channel with id or key '{ref[:100]}'",
                          f"alert_channels.{index}")
