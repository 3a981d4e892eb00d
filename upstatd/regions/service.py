"""The daemon's side of regions: which agents there are and whether they are up, which
agent probes which monitor, and the results they push (docs/regions.md).

Agents come from the config's `regions:` and from the API, both in the agents table;
a token names one agent (its SHA-256 is looked up). Liveness is a timer per agent
(`agent.liveness`), pushed back by each contact: when it fires the agent is down
(`agent.down`), its region stops counting toward quorums until it is back
(`agent.up`), and its monitors move to the region's other agents. Who probes what is
regions/split.py's, recomputed when the monitors or the live agents change.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from typing import Any

import msgspec
import structlog

from upstatd.clock import Clock
from upstatd.config.regions import token_hash
from upstatd.events import EventBus, StateChanged, Subject
from upstatd.incidents.service import IncidentService
from upstatd.monitors.service import MonitorService, Running
from upstatd.probes.result import ERROR_KINDS
from upstatd.regions import liveness, protocol, split
from upstatd.regions.public import agent_object
from upstatd.scheduler.runner import Runner
from upstatd.store import agents as store
from upstatd.store.agents import AgentRow
from upstatd.store.writer import Writer

log = structlog.get_logger("upstatd.regions")

HANDOFF = 3 * protocol.PUSH_INTERVAL  # s: both agents of a move have pulled the new windows by then
AGENT_SEVERITY = "major"  # an agent down blinds one vantage point: people should know, nothing is down yet


class Agent:
    """One agent as the daemon runs it: its row, and what changes with each contact."""

    __slots__ = ("row", "state", "last_contact", "spool", "acked_seq", "etag", "assigned", "built_at", "scheduler")

    def __init__(self, row: AgentRow) -> None:
        self.row = row
        self.state = row.state
        self.last_contact: float | None = None if row.last_contact_at is None else row.last_contact_at / 1000
        self.spool = row.spool
        self.acked_seq = row.acked_seq
        self.etag = ""
        self.assigned: tuple[protocol.AssignedMonitor, ...] = ()
        self.built_at = -1  # the version of the plan its assignment was built from
        self.scheduler: protocol.AgentScheduler | None = None  # at its latest push, in memory only

    @property
    def id(self) -> str:
        return self.row.id


class RegionService:
    def __init__(self, clock: Clock, runner: Runner, writer: Writer, bus: EventBus, monitors: MonitorService,
                 regions: tuple[str, ...] = (), incidents: IncidentService | None = None) -> None:
        self.clock = clock
        self.incidents = incidents if incidents is not None else monitors.incidents  # agent_down incidents
        self.writer = writer
        self.bus = bus
        self.monitors = monitors
        self.regions = regions                     # the agents' regions the config declares
        self.liveness = runner.timers("agent.liveness", self._on_liveness)
        self.agents: dict[str, Agent] = {}         # agt_… -> agent
        self.by_token: dict[str, Agent] = {}       # sha256 hex -> agent
        self.windows: dict[str, dict[str, tuple[split.Window, ...]]] = {}  # region -> monitor key -> windows
        self._planned = (-1, -1)                   # (monitors.changes, agents version) the windows are for
        self._expires = math.inf                   # the first hand-over's end in them (then plan again)
        self._agents_version = 0
        self.plan_version = 0
        monitors.region_up = self.region_up

    # -- agents ---------------------------------------------------------------------------

    def load(self, rows: list[AgentRow]) -> None:
        """Start and reload: the agents as stored. One heard from before the start gets the
        usual three push intervals from now to be heard again before it is down."""
        now = self.clock.time()
        known = self.agents
        self.agents, self.by_token = {}, {}
        for row in rows:
            agent = known.get(row.id)
            if agent is None:
                agent = Agent(row)
                if agent.state == "up":
                    agent.last_contact = now
            else:
                agent.row = row
            self.agents[row.id] = agent
            self.by_token[row.token_hash] = agent
            if agent.state == "up":
                self._arm(agent)
        for gone in known.keys() - self.agents.keys():
            self.liveness.cancel(gone)
            self._resolve_removed(gone, now)
        self._agents_version += 1

    def _resolve_removed(self, agent_id: str, now: float) -> None:
        """An agent taken out of the config while down: its agent_down incident is resolved
        (queued: nothing will report it up again)."""
        decision = self.incidents.decide_deleted(agent_id, "agent", now)
        if decision is not None:
            self.incidents.queue_change(decision.incident, decision.kind, decision.note, "system",
                                        decision.incident.updated_at, decision.event)

    def authenticate(self, secret: str) -> Agent | None:
        return self.by_token.get(token_hash(secret))

    def region_up(self, region: str) -> bool:
        """Whether any agent of the region is up: its results count toward quorums."""
        return any(agent.state == "up" and agent.row.region == region for agent in self.agents.values())

    def contact(self, agent: Agent, now: float, version: str | None = None, stored: bool = True) -> None:
        """A pull or a push: the agent is up until three push intervals from now. `stored`:
        write the contact's time (a push writes it with its own row)."""
        agent.last_contact = now
        self._arm(agent)
        if agent.state != "up":
            self._set_state(agent, "up", now)
        elif stored:
            self.writer.add(store.CONTACT, (round(now * 1000), version, agent.id))

    def _arm(self, agent: Agent) -> None:
        at = liveness.down_at(agent.last_contact or self.clock.time(), protocol.PUSH_INTERVAL)
        self.liveness.schedule(agent.id, self.clock.monotonic() + (at - self.clock.time()))

    def _on_liveness(self, agent_id: str, when: float, now: float) -> None:
        agent = self.agents.get(agent_id)
        if agent is None or agent.state != "up":
            return
        wall = self.clock.time()
        if liveness.is_up(agent.last_contact, wall, protocol.PUSH_INTERVAL):
            self._arm(agent)  # heard from meanwhile (the wall clock moved)
            return
        self._set_state(agent, "down", wall)

    def _set_state(self, agent: Agent, state: str, now: float) -> None:
        before = agent.state
        region_was_up = self.region_up(agent.row.region)
        agent.state = state
        now_ms = round(now * 1000)
        agent.row = agent.row._replace(state=state, state_since=now_ms, last_contact_at=(
            None if agent.last_contact is None else round(agent.last_contact * 1000)))
        self.writer.add(store.SET_STATE, (state, now_ms, agent.id))
        if agent.last_contact is not None:
            self.writer.add(store.CONTACT, (round(agent.last_contact * 1000), None, agent.id))
        self._agents_version += 1
        log.info(f"agent.{state}", agent=agent.row.name, id=agent.id, region=agent.row.region, was=before)
        if state == "down" or before == "down":  # a new agent's first contact is no news
            self.bus.emit(f"agent.{state}", agent_object(agent.row, self.clock.time(), agent.scheduler), now, {})
            self.incidents.on_state_change(agent_change(agent, before, state, now))  # queued behind the event
        if region_was_up != self.region_up(agent.row.region):
            self.monitors.rejudge(agent.row.region)

    # -- who probes what ------------------------------------------------------------------

    def _plan(self) -> None:
        version = (self.monitors.changes, self._agents_version)
        now = self.clock.time()
        if version == self._planned and now < self._expires:
            return
        keys: dict[str, list[str]] = {region: [] for region in self.regions}
        for running in self.monitors.monitors.values():
            if running.paused:
                continue
            for region in self.monitors.regions_of(running.spec):
                if region in keys:
                    keys[region].append(running.spec.key)
        for region, region_keys in keys.items():
            live = sorted(agent.id for agent in self.agents.values()
                          if agent.state == "up" and agent.row.region == region)
            self.windows[region] = split.replan(self.windows.get(region, {}), region_keys, live, now, HANDOFF)
        self._planned = version
        # a hand-over's end: the old owner's window is dropped then, so its assignment changes
        self._expires = min((window.until for windows in self.windows.values() for monitor in windows.values()
                             for window in monitor if window.until is not None), default=math.inf)
        self.plan_version += 1

    def assignment(self, agent: Agent) -> tuple[str, tuple[protocol.AssignedMonitor, ...]]:
        """(ETag, monitors) of the agent's assignment now: rebuilt when the plan changed."""
        self._plan()
        if agent.built_at != self.plan_version:
            agent.assigned = tuple(self._assigned(agent))
            fixed = msgspec.json.encode([agent.id, agent.row.name, agent.row.region, agent.assigned])
            agent.etag = '"' + hashlib.blake2b(fixed, digest_size=12).hexdigest() + '"'
            agent.built_at = self.plan_version
        return agent.etag, agent.assigned

    def _assigned(self, agent: Agent) -> Iterator[protocol.AssignedMonitor]:
        for key, windows in sorted(self.windows.get(agent.row.region, {}).items()):
            mine = [window for window in windows if window.agent == agent.id]
            running = self.monitors.monitors.get(key)
            if mine and running is not None:  # replan gives an agent at most one window of a monitor
                yield protocol.AssignedMonitor(id=running.id, monitor=agent_form(running), since=mine[0].since,
                                               until=mine[0].until)

    def document(self, agent: Agent) -> tuple[str, bytes]:
        """(ETag, the assignment as sent): its server_time is now."""
        etag, assigned = self.assignment(agent)
        body = msgspec.json.encode(protocol.Assignment(
            agent=protocol.AgentRef(id=agent.id, name=agent.row.name, region=agent.row.region),
            server_time=self.clock.time(), monitors=assigned))
        return etag, body

    # -- results --------------------------------------------------------------------------

    async def push(self, agent: Agent, batch: protocol.Push) -> protocol.PushAnswer:
        """Take a batch in order: a repeat (seq already taken from this spool) is skipped, a
        result the agent may not report refused; the answer waits for the commit."""
        now = self.clock.time()
        self.contact(agent, now, stored=False)  # PUSHED below writes it
        self._plan()
        if batch.scheduler is not None:
            agent.scheduler = batch.scheduler
        if batch.spool != agent.spool:  # a new spool numbers from 1 again
            agent.spool, agent.acked_seq = batch.spool, 0
        accepted = duplicates = 0
        refused: list[protocol.Refusal] = []
        for result in batch.results:
            if result.seq <= agent.acked_seq:
                duplicates += 1
                continue
            running = self.monitors.by_id.get(result.monitor_id)
            reason = self._refusal(agent, running, result, now)
            if reason is None:
                self.monitors.record(running, result.probe_result(), agent.row.region, result.at)
                accepted += 1
            else:
                refused.append(protocol.Refusal(seq=result.seq, monitor_id=result.monitor_id, reason=reason))
            agent.acked_seq = result.seq
        if refused:
            log.warning("agent.results_refused", agent=agent.row.name, count=len(refused), first=refused[0].reason)
        self.writer.add(store.PUSHED, (round(now * 1000), batch.version, agent.spool, agent.acked_seq,
                                       batch.spool_results, batch.spool_bytes, batch.spool_dropped, agent.id))
        agent.row = agent.row._replace(version=batch.version, spool=agent.spool, acked_seq=agent.acked_seq,
                                       spool_results=batch.spool_results, spool_bytes=batch.spool_bytes,
                                       spool_dropped=batch.spool_dropped, last_contact_at=round(now * 1000))
        await self.writer.flush()
        etag, _ = self.assignment(agent)
        return protocol.PushAnswer(acked_seq=agent.acked_seq, accepted=accepted, duplicates=duplicates,
                                   refused=tuple(refused), assignment=etag, server_time=self.clock.time())

    def _refusal(self, agent: Agent, running: Running | None, result: protocol.PushedResult,
                 now: float) -> str | None:
        region = agent.row.region
        if running is None:
            return f"no monitor {result.monitor_id} (deleted?)"
        if result.error_kind is not None and result.error_kind not in ERROR_KINDS:
            return f"error_kind {result.error_kind[:40]!r} is not one of {', '.join(ERROR_KINDS)}"
        if region not in self.monitors.regions_of(running.spec):
            return f"monitor {result.monitor_id} is not probed from region {region}"
        # Refused only when another agent owns that slot (or, for a re-check, the monitor now):
        # a late result of a slot whose window has since been dropped is still this agent's.
        windows = self.windows.get(region, {}).get(running.spec.key, ())
        owner = split.owner_at(windows, now if result.slot is None else result.slot)
        if owner is not None and owner != agent.id:
            return f"monitor {result.monitor_id}'s slot {result.slot} is another agent's (it moved)"
        return None


def agent_change(agent: Agent, before: str, state: str, now: float) -> StateChanged:
    """An agent's up/down as the incident policy reads it: an alert for people (agent_down)."""
    row = agent.row
    subject = Subject("agent", agent.id, f"Agent {row.name} (region {row.region})", AGENT_SEVERITY)
    message = None
    if state == "down":
        heard = "never" if agent.last_contact is None else f"{max(0.0, now - agent.last_contact):.1f} s ago"
        message = (f"no pull or push from agent {row.name} for three push intervals (last contact: {heard}); "
                   f"region {row.region}'s results stop counting toward quorums while it has no agent up")
    return StateChanged(subject, before, state, now, None, "agent_down" if state == "down" else None, message)


def agent_form(running: Running) -> dict[str, Any]:
    """The monitor as an agent builds it (monitors.specs.build): its probe settings only."""
    spec = running.spec
    form: dict[str, Any] = {"key": spec.key, "name": spec.name, "type": spec.type, "url": spec.url,
                            "interval": spec.interval, "timeout": spec.timeout,
                            "confirmation": msgspec.structs.asdict(spec.confirmation)}
    if spec.options:
        form[spec.type] = spec.options
    return form
