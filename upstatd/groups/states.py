"""A group's state: the worst of its active members' (pure).

Worse means more alarming. A member whose state says nothing is wrong yet
(`pending`, `new`: never checked or pinged) ranks below `up`, so one new member
does not hide that the rest are up; a member in maintenance is watched by no
one on purpose, so it ranks below `up` too. Paused members are left out by the
caller: their state is the one they had when paused.
"""

from __future__ import annotations

from collections.abc import Iterable

# each kind's states, best first
RANKS = {
    "monitor": ("pending", "maintenance", "up", "degraded", "down"),
    "heartbeat": ("new", "up", "late", "down"),
}


def worst(kind: str, states: Iterable[str]) -> str | None:
    """The worst of `states` for members of `kind`; None when there are none."""
    order = RANKS[kind]
    found = None
    for state in states:
        if found is None or order.index(state) > order.index(found):
            found = state
    return found
