"""The incident lifecycle, pure: which moves are allowed from which status,
and what a system-opened incident looks like.

    open ──acknowledge──> acknowledged ──resolve──> resolved ──close──> closed
      └───────────────resolve──────────────────────^   │
      ^──────────────────────reopen────────────────────┘

`closed` is terminal. Anything else is refused with the current status and
the moves it allows (the API answers 409 with them).
"""

from __future__ import annotations

from typing import NamedTuple

STATUSES = ("open", "acknowledged", "resolved", "closed")
SEVERITIES = ("critical", "major", "minor", "warning")
# target status -> the action that reaches it, per current status
MOVES: dict[str, dict[str, str]] = {
    "open": {"acknowledged": "acknowledge", "resolved": "resolve"},
    "acknowledged": {"resolved": "resolve"},
    "resolved": {"open": "reopen", "closed": "close"},
    "closed": {},
}
ACTIONS = {"acknowledge": "acknowledged", "resolve": "resolved", "reopen": "open", "close": "closed"}
EVENTS = {"acknowledged": "incident.acknowledged", "resolved": "incident.resolved", "open": "incident.reopened",
          "closed": "incident.closed"}

# A check's error kind -> the incident type; heartbeat flip reasons -> theirs; an agent not reporting
# (regions/service.py) -> agent_down.
TYPES = {"timeout": "timeout", "status_code": "status_code", "keyword_missing": "keyword_missing",
         "ssl_error": "ssl_error", "dns_error": "dns_error", "connection_error": "connection_error",
         "slow_response": "slow_response", "invalid_response": "invalid_response", "proxy_error": "proxy_error",
         "missed": "heartbeat_missed", "overrun": "heartbeat_missed", "deadline": "heartbeat_missed",
         "fail": "heartbeat_failed", "agent_down": "agent_down"}


class Refused(Exception):
    """A move the lifecycle does not allow from the current status."""

    def __init__(self, current: str, wanted: str) -> None:
        self.current = current
        self.wanted = wanted
        self.allowed = list(MOVES.get(current, {}).values())
        allowed = ", ".join(self.allowed) if self.allowed else "none: closed is final"
        super().__init__(f"the incident is {current}; it cannot be {wanted} (allowed: {allowed})")


class Move(NamedTuple):
    status: str      # the new status
    event: str       # the event type it makes
    action: str      # acknowledge | resolve | reopen | close


def move(current: str, target: str) -> Move:
    """The move from `current` to `target`, or Refused."""
    action = MOVES.get(current, {}).get(target)
    if action is None:
        raise Refused(current, target)
    return Move(target, EVENTS[target], action)


def act(current: str, action: str) -> Move:
    """`acknowledge` / `resolve` / `reopen` / `close` from `current`, or Refused."""
    target = ACTIONS[action]
    if MOVES.get(current, {}).get(target) != action:
        raise Refused(current, target)
    return Move(target, EVENTS[target], action)


def severity_for(configured: str, degraded: bool) -> str:
    """A monitor's severity; degraded (slow, certificate near expiry) one step lower."""
    if not degraded:
        return configured
    index = SEVERITIES.index(configured) if configured in SEVERITIES else 0
    return SEVERITIES[min(index + 1, len(SEVERITIES) - 1)]


def incident_type(kind: str | None) -> str:
    return TYPES.get(kind or "", kind or "unknown")


def reopens(last_resolved_at: float | None, now: float, window: float) -> bool:
    """A failure within `window` seconds of the last incident's resolution reopens it."""
    return last_resolved_at is not None and 0 <= now - last_resolved_at <= window
