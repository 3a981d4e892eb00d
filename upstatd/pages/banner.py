"""A status page's words for states: each resource's public state, and the
overall banner from all of them. Pure.

A resource's public state is one of PUBLIC: `operational`, `degraded`
(answering slowly, or a heartbeat overdue inside its grace), `down`,
`maintenance`, or `unknown` (no confirmed result yet, or paused: nothing
to tell the public). The banner is the worst news: any resource down is a
partial outage, all of the known ones down a major outage; then degraded,
then maintenance; otherwise (unknown ones included) all operational.
"""

from __future__ import annotations

from collections.abc import Iterable

PUBLIC = ("operational", "degraded", "down", "maintenance", "unknown")
BANNERS = {
    "operational": "All systems operational",
    "degraded": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "maintenance": "Under maintenance",
}
_MONITOR = {"up": "operational", "degraded": "degraded", "down": "down", "maintenance": "maintenance"}
_HEARTBEAT = {"up": "operational", "late": "degraded", "down": "down", "maintenance": "maintenance"}


def public_state(kind: str, state: str, status: str = "active") -> str:
    """`kind`: monitor or heartbeat (a group shows its worst member's: `worst`)."""
    if status == "paused":
        return "unknown"
    return (_MONITOR if kind == "monitor" else _HEARTBEAT).get(state, "unknown")


_RANK = {"down": 4, "degraded": 3, "maintenance": 2, "operational": 1, "unknown": 0}


def worst(states: Iterable[str]) -> str:
    """The worst of public states (a group's); `unknown` when none is known."""
    return max(states, key=_RANK.__getitem__, default="unknown")


def banner(states: Iterable[str]) -> str:
    """The overall banner key (a key of BANNERS) of a page's resources' public states."""
    known = [state for state in states if state != "unknown"]
    if "down" in known:
        return "major_outage" if all(state == "down" for state in known) else "partial_outage"
    if "degraded" in known:
        return "degraded"
    if "maintenance" in known:
        return "maintenance"
    return "operational"
