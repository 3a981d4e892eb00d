"""Agent use cases (`agents`, docs/regions.md): read the agents as the running
RegionService knows them, make one over the API for a region the config declares
(its token shown once, kept as its SHA-256), delete one made over the API.

Each change is one writer transaction with its event (`agent.created`,
`agent.deleted`), then the RegionService is loaded with the agents as stored, so a
new token works at its first pull and a deleted one is refused at its next.
Agents of the config file (`regions:`) are the file's: deleting one is a 409.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec

from upstatd.commands import Commands, existing, refuse_config_managed
from upstatd.clock import Clock
from upstatd.config.check import Invalid as FileInvalid
from upstatd.config.regions import region_name, token_hash
from upstatd.config.schema import Config
from upstatd.errors import Invalid
from upstatd.events import Event, EventBus
from upstatd.regions.public import agent_object
from upstatd.regions.service import Agent, RegionService
from upstatd.store import agents as store
from upstatd.store.agents import AgentRow
from upstatd.store.db import Database
from upstatd.store.writer import Writer

SECRET_PREFIX = "upsa_"


def new_secret() -> str:
    """An agent token: upsa_ and 32 url-safe random characters (192 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(24)


def current_row(agent: Agent) -> AgentRow:
    """The agent's row as it stands now: its state and last contact are the running
    service's (a pull is not written to its row in memory)."""
    last = agent.last_contact
    return agent.row._replace(state=agent.state,
                              last_contact_at=None if last is None else round(last * 1000))


def checked_name(name: str) -> str:
    if not name.strip():
        raise Invalid("name: must not be blank", "name")
    return name


def checked_region(region: str, declared: tuple[str, ...]) -> str:
    """A region the config declares under regions: (agents probe those; the daemon's own is its)."""
    try:
        region_name(region)
    except FileInvalid as exc:
        raise Invalid(f"region: {exc}", "region") from None
    if region not in declared:
        shown = ", ".join(declared) or "none: the config file's regions: declares none"
        raise Invalid(f"region: no region '{region}' is declared in the config file's regions: (declared: "
                      f"{shown})", "region")
    return region


class CreatedAgent(NamedTuple):
    row: AgentRow
    secret: str       # shown in the create answer only


class AgentCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus, regions: RegionService,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.regions = regions
        self.config = config

    def shown(self, row: AgentRow) -> Any:
        """The public agent: the running one's current row when it runs (always, but
        for a row read in the instant between a commit and the load)."""
        agent = self.regions.agents.get(row.id)
        if agent is None:
            return agent_object(row, self.clock.time())
        return agent_object(current_row(agent), self.clock.time(), agent.scheduler)

    async def get(self, agent_id: str) -> AgentRow:
        agent = self.regions.agents.get(agent_id)
        if agent is not None:
            return current_row(agent)
        return await self.read_db.call(lambda conn: existing(store.find(conn, agent_id), "agent", agent_id))

    def _event(self, conn: sqlite3.Connection, action: str, row: AgentRow, now_ms: int) -> Event:
        obj = msgspec.to_builtins(agent_object(row, now_ms / 1000))
        return self.bus.record(conn, f"agent.{action}", obj, now_ms / 1000)

    async def create(self, body: Any) -> CreatedAgent:
        name = checked_name(body.name)
        region = checked_region(body.region, tuple(region.name for region in self.config().regions))
        secret = new_secret()
        now_ms = self._now_ms()

        def add(conn: sqlite3.Connection) -> tuple[AgentRow, list[AgentRow], Event]:
            row = store.insert(conn, name, region, token_hash(secret), now_ms)
            return row, store.all_agents(conn), self._event(conn, "created", row, now_ms)

        row, rows, event = await self.writer.run(add)
        self.regions.load(rows)  # its token works from now on
        self.bus.publish(event)
        return CreatedAgent(row, secret)

    async def delete(self, agent_id: str) -> None:
        """Its token stops working at once, and its region's results stop counting when it
        was the region's last agent up; what it pushed stays (checks carry the region)."""
        row = await self.get(agent_id)
        refuse_config_managed(row, "agent", "regions", self.config().file, "deleted")
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[list[AgentRow], Event]:
            existing(store.find(conn, agent_id), "agent", agent_id)
            store.delete(conn, agent_id)
            return store.all_agents(conn), self._event(conn, "deleted", row, now_ms)

        rows, event = await self.writer.run(remove)
        region_was_up = self.regions.region_up(row.region)
        self.regions.load(rows)
        if region_was_up and not self.regions.region_up(row.region):
            self.regions.monitors.rejudge(row.region)
        self.bus.publish(event)
