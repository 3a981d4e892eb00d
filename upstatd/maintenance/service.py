"""Maintenance windows at run time: each stored window's next start or end is
a timer on the scheduler's wheel (`maintenance.start` / `maintenance.end`,
keyed by the window's id, one of the two armed at a time); when it fires, the
window is asked again (windows.active_at: the clock decides, not the timer,
so a clock set back or a restart changes nothing) and a change becomes
`maintenance.started` / `maintenance.ended`, queued on the writer with the
window's `active` column (one commit). The monitors and heartbeats of the
windows on are then told (`set_maintenance`), once per change of theirs.

After a restart `sync` compares each window with its stored `active`: a
window that began or ended while the daemon was stopped says so once, at
start. A window deleted while on ends then (its targets leave maintenance).

A window's groups cover their members of the moment: the members of every
group a window names are read with the windows (`sync`) and read again
(`regroup`) after any monitor or heartbeat is created, changed or deleted (the
bus's events: membership is a member's own field, changed by its commands and
reconciles), so one joining a group while its window is on enters maintenance
and one leaving leaves it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from upstatd.clock import Clock
from upstatd.events import Event, EventBus
from upstatd.maintenance import windows
from upstatd.maintenance.public import window_data
from upstatd.scheduler.runner import Runner
from upstatd.store import maintenance as store
from upstatd.store.db import Database
from upstatd.store.maintenance import WindowRow
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.maintenance")
SET_ACTIVE = f"UPDATE {store.TABLE} SET active = ? WHERE seq = ?"
MEMBERSHIP = {f"{kind}.{action}" for kind in ("monitor", "heartbeat") for action in ("created", "updated", "deleted")}


class MaintenanceService:
    def __init__(self, clock: Clock, runner: Runner, writer: Writer, read_db: Database, bus: EventBus,
                 monitors: Any, heartbeats: Any) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db
        self.bus = bus
        self.monitors = monitors      # MonitorService.set_covered(ids)
        self.heartbeats = heartbeats  # HeartbeatService.set_covered(ids)
        self.timers = {"start": runner.timers("maintenance.start", self._on_change),
                       "end": runner.timers("maintenance.end", self._on_change)}
        self.rows: dict[str, WindowRow] = {}
        self.active: dict[str, bool] = {}   # id -> on, as last said (ahead of the committed column)
        self.covered: tuple[set[str], set[str]] = (set(), set())  # monitor ids, heartbeat ids in maintenance
        self.due: dict[str, float] = {}     # id -> the wall time its armed change falls due
        self.members: dict[str, tuple[set[str], set[str]]] = {}  # group id -> its monitor ids, heartbeat ids
        self._regrouping: asyncio.Task | None = None
        self._stale = False
        bus.subscribe(self._on_event)

    async def sync(self) -> None:
        """The stored windows (after a change committed, at start, after a reload)."""
        rows, self.members = await self.read_db.call(_windows_and_members)
        now = self.clock.time()
        fresh = {row.id: row for row in rows}
        for window_id, row in self.rows.items():
            if window_id not in fresh:
                for timers in self.timers.values():
                    timers.cancel(window_id)
                self.due.pop(window_id, None)
                if self.active.pop(window_id, False):
                    self._say(row, "ended", now, {"reason": "deleted"})
        self.rows = fresh
        for row in rows:
            self.active.setdefault(row.id, row.active)
            self._settle(row, now)
        self._tell(now)  # a change found here (made now, or while stopped) counts from now

    def _on_event(self, event: Event) -> None:
        """A member may have joined or left a group a window names: read the members again
        (once for a burst of changes, a reload's; after the change is applied: a task)."""
        if event.type not in MEMBERSHIP or not self.members:
            return
        self._stale = True
        if self._regrouping is None or self._regrouping.done():
            self._regrouping = asyncio.get_running_loop().create_task(self.regroup())

    async def regroup(self) -> None:
        while self._stale:  # a change committed while this read ran is read again
            self._stale = False
            self.members = await self.read_db.call(store.members_by_group, set(self.members))
            self._tell(self.clock.time())

    def _on_change(self, window_id: str, when: float, now: float) -> None:
        row = self.rows.get(window_id)
        if row is not None:
            wall = self.clock.time()
            self._tell(self._settle(row, wall) or wall)

    def _settle(self, row: WindowRow, now: float) -> float | None:
        """Say a change of the window's state, at the time it fell due (the timer's, not the
        tick that found it); arm its next change. -> the change's time, or None."""
        on = windows.active_at(row.window, now) is not None
        changed_at = None
        if on != self.active.get(row.id):
            due = self.due.get(row.id)
            changed_at = due if due is not None and due <= now else now
            self.active[row.id] = on
            self.writer.add(SET_ACTIVE, (int(on), row.seq))
            self._say(row, "started" if on else "ended", changed_at)
        change = windows.next_change(row.window, now)
        self.due[row.id] = None if change is None else change[0]
        for kind, timers in self.timers.items():
            if change is not None and change[1] == kind:
                timers.schedule(row.id, self.clock.monotonic() + max(0.0, change[0] - now))
            else:
                timers.cancel(row.id)
        return changed_at

    def _say(self, row: WindowRow, action: str, now: float, extra: dict | None = None) -> None:
        log.info(f"maintenance.{action}", window=row.key or row.id, id=row.id, title=row.title)
        self.bus.emit(f"maintenance.{action}", window_data(row, now), now, extra)

    def _tell(self, at: float) -> None:
        """The targets covered now: each service shows those entering or leaving maintenance
        as of `at` (a restart in a window, or after one, settles there too)."""
        on = [row for row in self.rows.values() if self.active.get(row.id)]
        groups = [self.members.get(group, (set(), set())) for row in on for group in row.group_ids]
        self.covered = ({target for row in on for target in row.monitor_ids}.union(*(g[0] for g in groups)),
                        {target for row in on for target in row.heartbeat_ids}.union(*(g[1] for g in groups)))
        for ids, service in zip(self.covered, (self.monitors, self.heartbeats)):
            if service is not None:
                service.set_covered(ids, at)


def _windows_and_members(conn) -> tuple[list[WindowRow], dict[str, tuple[set[str], set[str]]]]:
    """The windows and the members of the groups they name (one read)."""
    rows = store.all_windows(conn)
    return rows, store.members_by_group(conn, {group for row in rows for group in row.group_ids})
