"""/api/agents: the agents (`agt_…`) that probe from other regions (docs/regions.md).
Permission resource: `agents`.

- An agent object is what the running daemon knows now: its state (new, up,
  down), last contact and lag, the version it reported and its spool.
- POST makes an agent for a region the config file declares under regions:;
  the answer holds its token (`upsa_…`), shown only once (kept as its SHA-256).
  It works at once: the agent can pull its assignment with it.
- DELETE: API agents only (those of the config file answer 409 naming the file);
  the token is refused from then on.
- The use cases are regions/commands.py, the shape regions/public.py.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from upstatd.api import pagination
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource
from upstatd.regions.public import Agent, AgentCreate, CreatedAgent, created_agent
from upstatd.store import agents as store


class AgentListQuery(ListQuery, forbid_unknown_fields=True):
    region: Annotated[str, msgspec.Meta(min_length=1, description="Only the agents of this region")] | None = None
    state: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(store.STATES)})] | None = None


AgentList = pagination.list_of(Agent, "AgentList")

agents = Resource("/api/agents", "agents", lambda context: context.agent_commands,
                  lambda context, row: context.agent_commands.shown(row))
agents.create("Create an agent for a region the config declares; the answer holds its token, shown only once",
              body=AgentCreate, response=CreatedAgent,
              answer=lambda context, made: created_agent(made.row, context.clock.time(), made.secret))
agents.list("List agents, newest first, each as the daemon knows it now", query=AgentListQuery,
            response=AgentList, page=store.list_page)
agents.retrieve("Retrieve an agent: its state, last contact, lag, version and spool", response=Agent)
agents.delete("Delete an agent made over the API: its token is refused from then on")
