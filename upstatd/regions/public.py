"""The public shape of an agent: GET /api/agents, the agent.* events."""

from __future__ import annotations

from typing import Literal

import msgspec

from upstatd.store.agents import AgentRow


class AgentSpool(msgspec.Struct, kw_only=True):
    results: int      # waiting in the agent at its latest push, beyond that batch
    bytes: int
    dropped: int      # dropped by the spool's bounds since the agent started


class Agent(msgspec.Struct, kw_only=True):
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
    created_at: int
    updated_at: int


def agent_object(row: AgentRow, now: float) -> Agent:
    last = row.last_contact_at
    return Agent(
        id=row.id, object="agent", key=row.key, name=row.name, region=row.region, managed_by=row.managed_by,
        state=row.state, state_since=None if row.state_since is None else row.state_since // 1000,
        last_contact_at=None if last is None else last // 1000,
        lag_seconds=None if last is None else round(max(0.0, now - last / 1000), 3), version=row.version,
        spool=AgentSpool(results=row.spool_results, bytes=row.spool_bytes, dropped=row.spool_dropped),
        created_at=row.created_at // 1000, updated_at=row.updated_at // 1000)
