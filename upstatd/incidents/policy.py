"""What a state change does to its subject's incident, pure.

The command that records a state change (a probe result, a heartbeat flip,
a delete) asks `decide` with the subject's tracked incident and writes the
answer in the same transaction as the change: no listener, no second pass.

- down or degraded: open an incident; raise an open one's severity when the
  subject gets worse (degraded, then down); reopen the last one when it was
  resolved within `reopen_window` seconds;
- up again (or reset to `new`, or deleted): resolve the open one.

An agent (docs/regions.md) that stops reporting is a subject too: down opens an
`agent_down` incident about it (no affected monitors: its region just stops
counting toward quorums), up resolves it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from upstatd.events import StateChanged
from upstatd.incidents import lifecycle
from upstatd.incidents.lifecycle import SEVERITIES
from upstatd.store.incidents import Incident

ACTIVE = ("open", "acknowledged")
FAILING = {"monitor": ("down", "degraded"), "heartbeat": ("down",), "agent": ("down",)}
RECOVERED = {"monitor": ("up",), "heartbeat": ("up", "new"), "agent": ("up",)}
AGENT_DOWN = "agent_down"  # the error kind (and incident type) of an agent down
HEARTBEAT_REASONS = {
    "missed": "no ping came before the grace period ended",
    "deadline": "no ping came before the grace period ended",
    "overrun": "the run started but did not finish within the grace period",
    "fail": "the job reported a failure",
}


class Decision(NamedTuple):
    incident: Incident  # as it is after the change
    kind: str           # the timeline entry: created, updated, reopened, resolved
    note: str | None    # its message
    event: str          # incident.created, .updated, .reopened, .resolved
    insert: bool        # a new incident (else the row is saved)


def worse(a: str, b: str) -> bool:
    """Severity a is worse than b."""
    return (SEVERITIES.index(a) if a in SEVERITIES else 0) < (SEVERITIES.index(b) if b in SEVERITIES else 0)


def decide(current: Incident | None, change: StateChanged, reopen_window: float,
           new_id: Callable[[], str]) -> Decision | None:
    """The incident change that `change` makes, or None. `current` is the subject's
    latest system incident that is not closed; `new_id()` names one if it opens."""
    kind = change.subject.kind
    at_ms = round(change.at * 1000)
    if change.to_state in FAILING.get(kind, ()):
        degraded = change.to_state == "degraded"
        if kind == "heartbeat":
            reason = change.reason or ""
            return _failed(current, change, degraded, reason, HEARTBEAT_REASONS.get(reason, f"down ({reason})"),
                           at_ms, reopen_window, new_id)
        if kind == "agent":
            return _failed(current, change, False, AGENT_DOWN, change.error_message, at_ms, reopen_window, new_id)
        return _failed(current, change, degraded, change.error_kind, change.error_message, at_ms,
                       reopen_window, new_id)
    if change.to_state in RECOVERED.get(kind, ()):
        name = change.subject.name or change.subject.id
        if kind == "agent":
            return resolve(current, f"{name} is reporting again", at_ms)
        return resolve(current, f"{name} was reset" if change.to_state == "new" else f"{name} is up again", at_ms)
    return None


def resolve(current: Incident | None, message: str, at_ms: int) -> Decision | None:
    """Resolve an active incident (acknowledged ones too); nothing to do otherwise."""
    if current is None or current.status not in ACTIVE:
        return None
    move = lifecycle.act(current.status, "resolve")
    return Decision(current.replace(status=move.status, resolved_at=at_ms, updated_at=at_ms), "resolved",
                    message, move.event, False)


def seen_by(current: list[str] | None, change: StateChanged) -> list[str] | None:
    """The regions an incident records: those it had, then those of this change that are new
    (a reopening or a raise keeps the earlier ones); None when no change named any."""
    if not change.regions:
        return current
    return list(dict.fromkeys([*(current or ()), *change.regions]))


def _title(change: StateChanged, degraded: bool) -> str:
    if change.subject.kind == "agent":
        return f"{change.subject.name or change.subject.id} is not reporting"
    return f"{change.subject.name or change.subject.id} is {'degraded' if degraded else 'down'}"


def _failed(current: Incident | None, change: StateChanged, degraded: bool, error_kind: str | None,
            message: str | None, at_ms: int, window: float, new_id: Callable[[], str]) -> Decision | None:
    subject = change.subject
    name = subject.name or subject.id
    severity = lifecycle.severity_for(subject.severity or "critical", degraded)
    kind = lifecycle.incident_type(error_kind)
    title = _title(change, degraded)
    if current is not None and current.status in ACTIVE:
        if not worse(severity, current.severity):
            return None  # already open, and no worse than it was
        # degraded, then down: the same incident, raised to the subject's severity
        changed = current.replace(severity=severity, type=kind, error_message=message, updated_at=at_ms, title=title,
                                  regions=seen_by(current.regions, change))
        note = f"severity raised from {current.severity} to {severity}: {name} is down" + \
            (f" ({message})" if message else "")
        return Decision(changed, "updated", note, "incident.updated", False)
    if current is not None and current.status == "resolved" and current.resolved_at is not None and \
            lifecycle.reopens(current.resolved_at / 1000, at_ms / 1000, window):
        move = lifecycle.act(current.status, "reopen")
        changed = current.replace(status=move.status, resolved_at=None, severity=severity, type=kind,
                                  error_message=message, title=title, updated_at=at_ms,
                                  regions=seen_by(current.regions, change))
        note = f"{name} failed again within {window:g} s of the resolution" + (f": {message}" if message else "")
        return Decision(changed, "reopened", note, move.event, False)
    incident = Incident(new_id(), "open", severity, kind, "system", title, message, subject.id, at_ms, at_ms, at_ms,
                        affected=[] if subject.kind == "agent" else [subject.id], regions=seen_by(None, change))
    return Decision(incident, "created", message, "incident.created", True)
