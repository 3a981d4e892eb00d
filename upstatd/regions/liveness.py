"""When an agent is down (docs/regions.md, "Agent liveness").

An agent is down once three push intervals have passed since its last contact
(a pull or a push; an empty push is a keep-alive), and up again at its next
contact. While it is down its region's results do not count toward quorums
and its monitors move to the region's other agents. An agent never heard from
is down.
"""

from __future__ import annotations

DOWN_AFTER = 3      # push intervals without contact


def down_at(last_contact: float, push_interval: float) -> float:
    """The time an agent last heard from at `last_contact` goes down, unless it calls
    again before. From that time on it is down: a timer set for it finds it so."""
    return last_contact + DOWN_AFTER * push_interval


def is_up(last_contact: float | None, now: float, push_interval: float) -> bool:
    """Whether an agent counts as up at `now`."""
    return last_contact is not None and now < down_at(last_contact, push_interval)
