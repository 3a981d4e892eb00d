"""Better Stack's escalation policies under `/api/v3/policies` (list, get, create,
update, delete), over upstatd's escalation policies (`esc_…`, /api/escalation-policies):
the policy commands (their validation, events, the config file's refusals) and
policy_object renamed into Better Stack's attributes.

- A step of type `escalation` is upstatd's step: `wait_before` its wait_seconds,
  `step_members` its targets; `time_branching` and `metadata_branching` are refused
  naming the step's type (upstatd's policies do not branch).
- Members: `user` (usr_ id or a person's email), `current_on_call` (a schedule; no id:
  the default calendar, the oldest schedule), `webhook` (upstatd's shared alert
  channel, ch_), and upstatd's own `schedule_members`; any other member type (the
  whole team, every Slack integration, ...) is refused naming it.
- `repeat_count`, `repeat_delay` are upstatd's repeat and repeat_delay_seconds.
Permission resource: `on_call`, as /api/escalation-policies.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import into, renaming
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.oncall.policy_public import PolicyCreate, PolicyUpdate, policy_object
from upstatd.store import numbered
from upstatd.store import on_call as on_call_store

STEP_TYPES = ("escalation", "time_branching", "metadata_branching")
# Better Stack's member type -> upstatd's target type (and back: channel shows as webhook)
MEMBERS = {"user": "user", "current_on_call": "current_on_call", "webhook": "channel",
           "schedule_members": "schedule_members"}
SHOWN = {ours: theirs for theirs, ours in MEMBERS.items()}
_UNSET_ANY = (Any, UNSET)


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    type: str
    id: str | int | None = None


StepIn = msgspec.defstruct("StepIn", [
    ("type", str, "escalation"),
    ("wait_before", int | float, 0),
    ("urgency_id", Any, None),              # upstatd's severity is the monitor's: taken and ignored
    ("step_members", list[MemberIn], []),
    # a branching step's fields: refused with its type
    *[(name, *_UNSET_ANY) for name in ("timezone", "days", "time_from", "time_to", "policy_id", "metadata_key",
                                       "metadata_values", "policy_metadata_key")],
], kw_only=True, forbid_unknown_fields=True, module=__name__)


class PolicyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    repeat_count: int | UnsetType = UNSET
    repeat_delay: int | float | UnsetType = UNSET
    steps: list[StepIn] | UnsetType = UNSET     # type: ignore[valid-type]
    policy_group_id: Any = UNSET                # upstatd has no policy groups: taken and ignored
    team_name: Any = UNSET                      # one team: ignored


def their_param(param: str | None) -> str | None:
    """upstatd's `steps.1.targets.0.id` as Better Stack's `steps.1.step_members.0.id`."""
    if param is None:
        return None
    param = re.sub(r"\.wait_seconds$", ".wait_before", param)
    param = re.sub(r"\.targets(?=\.|$)", ".step_members", param)
    return {"repeat": "repeat_count", "repeat_delay_seconds": "repeat_delay"}.get(param, param)


speaks_policies = renaming(their_param)  # the policy commands' refusals name Better Stack's fields


def policy_resource(row: Any) -> dict:
    shown = policy_object(row)
    return jsonapi.resource(shown.id, "policy", {
        "name": shown.name,
        "repeat_count": shown.repeat,
        "repeat_delay": shown.repeat_delay_seconds,
        "incident_token": None,
        "policy_group_id": None,
        "team_name": None,
        "steps": [{"type": "escalation", "wait_before": step.wait_seconds, "urgency_id": None,
                   "step_members": [{"type": SHOWN[target.type], "id": target.id} for target in step.targets]}
                  for step in shown.steps],
    })


async def _targets(request: web.Request, index: int, members: list[MemberIn]) -> list[dict]:
    targets = []
    for number, member in enumerate(members):
        at = f"steps.{index}.step_members.{number}"
        if member.type not in MEMBERS:
            raise unprocessable(f"{at}.type '{member.type[:40]}' is not supported: upstatd pages a user, "
                                f"current_on_call (a schedule), webhook (an alert channel) or schedule_members",
                                f"{at}.type")
        ref = None if member.id is None else str(member.id)
        if member.type == "current_on_call" and ref is None:  # Better Stack's default calendar
            found = await _context(request).read_conn.call(numbered.first_schedule)
            if found is None:
                raise unprocessable(f"{at}.id: no on-call schedule to be the default calendar", f"{at}.id")
            ref = found.id
        elif member.type == "user" and ref is not None and "@" in ref:
            ref = await _context(request).read_conn.call(lambda conn: on_call_store.person_by_email(conn, ref)) \
                or ref
        if ref is None:
            raise unprocessable(f"{at}.id is required for a {member.type} member", f"{at}.id")
        targets.append({"type": MEMBERS[member.type], "id": ref})
    return targets


async def policy_body(request: web.Request, sent: PolicyIn) -> dict:
    body: dict[str, Any] = {}
    if sent.name is not UNSET:
        body["name"] = sent.name
    if sent.repeat_count is not UNSET:
        body["repeat"] = sent.repeat_count
    if sent.repeat_delay is not UNSET:
        body["repeat_delay_seconds"] = sent.repeat_delay
    if sent.steps is not UNSET:
        steps = []
        for index, step in enumerate(sent.steps):
            if step.type != "escalation":
                what = "not a step type" if step.type not in STEP_TYPES else "not supported: upstatd's policies " \
                                                                             "do not branch"
                raise unprocessable(f"steps.{index}.type '{step.type[:40]}' is {what} (use escalation)",
                                    f"steps.{index}.type")
            steps.append({"wait_seconds": step.wait_before, "targets": await _targets(request, index,
                                                                                     step.step_members)})
        body["steps"] = steps
    return body


@route("GET", "/api/v3/policies", "on_call", "read", "Better Stack: list escalation policies, oldest first, "
       "page by page", query=jsonapi.PageQuery)
async def list_policies(request: web.Request) -> web.Response:
    query = read_query(request, jsonapi.PageQuery)
    rows, total = await _context(request).read_conn.call(lambda conn: numbered.policy_page(
        conn, number=query.page, size=query.per_page))
    return respond(jsonapi.page(request, [policy_resource(row) for row in rows], query, total))


@route("GET", "/api/v3/policies/{id}", "on_call", "read", "Better Stack: an escalation policy")
async def get_policy(request: web.Request) -> web.Response:
    row = await _context(request).policy_commands.get(request.match_info["id"])
    return respond(jsonapi.one(policy_resource(row)))


@route("POST", "/api/v3/policies", "on_call", "create", "Better Stack: create an escalation policy", status=201)
@speaks_policies
async def create_policy(request: web.Request) -> web.Response:
    sent = await read_json(request, PolicyIn)
    for required in ("name", "steps"):
        if getattr(sent, required) is UNSET:
            raise unprocessable(f"{required} is required", required)
    body = await policy_body(request, sent)
    made = await _context(request).policy_commands.create(into(body, PolicyCreate, {}))
    return respond(jsonapi.one(policy_resource(made.row)), status=201)


@route("PATCH", "/api/v3/policies/{id}", "on_call", "update",
       "Better Stack: update an escalation policy (only the fields given; steps given replace them all)")
@speaks_policies
async def update_policy(request: web.Request) -> web.Response:
    commands = _context(request).policy_commands
    row = await commands.get(request.match_info["id"])
    sent = await read_json(request, PolicyIn)
    body = await policy_body(request, sent)
    if body:
        row = (await commands.update(row.id, into(body, PolicyUpdate, {}))).row
    return respond(jsonapi.one(policy_resource(row)))


@route("DELETE", "/api/v3/policies/{id}", "on_call", "delete",
       "Better Stack: delete an escalation policy (refused while monitors or heartbeats name it)", status=204)
@speaks_policies
async def delete_policy(request: web.Request) -> web.Response:
    await _context(request).policy_commands.delete(request.match_info["id"])
    return no_content()
