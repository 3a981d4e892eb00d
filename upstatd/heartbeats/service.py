"""Heartbeats at run time: take pings, keep each heartbeat's next deadline in
the scheduler's timer wheel, flip states when deadlines pass, and apply a
reloaded config without touching unchanged heartbeats.

Heartbeats are keyed like monitors: the YAML key, or the id (`hbt_…`) of one
made over the API. Their timers are the scheduler's `heartbeat.deadline` kind,
on the same wheel as the monitors', so a deadline fires within a tick (10 ms)
of its time, and a thousand idle heartbeats cost nothing between deadlines.

Deadlines are wall-clock times (cron slots are); the wheel runs on the
monotonic clock. A timer that fires while the wall clock says it is not yet
time (the clock was set back) is armed again.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from upstatd.clock import Clock
from upstatd.config.heartbeats import HeartbeatSpec, PingSettings
from upstatd.events import EventBus, StateChanged, Subject
from upstatd.heartbeats import deadlines, keywords, public
from upstatd.heartbeats.deadlines import Flip, HeartbeatState
from upstatd.heartbeats.public import Links
from upstatd.incidents.service import IncidentService
from upstatd.scheduler.runner import Runner
from upstatd.store import heartbeats as store
from upstatd.store.heartbeats import HeartbeatRow
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.heartbeats")


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def runs_from_row(runs) -> tuple:
    """The runs column ((rid, ms), ...) -> deadlines' ((rid, seconds), ...)."""
    return tuple((rid, at / 1000) for rid, at in runs)


def runs_to_row(runs) -> tuple:
    return tuple((rid, round(at * 1000)) for rid, at in runs)


class Beat:
    """One heartbeat as the daemon runs it."""

    __slots__ = ("spec", "row", "seq", "id", "token", "managed_by", "paused", "state", "last_n", "held")

    def __init__(self, spec: HeartbeatSpec, row: HeartbeatRow) -> None:
        self.spec = spec
        self.row = row  # as it was read: what its public shape needs beyond the state
        self.seq = row.seq
        self.id = row.id
        self.token = row.token
        self.managed_by = row.managed_by
        self.paused = row.status == "paused"
        self.last_n = row.last_n
        self.held = False  # in a maintenance window: no deadline flips until it ends
        self.state = deadlines.restore(
            row.current_state, row.state_since / 1000, _s(row.last_ping_at), _s(row.last_success_at),
            runs_from_row(row.runs), _s(row.last_duration_ms), spec.schedule)


class HeartbeatService:
    def __init__(self, clock: Clock, runner: Runner, writer: Writer, bus: EventBus, incidents: IncidentService,
                 settings: PingSettings = PingSettings(), ping_key: str = "", base_url: str = "") -> None:
        self.clock = clock
        self.base_url = base_url  # of ping URLs in the public shape (server.public_url)
        self.timers = runner.timers("heartbeat.deadline", self._on_deadline)
        self.writer = writer
        self.bus = bus                # flips become events, in the same commit
        self.incidents = incidents    # and open or resolve incidents, in the same commit
        self.settings = settings
        self.ping_key = ping_key
        self.beats: dict[str, Beat] = {}
        self.by_id: dict[str, Beat] = {}  # hbt_… -> the running heartbeat (alerts look it up)
        self.by_token: dict[str, Beat] = {}
        self.by_slug: dict[str, list[Beat]] = {}
        self.held_ids: set[str] = set()  # held from their first load (app.py: windows on at start)

    # -- the set of heartbeats ---------------------------------------------------

    def apply(self, specs: Iterable[HeartbeatSpec], stored: dict[str, HeartbeatRow]) -> dict[str, int]:
        """Make the running config heartbeats match `specs`; unchanged ones keep everything."""
        specs = {spec.key: spec for spec in specs}
        counts = {"added": 0, "changed": 0, "removed": self.retain(specs), "unchanged": 0}
        for key, spec in specs.items():
            current = self.beats.get(key)
            row = stored[key]
            if current is not None and current.spec == spec and current.token == row.token:
                counts["unchanged"] += 1
                continue
            counts["changed" if current is not None else "added"] += 1
            self.put(spec, row)
        return counts

    def retain(self, keys) -> int:
        """Stop every config heartbeat whose key is not in `keys`; returns how many stopped."""
        gone = [key for key, beat in self.beats.items() if beat.managed_by == "config" and key not in keys]
        for key in gone:
            self.remove(key)
        return len(gone)

    def put(self, spec: HeartbeatSpec, row: HeartbeatRow) -> Beat:
        """Run a heartbeat, or replace a running one (which keeps its state and pings).
        Deadlines that passed while it was not running flip now, at their own times."""
        current = self.beats.get(spec.key)
        beat = Beat(spec, row)
        if current is not None:
            self._forget(current)
            old = current.state
            beat.state = deadlines.restore(old.state, old.since, old.last_ping_at, old.last_success_at,
                                           old.runs, old.last_duration, spec.schedule)
            beat.last_n = max(beat.last_n, current.last_n)
            # Pauses and resumes reach the running heartbeat at once (a ping may have
            # resumed it after `row` was read): the running one knows best.
            beat.paused = current.paused
            beat.held = current.held
        else:
            beat.held = beat.id in self.held_ids
        self.reinstate(beat)
        return beat

    def reinstate(self, beat: Beat) -> None:
        """Run a removed heartbeat again, as it was."""
        self.beats[beat.spec.key] = beat
        self.by_id[beat.id] = beat
        self.by_token[beat.token] = beat
        self.by_slug.setdefault(beat.spec.slug, []).append(beat)
        self._catch_up(beat)

    def remove(self, key: str) -> bool:
        beat = self.beats.pop(key, None)
        if beat is None:
            return False
        if self.by_id.get(beat.id) is beat:
            del self.by_id[beat.id]
        self._forget(beat)
        self.timers.cancel(key)
        return True

    def _forget(self, beat: Beat) -> None:
        if self.by_token.get(beat.token) is beat:
            del self.by_token[beat.token]
        same = self.by_slug.get(beat.spec.slug, [])
        if beat in same:
            same.remove(beat)
            if not same:
                del self.by_slug[beat.spec.slug]

    def links(self) -> Links:
        return Links(self.base_url, self.ping_key)

    def snapshot(self, beat: Beat) -> HeartbeatRow:
        """The heartbeat as its row would read now (the ping path reads no database)."""
        state = beat.state
        return beat.row._replace(
            status="paused" if beat.paused else "active", current_state=state.state,
            state_since=round(state.since * 1000), last_ping_at=_ms(state.last_ping_at),
            last_success_at=_ms(state.last_success_at), started_at=_ms(state.started_at),
            start_rid=state.start_rid, last_duration_ms=_ms(state.last_duration), last_n=beat.last_n,
            runs=runs_to_row(state.runs))

    def find_slug(self, slug: str) -> list[Beat]:
        return self.by_slug.get(slug, [])

    # -- pause and resume (the API) ------------------------------------------------

    def pause(self, key: str, row: HeartbeatRow | None = None) -> None:
        beat = self.beats.get(key)
        if beat is not None:
            beat.row = row or beat.row
            beat.paused = True
            self._arm(beat)

    def resume(self, key: str, row: HeartbeatRow | None = None) -> HeartbeatState | None:
        """Resumed over the API: `new` until the next ping. Returns the new state."""
        beat = self.beats.get(key)
        if beat is None:
            return None
        beat.row = row or beat.row
        beat.paused = False
        beat.state, flip = deadlines.resume(beat.state, self.clock.time())
        if flip is not None:
            self._record_flip(beat, flip, None)
        self._arm(beat)
        return beat.state

    # -- pings ------------------------------------------------------------------------

    def ping(self, beat: Beat, kind: str, method: str, *, exit_status: int | None = None,
             rid: str | None = None, body: bytes = b"", body_size: int = 0, remote_addr: str | None = None,
             user_agent: str | None = None, scheme: str | None = None) -> str:
        """Record one ping and apply it; returns the kind recorded (`ignored` for a
        ping that must not count: a GET to a POST-only heartbeat, a ping to a
        heartbeat paused with manual_resume). A success ping's body may make it
        another kind (`body_keywords`, heartbeats/keywords.py). The caller awaits
        the writer's flush before answering, so a 200 means the ping is on disk."""
        now = self.clock.time()
        kind = keywords.classify(kind, body, beat.spec.body_keywords)
        if kind == "ignored":
            pass
        elif beat.spec.methods == "post" and method != "POST":
            kind = "ignored"
        elif beat.paused:
            if beat.spec.manual_resume:
                kind = "ignored"
            elif kind != "log":
                self._resume_by_ping(beat, now)
        outcome = deadlines.ping(beat.state, kind, rid, now, beat.spec.schedule)
        beat.last_n += 1
        now_ms = round(now * 1000)
        self.writer.add_row(store.INSERT_PING, (
            beat.seq, beat.last_n, now_ms, kind, exit_status, rid, _ms(outcome.duration), method,
            remote_addr, user_agent, body_size, body or None, scheme))
        if outcome.flip is not None:
            beat.state = outcome.state
            self._record_flip(beat, outcome.flip, beat.last_n)  # saves the state with the flip
        elif outcome.state is not beat.state:
            beat.state = outcome.state
            self._save_state(beat)
        if kind != "log" and kind != "ignored":
            self._arm(beat)
        return kind

    def _resume_by_ping(self, beat: Beat, now: float) -> None:
        """As a resume over the API (`new`: the slots missed while paused are
        forgotten), then the ping counts as usual."""
        beat.paused = False
        beat.state, flip = deadlines.resume(beat.state, now)
        for sql, params in store.resume_statements(beat.seq, round(now * 1000), beat.state.state,
                                                   round(beat.state.since * 1000)):
            self.writer.add(sql, params)
        if flip is not None:
            self._record_flip(beat, flip, None)
        log.info("heartbeat.resumed", heartbeat=beat.spec.key, id=beat.id, reason="ping")

    # -- deadlines ------------------------------------------------------------------------

    def _on_deadline(self, key: str, when: float, now: float) -> None:
        beat = self.beats.get(key)
        if beat is not None and not beat.paused:
            self._catch_up(beat)

    def set_covered(self, ids: set[str], at: float) -> None:
        """The heartbeats a maintenance window covers now (maintenance/service.py): their
        deadlines are held while it lasts; when it ends (`at`), a slot missed in it is
        forgiven (deadlines.excuse) and the deadlines count from there."""
        for beat in list(self.by_id.values()):
            if (beat.id in ids) == beat.held:
                continue
            beat.held = beat.id in ids
            if not beat.held:
                excused = deadlines.excuse(beat.state, at, beat.spec.schedule)
                if excused is not beat.state:
                    beat.state = excused
                    self._save_state(beat)
            log.info("heartbeat.maintenance", heartbeat=beat.spec.key, id=beat.id, held=beat.held)
            self._catch_up(beat)
        self.held_ids = set()  # settled: from now on the windows say

    def _catch_up(self, beat: Beat) -> None:
        if not beat.paused and not beat.held:
            beat.state, flips = deadlines.advance(beat.state, self.clock.time(), beat.spec.grace)
            for flip in flips:
                self._record_flip(beat, flip, None)
        self._arm(beat)

    def _arm(self, beat: Beat) -> None:
        change = None if beat.paused or beat.held else deadlines.next_change(beat.state, beat.spec.grace)
        if change is None:
            self.timers.cancel(beat.spec.key)
            return
        # Wall time to monotonic; a timer that fires early by the wall clock is armed again.
        self.timers.schedule(beat.spec.key, self.clock.monotonic() + max(0.0, change[0] - self.clock.time()))

    # -- the store ---------------------------------------------------------------------------

    def _save_state(self, beat: Beat) -> None:
        state = beat.state
        self.writer.put(("heartbeat", beat.seq), store.SAVE_STATE, (
            state.state, round(state.since * 1000), _ms(state.last_ping_at), _ms(state.last_success_at),
            _ms(state.started_at), state.start_rid, _ms(state.last_duration),
            store.encode_runs(runs_to_row(state.runs)), beat.seq))

    def _record_flip(self, beat: Beat, flip: Flip, ping_n: int | None) -> None:
        self._save_state(beat)
        self.writer.add(store.INSERT_FLIP, (beat.seq, round(flip.at * 1000), flip.from_state, flip.to_state,
                                            flip.reason, ping_n))
        log.info("heartbeat.state_changed", heartbeat=beat.spec.key, id=beat.id, from_state=flip.from_state,
                 to_state=flip.to_state, reason=flip.reason, at=round(flip.at, 3))
        change = StateChanged(Subject("heartbeat", beat.id, beat.spec.name, beat.spec.severity),
                              flip.from_state, flip.to_state, flip.at, flip.reason)
        # Queued after the flip, in this order: the same commit.
        # The Struct itself: the outbox row encodes it straight to JSON (no dict on the ping path).
        self.bus.emit(change.type, public.heartbeat_object(self.snapshot(beat), self.links(), beat.state),
                      flip.at, {"previous_attributes": {"current_state": flip.from_state}, "reason": flip.reason})
        self.incidents.on_state_change(change)

    async def prune(self) -> int:
        """Delete pings beyond `pings.keep` per heartbeat; returns how many went."""
        last = {beat.seq: beat.last_n for beat in self.beats.values() if beat.last_n > self.settings.keep}
        if not last:
            return 0
        return await self.writer.run(lambda conn: store.prune_pings(conn, last, self.settings.keep))
