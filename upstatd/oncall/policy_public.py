"""The public shape of an escalation policy (`esc_…`): one serializer for API
answers, the `data.object` of `escalation_policy.*` events and the OpenAPI
document; and the bodies the API takes. Bounds are the pure core's
(oncall/escalation.py check_policy), carried to the document only: the core
words the error (422 naming the param)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.oncall.escalation import MAX_REPEAT, MAX_STEPS, MAX_WAIT, TARGET_TYPES
from upstatd.shapes import UNSET, Unset, number, rule
from upstatd.store.escalation_policies import PolicyRow

MAX_TARGETS = 50
Name = Annotated[str, rule(minLength=1, maxLength=200)]
Wait = Annotated[float, rule(minimum=0, maximum=MAX_WAIT, description=(
    "seconds after the step before fires (the first step: after the incident opened), 0 to 7 days"))]
RepeatDelay = Annotated[float, rule(minimum=0, maximum=MAX_WAIT, description=(
    "seconds between a round's last step and the next round's first (whose own wait is added)"))]
Repeat = Annotated[int, rule(minimum=0, maximum=MAX_REPEAT, description="more rounds after the first")]
TargetType = Annotated[str, rule(enum=list(TARGET_TYPES), description=(
    "current_on_call: whoever is on call on the schedule when the step fires; schedule_members: every "
    "person of the schedule; user: a person; channel: a shared alert channel"))]
TargetId = Annotated[str, rule(minLength=1, maxLength=100, description="sch_…, usr_… or ch_… (or a config key)")]


class PolicyTarget(msgspec.Struct, forbid_unknown_fields=True):
    type: TargetType
    id: TargetId


class PolicyStep(msgspec.Struct, forbid_unknown_fields=True):
    wait_seconds: Wait
    targets: Annotated[list[PolicyTarget], rule(minItems=1, maxItems=MAX_TARGETS)]


Steps = Annotated[list[PolicyStep], rule(minItems=1, maxItems=MAX_STEPS, description="in the order they fire")]


class EscalationPolicy(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["escalation_policy"]
    key: str | None
    name: str
    steps: list[PolicyStep]              # targets as ids
    repeat: int
    repeat_delay_seconds: int | float
    is_default: bool                     # the policy of monitors and heartbeats that name none
    metadata: dict[str, str]
    managed_by: Literal["config", "api"]
    created_at: int
    updated_at: int


_FIELDS = [
    ("repeat", Repeat | Unset, UNSET),
    ("repeat_delay_seconds", RepeatDelay | Unset, UNSET),
    ("is_default", bool | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]
PolicyCreate = msgspec.defstruct("PolicyCreate", [("name", Name), ("steps", Steps), *_FIELDS], kw_only=True,
                                 forbid_unknown_fields=True, module=__name__, namespace={"__doc__": (
                                     "An escalation policy; is_default true makes it the default (the "
                                     "previous default is no longer)")})
PolicyUpdate = msgspec.defstruct("PolicyUpdate", [("name", Name | Unset, UNSET), ("steps", Steps | Unset, UNSET),
                                                  *_FIELDS], kw_only=True, forbid_unknown_fields=True,
                                 module=__name__, namespace={"__doc__": (
                                     "Only what is given changes; steps given replace the stored ones whole; "
                                     "metadata merges")})


def policy_object(row: PolicyRow) -> EscalationPolicy:
    policy = row.policy
    return EscalationPolicy(
        id=row.id, object="escalation_policy", key=row.key, name=row.name,
        steps=[PolicyStep(number(step.wait_seconds), [PolicyTarget(target.type, target.id)
                                                      for target in step.targets]) for step in policy.steps],
        repeat=policy.repeat, repeat_delay_seconds=number(policy.repeat_delay_seconds), is_default=row.is_default,
        metadata=dict(row.metadata), managed_by=row.managed_by, created_at=row.created_at // 1000,
        updated_at=row.updated_at // 1000)


def policy_data(row: PolicyRow) -> dict[str, Any]:
    """The policy as `data.object` of an event."""
    return msgspec.to_builtins(policy_object(row))
