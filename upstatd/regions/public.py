"""The public shape of an agent (GET /api/agents, the agent.* events) and the body
POST /api/agents takes."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from upstatd.config.regions import REGION_PATTERN
from upstatd.regions.protocol import AgentScheduler
from upstatd.store.agents import AgentRow


class AgentSpool(msgspec.Struct, kw_only=True):
    results: int      # waiting in the agent at its latest push, beyond that batch
    bytes: int
    dropped: int      # dropped by the spool's bounds since the agent started


class Agent(msgspec.Struct, kw_only=True):
    # scheduler: the agent's, as its latest push said (kept in memory: null until the
    # agent's first push since the daemon started)
    id: str
    object: Literal["agent"]
    key: str | None
    name: str
    region: str
    managed_by: str
    state: str                      # new (never heard from), up, down
    state_since: int | None
    last_contact_at: int | None     # its latest pull or push, Unix seconds
    lag_seconds: float | None       # how long ago that was
    version: str | None
    spool: AgentSpool
    scheduler: AgentScheduler | None
    created_at: int
    updated_at: int


def agent_object(row: AgentRow, now: float, scheduler: AgentScheduler | None = None) -> Agent:
    last = row.last_contact_at
    return Agent(
        id=row.id, object="agent", key=row.key, name=row.name, region=row.region, managed_by=row.managed_by,
        state=row.state, state_since=None if row.state_since is None else row.state_since // 1000,
        last_contact_at=None if last is None else last // 1000,
        lag_seconds=None if last is None else round(max(0.0, now - last / 1000), 3), version=row.version,
        spool=AgentSpool(results=row.spool_results, bytes=row.spool_bytes, dropped=row.spool_dropped),
        scheduler=scheduler, created_at=row.created_at // 1000, updated_at=row.updated_at // 1000)


class CreatedAgent(Agent, kw_only=True):
    # upsa_…, in this answer only; null in an idempotent replay of it (api/idempotency.py)
    secret: Annotated[str | None, msgspec.Meta(
        description="The agent's token (upsa_…) for its token_file or environment, in the answer to the create "
                    "request only; null when that answer is replayed for the same Idempotency-Key")]


# not blank (regions/commands.py says so, 422); the region's form and whether the config
# declares it are the command's too: documented here only
AgentName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1-100 characters, not all blank",
                                        extra_json_schema={"pattern": r"[^\s\x1c-\x1f]"})]
RegionName = Annotated[str, msgspec.Meta(extra_json_schema={"pattern": f"^{REGION_PATTERN}$"}, description=(
    "A region the config file declares under regions: (docs/regions.md)"))]


class AgentCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: AgentName
    region: RegionName


def created_agent(row: AgentRow, now: float, secret: str | None) -> CreatedAgent:
    shown = agent_object(row, now)
    return CreatedAgent(**msgspec.structs.asdict(shown), secret=secret)
