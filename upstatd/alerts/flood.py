"""Flood control, pure: when many monitors fail at once (a network outage), a
channel sends a few messages one by one, then one digest for the rest of
the window, not hundreds of messages.

Per channel, `Window` remembers when its last messages were queued. An alert
that finds fewer than BURST of them in the last `seconds` goes on its own;
the next opens a digest, due when the window of the first of those messages
ends; every alert until then joins it. The digest counts as a message sent
at its due time, so the window after it starts with it. `seconds` 0 turns
flood control off (PagerDuty's own grouping needs every alert: its type
defaults to 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

BURST = 3  # messages a channel sends one by one within a window


class Window(NamedTuple):
    sent: tuple[float, ...] = ()    # wall seconds of the channel's recent messages, oldest first
    digest_id: str | None = None    # the digest open now
    due_at: float | None = None     # when it goes


class Admitted(NamedTuple):
    digest_id: str | None   # None: the alert goes on its own
    due_at: float | None    # the digest's
    opens: bool             # the alert opens the digest (its row is written with it)


def admit(window: Window, now: float, seconds: float, new_id: Callable[[], str]) -> tuple[Admitted, Window]:
    """Where one alert queued at `now` goes, and the channel's window after it."""
    if seconds <= 0:
        return Admitted(None, None, False), window
    if window.digest_id is not None and window.due_at is not None and now < window.due_at:
        return Admitted(window.digest_id, window.due_at, False), window
    recent = tuple(at for at in window.sent if now - at < seconds)
    if len(recent) < BURST:
        return Admitted(None, None, False), Window(recent + (now,))
    digest_id, due_at = new_id(), recent[0] + seconds
    return Admitted(digest_id, due_at, True), Window(recent + (due_at,), digest_id, due_at)
