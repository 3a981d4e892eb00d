"""The public shape of a catalog service (`svc_…`): one serializer for API
answers, the `data.object` of `service.*` events and the OpenAPI document; and
the bodies the API takes. A service's graph fields and state are read with it:
`depends_on` and `dependents` are its direct edges, `monitor_ids` and
`heartbeat_ids` its members, and `state` its worst member's
(catalog/graph.py state over store/catalog.py member_states)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.catalog import graph as catalog_graph
from upstatd.config.catalog import MAX_DEPENDS_ON, MAX_LINKS, OWNER_TYPES
from upstatd.shapes import UNSET, Tags, Unset, rule
from upstatd.store import catalog as catalog_reads
from upstatd.store.services import ServiceRow

Name = Annotated[str, rule(minLength=1, maxLength=200)]
Description = Annotated[str, rule(maxLength=2000)]
Tier = Annotated[int, rule(minimum=1, maximum=4, description="1 (most critical) to 4")]
ServiceId = Annotated[str, rule(minLength=1, maxLength=100, description="svc_… (or a config key)")]
State = Literal["down", "degraded", "up", "maintenance", "paused", "unknown"]


class Owner(msgspec.Struct, forbid_unknown_fields=True):
    type: Annotated[str, rule(enum=list(OWNER_TYPES), description="user: a person; schedule: an on-call schedule")]
    id: Annotated[str, rule(minLength=1, maxLength=100, description="usr_… or sch_… (or a config key)")]


class ServiceLink(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, rule(minLength=1, maxLength=200)]
    url: Annotated[str, rule(pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://", maxLength=2000, description="http(s) only")]


Links = Annotated[list[ServiceLink], rule(maxItems=MAX_LINKS)]
DependsOn = Annotated[list[ServiceId], rule(maxItems=MAX_DEPENDS_ON, description=(
    "the services this one needs, directly (a cycle is refused, naming it)"))]


class Service(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["service"]
    key: str | None
    name: str
    description: str
    owner: Owner | None
    tier: int | None
    links: list[ServiceLink]
    tags: list[str]
    metadata: dict[str, str]
    depends_on: list[str]         # svc_…: what it needs, directly
    dependents: list[str]         # svc_…: what needs it, directly
    monitor_ids: list[str]
    heartbeat_ids: list[str]
    state: State                  # its worst member's; unknown: no members (or only new ones)
    managed_by: Literal["config", "api"]
    created_at: int
    updated_at: int


_FIELDS = [
    ("description", Description | Unset, UNSET),
    ("owner", Owner | None | Unset, UNSET),
    ("tier", Tier | None | Unset, UNSET),
    ("links", Links | Unset, UNSET),
    ("tags", Tags | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]
ServiceCreate = msgspec.defstruct(
    "ServiceCreate", [("name", Name), *_FIELDS, ("depends_on", DependsOn | Unset, UNSET)], kw_only=True,
    forbid_unknown_fields=True, module=__name__,
    namespace={"__doc__": "A catalog service; depends_on: the services it needs (svc_ ids)"})
ServiceUpdate = msgspec.defstruct(
    "ServiceUpdate", [("name", Name | Unset, UNSET), *_FIELDS], kw_only=True, forbid_unknown_fields=True,
    module=__name__, namespace={"__doc__": (
        "Only what is given changes; metadata merges; dependencies change through "
        "/api/catalog/services/{id}/dependencies")})


class DependencyCreate(msgspec.Struct, forbid_unknown_fields=True):
    """One more service this one needs (a cycle is refused, naming it)."""
    depends_on_id: ServiceId


def service_object(row: ServiceRow, graph: catalog_graph.Graph, member_states: dict[str, list[str]]) -> Service:
    needs = graph.needs.get(row.id, ())
    members = graph.members_of(row.id)
    return Service(
        id=row.id, object="service", key=row.key, name=row.name, description=row.description,
        owner=None if row.owner is None else Owner(*row.owner), tier=row.tier,
        links=[ServiceLink(link.title, link.url) for link in row.links], tags=list(row.tags),
        metadata=dict(row.metadata), depends_on=list(needs),
        dependents=[service for service, targets in graph.needs.items() if row.id in targets],
        monitor_ids=[member for member in members if member.startswith("mon_")],
        heartbeat_ids=[member for member in members if member.startswith("hbt_")],
        state=catalog_graph.state(member_states.get(row.id, ())), managed_by=row.managed_by,
        created_at=row.created_at // 1000, updated_at=row.updated_at // 1000)


def service_objects(conn: sqlite3.Connection, rows: Iterable[ServiceRow]) -> list[Service]:
    """The rows in their public shape, the graph and members' states read once for all."""
    rows = list(rows)
    if not rows:
        return []
    graph = catalog_reads.graph(conn)
    states = catalog_reads.member_states(conn, [row.id for row in rows])
    return [service_object(row, graph, states) for row in rows]


def service_data(conn: sqlite3.Connection, row: ServiceRow) -> dict[str, Any]:
    """The service as `data.object` of an event (read inside the change's transaction)."""
    return msgspec.to_builtins(service_objects(conn, [row])[0])
