"""Which agent of a region probes which monitor (docs/regions.md, "Agent liveness").

A region with several agents splits its monitors between the live ones by
rendezvous hashing: each monitor goes to the agent whose hash of (agent id,
monitor key) is highest. The split is stable, needs no table, and when an
agent comes or goes only the monitors it gains or loses move.

A move is handed over on the grid, so no slot is probed twice or skipped: each
monitor has windows of wall time, one per agent, and an agent probes (and may
report) a grid slot s of the monitor iff since <= s < until (None: open). The
old owner keeps the slots before now + handoff, the new one takes those from
then on; the handoff must be long enough for both agents to pull their new
assignment. A monitor whose agent is gone moves at once: there is no one to
hand over. A change during a handoff (the move called off, or sent to a third
agent) gives the slots not yet begun back to the old owner at once: an agent
that learns of it only after its old `until` misses those slots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from hashlib import blake2b
from typing import NamedTuple


class Window(NamedTuple):
    agent: str              # agt_…
    since: float | None     # wall seconds; None: unbounded
    until: float | None


def _weight(agent: str, key: str) -> bytes:
    # The same in every process and every run (Python's hash() is salted).
    return blake2b(f"{agent}\x00{key}".encode(), digest_size=8).digest()


def owner(key: str, agents: Sequence[str]) -> str | None:
    """The agent that probes monitor `key` among `agents` (the live ones); None if none."""
    if not agents:
        return None
    return max(agents, key=lambda agent: (_weight(agent, key), agent))


def covers(window: Window, t: float) -> bool:
    return (window.since is None or window.since <= t) and (window.until is None or t < window.until)


def owner_at(windows: Iterable[Window], t: float) -> str | None:
    """The agent owning the slot at time `t`, if any."""
    for window in windows:
        if covers(window, t):
            return window.agent
    return None


def owns(windows: Iterable[Window], agent: str, slot: float | None, now: float) -> bool:
    """Whether `agent` may report grid slot `slot`; a re-check (slot None) belongs to
    the agent owning `now`."""
    t = now if slot is None else slot
    return any(window.agent == agent and covers(window, t) for window in windows)


def replan_one(windows: Sequence[Window], key: str, live: Sequence[str], now: float,
               handoff: float) -> tuple[Window, ...]:
    """The new windows of one monitor (see replan). Expired windows are left out:
    only the window owning `now` and a move already under way can carry over."""
    target = owner(key, live)
    if target is None:
        return ()
    current = next((w for w in windows if covers(w, now)), None)
    if current is None or current.agent not in live:
        return (Window(target, None, None),)
    if current.agent == target:
        return (Window(target, current.since, None),)
    if current.until is not None and Window(target, current.until, None) in windows:
        return (current, Window(target, current.until, None))   # the same move, under way: same time
    switch = now + handoff
    return (Window(current.agent, current.since, switch), Window(target, switch, None))


def replan(current: Mapping[str, tuple[Window, ...]], keys: Iterable[str], live: Sequence[str],
           now: float, handoff: float) -> dict[str, tuple[Window, ...]]:
    """The windows of every monitor in `keys` after the live agents changed (or the
    monitors did); monitors not in `keys` are dropped.

    No live agent: no window. The agent owning `now` gone (or none): the new owner
    takes the monitor at once. It is the new owner: it keeps the monitor for good
    (a move under way is called off). Otherwise the monitor moves at now + handoff,
    unless that same move is under way already."""
    if handoff <= 0:
        raise ValueError("handoff must be positive: the agents need time to learn of a move")
    live = tuple(dict.fromkeys(live))
    return {key: replan_one(current.get(key, ()), key, live, now, handoff) for key in keys}
