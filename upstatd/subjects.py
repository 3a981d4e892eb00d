"""What the commands of monitors and heartbeats (the subjects of checks and
incidents) share: the config file's ownership, the first validation problem
as a domain error, a change's event, and a delete that resolves incidents.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import structlog

from upstatd.errors import Conflict, Invalid, Malformed
from upstatd.events import Event, EventBus, ResourceChanged
from upstatd.store.writer import Writer

if TYPE_CHECKING:  # a type only: importing it here made `import upstatd.monitors.service` circular
    from upstatd.incidents.service import IncidentService


class Changed(NamedTuple):
    row: Any                        # the subject after the change (None once deleted)
    events: list[ResourceChanged]   # empty: nothing changed, nothing written


def editable(kind: str, row: Any, verb: str, file: str) -> None:
    """A subject from the config file is the file's: the API may read, pause and resume it."""
    if row.managed_by == "config":
        raise Conflict(f"{kind} {row.id} is managed by the config file {file} ({kind}s entry with key "
                       f"'{row.key}'), so it cannot be {verb} over the API: change it in {file} and "
                       f"reload (systemctl reload upstatd); pause and resume work over the API",
                       "managed_by_config")


def problem(problems: list, param: str | None, message: str) -> Exception:
    """The first of the config chain's problems as the API's error; an unknown key is 400."""
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    error = Malformed if message.startswith("unknown key") else Invalid
    return error(f"{param}: {message}{more}" if param else f"{message}{more}", param)


def record(bus: EventBus, conn: sqlite3.Connection, kind: str, action: str, obj: dict, subject_id: str,
           at: float, reason: str | None = None) -> tuple[Event, ResourceChanged]:
    """<kind>.<action> with the public shape `obj`, inside the change's transaction."""
    event = bus.record(conn, f"{kind}.{action}", obj, at, {"reason": reason} if reason else None)
    return event, ResourceChanged(kind, action, subject_id, at, reason)


def runnable(kind: str, rows: Iterable[Any], build: Callable[[Any], tuple[Any, list]],
             api_param: Callable[[Any], str | None]) -> list[tuple[Any, Any]]:
    """The stored rows made over the API with their specs, ready to run (at start). One
    that no longer validates (a time zone or ca_file gone since) is logged and left
    out; the API still shows it. `build(row)` -> (spec or None, problems)."""
    out = []
    for row in rows:
        spec, problems = build(row)
        if spec is None:
            structlog.get_logger(f"upstatd.{kind}s").error(f"{kind}.invalid_stored", id=row.id,
                      errors=[f"{api_param(path) or row.id}: {message}" for path, message in problems])
            continue
        out.append((spec, row))
    return out


async def run(writer: Writer, bus: EventBus, job: Callable[[sqlite3.Connection], tuple]) -> Changed:
    """`job` -> (row, event, change), or (row, None, None) when nothing changed (nothing
    written); the event is published after the commit."""
    row, event, change = await writer.run(job)
    if event is None:
        return Changed(row, [])
    bus.publish(event)
    return Changed(row, [change])


async def set_status(writer: Writer, bus: EventBus, find: Callable[[sqlite3.Connection], Any], status: str,
                     write: Callable[[sqlite3.Connection, Any], Any],
                     event: Callable[[sqlite3.Connection, str, Any], tuple[Event, ResourceChanged]],
                     unchanged: Callable[[Any], bool] | None = None) -> Changed:
    """Pause (`status` "paused") or resume ("active") the subject `find(conn)` reads:
    `write(conn, row)` -> the row after, recorded as <kind>.paused or .unpaused. A
    subject already so (`unchanged(row)`, default: its status is `status`) changes nothing."""
    def change(conn: sqlite3.Connection) -> tuple[Any, Event | None, ResourceChanged | None]:
        row = find(conn)
        if unchanged(row) if unchanged is not None else row.status == status:
            return row, None, None
        after = write(conn, row)
        return (after, *event(conn, "paused" if status == "paused" else "unpaused", after))

    return await run(writer, bus, change)


async def delete(writer: Writer, bus: EventBus, incidents: IncidentService, kind: str, rows: Sequence[Any],
                 at: float, get: Callable, delete_history: Callable, serialize: Callable[[Any], dict],
                 reason: str | None, then: Callable[[sqlite3.Connection], Any] | None = None) -> Any:
    """Delete the rows with their history in one transaction: a <kind>.deleted event each
    (the row as it stands), each open incident resolved, and `then(conn)` (a reconcile).
    Returns (changes, then's result) with `then`, else Changed(None, changes)."""
    decisions = [incidents.decide_deleted(row.id, kind, at) for row in rows]

    def remove(conn: sqlite3.Connection) -> tuple[list[Event], list[ResourceChanged], Any]:
        events, changes = [], []
        for row, decision in zip(rows, decisions):
            current = get(conn, row.id) or row
            event, change = record(bus, conn, kind, "deleted", serialize(current), row.id, at, reason)
            events.append(event)
            changes.append(change)
            if decision is not None:
                events.append(incidents.write(conn, decision))
        delete_history(conn, [row.seq for row in rows])
        return events, changes, then(conn) if then is not None else None

    events, changes, result = await writer.run(remove)
    for row, decision in zip(rows, decisions):
        if decision is not None:
            incidents.remember(decision.incident)
        incidents.forget_subject(row.id)
    for event in events:
        bus.publish(event)
    return (changes, result) if then is not None else Changed(None, changes)
