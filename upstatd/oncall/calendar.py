"""The `.ics` feed of a schedule: its secret URL (made, rotated, turned off) and
the calendar it answers.

The secret is a bearer credential in a URL (calendar apps take no headers):
only its sha256 is stored, compared in constant time, shown once when made,
never logged. A wrong or missing secret and a schedule without a feed answer
the same (None: the route's 404), so a guess learns nothing.

The feed lists the shifts from 7 days before today (UTC) to 90 days after, the
range starting at a UTC midnight so the body, and its ETag, stay the same all
day while the schedule does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import NamedTuple

from upstatd.clock import Clock
from upstatd.errors import NotFound
from upstatd.oncall import ics
from upstatd.oncall.layers import RotationError
from upstatd.oncall.rotations import shifts
from upstatd.store import calendars, on_call
from upstatd.store.db import Database
from upstatd.store.writer import Writer

DAY = 86400.0
BEHIND_DAYS = 7
AHEAD_DAYS = 90


class Feed(NamedTuple):
    body: bytes
    etag: str


def feed_range(now: float) -> tuple[float, float]:
    """[from, to) of the feed at `now`: 7 days before today's UTC midnight to 91 days after it
    (so `now + 90 days` is inside)."""
    today = (now // DAY) * DAY
    return today - BEHIND_DAYS * DAY, today + (AHEAD_DAYS + 1) * DAY


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_path(schedule_id: str) -> str:
    return f"/on-call/{schedule_id}.ics"


def event_uid(schedule_id: str, user_id: str, start: float) -> str:
    """Stable per shift: a calendar app updates the event in place when its end moves."""
    return f"{schedule_id}-{user_id}-{int(start)}@upstatd"


def build_feed(conn, schedule_id: str, secret: str, now: float) -> Feed | None:
    """The calendar of `schedule_id` if `secret` is its feed's; else None (no hint which)."""
    found = calendars.heads(conn, schedule_id)
    stored = found[0].calendar_secret if found else None
    # compared even without a stored hash: the same work whether or not the schedule has a feed
    if not hmac.compare_digest(secret_hash(secret), stored or "") or stored is None:
        return None
    head = found[0]
    schedule = on_call.schedules(conn, [schedule_id])[schedule_id]
    start, end = feed_range(now)
    try:
        found_shifts = shifts(schedule, start, end)
    except RotationError:  # a row the commands would refuse (edited by hand): said in the log at start
        found_shifts = []
    names = on_call.names(conn, {shift.user for shift in found_shifts})
    events = [ics.CalendarEvent(event_uid(schedule_id, shift.user, shift.start),
                                f"On call: {names.get(shift.user, shift.user)}", shift.start, shift.end)
              for shift in found_shifts]
    body = ics.calendar(head.name, events, head.updated_at / 1000)
    return Feed(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


class CalendarCommands:
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, base_url: Callable[[], str]) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.base_url = base_url     # server.public_url, else the listen address

    async def new_url(self, schedule_id: str) -> str:
        """A new secret for the schedule's feed (the old URL stops working); its URL, this once."""
        secret = secrets.token_urlsafe(24)
        await self._store(schedule_id, secret_hash(secret))
        return f"{self.base_url()}{feed_path(schedule_id)}?secret={secret}"

    async def turn_off(self, schedule_id: str) -> None:
        await self._store(schedule_id, None)

    async def feed(self, schedule_id: str, secret: str) -> Feed | None:
        now = self.clock.time()
        return await self.read_db.call(lambda conn: build_feed(conn, schedule_id, secret, now))

    async def _store(self, schedule_id: str, value: str | None) -> None:
        if not await self.writer.run(lambda conn: calendars.set_secret(conn, schedule_id, value)):
            raise NotFound(f"no on-call schedule '{schedule_id}'")
