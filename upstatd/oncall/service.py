"""Handoffs at run time: each schedule's next handoff (rotations.next_handoff)
is a timer on the scheduler's wheel (`on_call.handoff`, keyed by the schedule's
id). When it fires, who is on call is asked again (the clock decides, not the
timer: a clock set back or a restart changes nothing) and a change becomes
`on_call.changed`, queued on the writer right after the schedule's
`on_call_user_id` (one commit); then the next handoff is armed.

At start `sync` compares each schedule's stored `on_call_user_id` with who is on
call now: a handoff while the daemon was stopped is told once, at start. An edit
that changes who is on call now is a handoff too, told when the edit is read.

Schedules are read again (`sync`) when the bus says a schedule, an override or
a person changed (once for a burst of events: a task); the schedule commands
and the config reconcile may also call `sync()` after they commit.
"""

from __future__ import annotations

import asyncio

import structlog

from upstatd.clock import Clock
from upstatd.events import Event, EventBus
from upstatd.oncall.layers import RotationError
from upstatd.oncall.rotations import HANDOFF_HORIZON, Schedule, next_handoff, on_call_at
from upstatd.scheduler.runner import Runner
from upstatd.store import calendars, on_call
from upstatd.store.db import Database
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.oncall")
CHANGED = "on_call.changed"
RELOAD_ON = ("on_call_schedule.", "on_call_override.", "person.")  # event type prefixes that re-read


class OnCallService:
    def __init__(self, clock: Clock, runner: Runner, writer: Writer, read_db: Database, bus: EventBus) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.bus = bus
        self.timers = runner.timers("on_call.handoff", self._on_due)
        self.schedules: dict[str, Schedule] = {}
        self.names: dict[str, str] = {}         # sch_ and usr_ ids -> names, as last read
        self.current: dict[str, str | None] = {}  # sch_ id -> usr_ id last said (ahead of the committed column)
        self.due: dict[str, float] = {}         # sch_ id -> the wall time of its armed handoff
        self._syncing: asyncio.Task | None = None
        self._stale = False
        bus.subscribe(self._on_event)

    async def sync(self) -> None:
        """Read every schedule again (at start, after a change committed, after a reload)."""
        heads, schedules, names = await self.read_db.call(_read)
        now = self.clock.time()
        for schedule_id in set(self.schedules) - set(schedules):  # deleted: nothing more to tell
            self.timers.cancel(schedule_id)
            for table in (self.current, self.due):
                table.pop(schedule_id, None)
        self.schedules, self.names = schedules, names
        for head in heads:
            self.current.setdefault(head.id, head.on_call_user_id)
            try:
                self._settle(head.id, now)
            except RotationError as exc:  # a row the commands would refuse (edited by hand): skip it, go on
                self.timers.cancel(head.id)
                log.error("on_call.schedule_unusable", schedule=head.id, error=str(exc))

    async def reload(self, schedule_id: str | None = None) -> None:
        """After a change to one schedule (all are read: a schedule is small, a change rare)."""
        await self.sync()

    def _on_event(self, event: Event) -> None:
        if not event.type.startswith(RELOAD_ON):
            return
        self._stale = True
        if self._syncing is None or self._syncing.done():
            self._syncing = asyncio.get_running_loop().create_task(self._resync())

    async def _resync(self) -> None:
        while self._stale:  # a change committed while this read ran is read again
            self._stale = False
            await self.sync()

    def _on_due(self, schedule_id: str, when: float, now: float) -> None:
        if schedule_id in self.schedules:
            self._settle(schedule_id, self.clock.time())

    def _settle(self, schedule_id: str, now: float) -> None:
        """Tell a change of who is on call (at the handoff's instant when it fell due, not the
        tick that found it); arm the next handoff."""
        schedule = self.schedules[schedule_id]
        who = on_call_at(schedule, now)
        user = None if who is None else who.user
        previous = self.current.get(schedule_id)
        if user != previous:
            due = self.due.get(schedule_id)
            self._say(schedule_id, previous, user, due if due is not None and due <= now else now)
        upcoming = next_handoff(schedule, now)
        if upcoming is None:  # nothing within the horizon: asked again then (or at an edit, a restart)
            self.due.pop(schedule_id, None)
            self.timers.schedule(schedule_id, self.clock.monotonic() + HANDOFF_HORIZON)
            return
        self.due[schedule_id] = upcoming[0]
        self.timers.schedule(schedule_id, self.clock.monotonic() + max(0.0, upcoming[0] - now))

    def _say(self, schedule_id: str, previous: str | None, user: str | None, at: float) -> None:
        self.current[schedule_id] = user
        schedule = {"id": schedule_id, "name": self.names.get(schedule_id, schedule_id)}
        log.info(CHANGED, schedule=schedule_id, previous=previous, current=user)
        self.writer.add(calendars.SET_ON_CALL, (user, schedule_id))
        self.bus.emit(CHANGED, {"id": schedule_id, "object": "on_call_schedule", "name": schedule["name"]}, at,
                      {"schedule": schedule, "previous": self._person(previous), "current": self._person(user),
                       "at": int(at)})

    def _person(self, user_id: str | None) -> dict | None:
        return None if user_id is None else {"id": user_id, "name": self.names.get(user_id, user_id)}


def _read(conn) -> tuple[list[calendars.ScheduleHead], dict[str, Schedule], dict[str, str]]:
    """The schedules' rows, the schedules as the core takes them, and the names of the
    schedules and of everyone in them (one read)."""
    heads = calendars.heads(conn)
    schedules = on_call.schedules(conn)
    people = {head.on_call_user_id for head in heads if head.on_call_user_id}
    for schedule in schedules.values():
        people.update(user for layer in schedule.layers for user in layer.users)
        people.update(override.user for override in schedule.overrides)
    return heads, schedules, {**{head.id: head.name for head in heads}, **on_call.names(conn, people)}
