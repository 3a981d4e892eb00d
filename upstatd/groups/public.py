"""The public shape of a group (grp_…): one serializer for API answers, the
`data.object` of group events and the OpenAPI document; and the bodies the API
takes. The counts and the state come from the members' tally read with the row
(store/groups.py)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from upstatd import metadata
from upstatd.groups.states import RANKS, worst
from upstatd.shapes import UNSET, Unset, rule, seconds
from upstatd.store.groups import GroupRow

GroupId = Annotated[str, msgspec.Meta(max_length=100, description="A group of the same kind (grp_…) made over the "
                                      "API; null: in no group")]
Name = Annotated[str, rule(minLength=1, maxLength=200)]
STATES = tuple(dict.fromkeys(state for order in RANKS.values() for state in order))


class Group(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["group"]
    kind: Literal["monitor", "heartbeat"]
    key: str | None                 # the name given in the config file (`group:`); null over the API
    name: str
    managed_by: Literal["config", "api"]
    # paused: it has members and every one is paused
    status: Literal["active", "paused"]
    # the worst state of its active members (groups/states.py); null: none active
    current_state: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATES)})] | None
    member_count: int
    paused_count: int
    states: dict[str, int]          # active members per state
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class GroupCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    metadata: metadata.Metadata | Unset = UNSET


class GroupUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET


def group_object(row: GroupRow) -> Group:
    total = sum(count for _, _, count in row.tally)
    paused = sum(count for status, _, count in row.tally if status == "paused")
    states: dict[str, int] = {}
    for status, state, count in row.tally:
        if status == "active":
            states[state] = states.get(state, 0) + count
    return Group(
        id=row.id, object="group", kind=row.kind, key=row.key, name=row.name, managed_by=row.managed_by,
        status="paused" if total and paused == total else "active", current_state=worst(row.kind, states),
        member_count=total, paused_count=paused, states=states, metadata=row.metadata,
        created_at=seconds(row.created_at), updated_at=seconds(row.updated_at))
