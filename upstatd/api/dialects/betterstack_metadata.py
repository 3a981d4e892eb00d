"""Better Stack's metadata under `/api/v3/metadata`, over the `metadata` every upstatd
object carries (upstatd/metadata.py): a Better Stack record is one key of one
monitor's, heartbeat's or incident's metadata, its one String value the key's value.

- Written through the owner's own update command (monitor, heartbeat, incident), so the
  same rules, events and refusals apply (a config file's monitor answers 409 as /api).
- A record's id is `md_` + the owner's id and the key, base64url: stable, no table of its own.
- owner_type Monitor, Heartbeat, Incident; the other owner types (integrations, call
  routing) and value types other than String (User, Team, Policy, Schedule, ...) are a
  422 naming the field; upstatd keeps one value per key (more: a 422 naming values).
- Permissions: the route's `monitors:read` / `monitors:update`, and for a heartbeat's or
  an incident's metadata `heartbeats:*` / `incidents:*` too; a list without owner_type
  lists the kinds the token may read.
"""

from __future__ import annotations

import base64
import binascii
import msgspec
from aiohttp import web

from upstatd import metadata
from upstatd.api import errors as api_errors
from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects.betterstack import renaming
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.errors import NotFound
from upstatd.heartbeats.public import HeartbeatUpdate
from upstatd.incidents.public import IncidentPatch
from upstatd.monitors.public import MonitorUpdate
from upstatd.store import numbered

# Better Stack's owner_type -> (upstatd's kind, its id prefix, its permission resource)
OWNERS = {"Monitor": ("monitor", "mon_", "monitors"), "Heartbeat": ("heartbeat", "hbt_", "heartbeats"),
          "Incident": ("incident", "inc_", "incidents")}
THEIRS = {kind: owner_type for owner_type, (kind, _, _) in OWNERS.items()}
UNSUPPORTED_OWNERS = ("WebhookIntegration", "EmailIntegration", "IncomingWebhook", "AmazonSnsIntegration",
                      "CallRouting")
PREFIX = "md_"


class MetadataQuery(jsonapi.PageQuery, forbid_unknown_fields=True):
    owner_id: str | None = None
    owner_type: str | None = None


class ValueIn(msgspec.Struct, forbid_unknown_fields=True):
    type: str = "String"
    value: str | None = None
    item_id: str | int | None = None     # a typed value's: refused with its type
    email: str | None = None
    name: str | None = None


class MetadataIn(msgspec.Struct, forbid_unknown_fields=True):
    owner_id: str
    owner_type: str
    key: str
    values: list[ValueIn]
    mode: str = "replace"
    team_name: str | None = None   # one team: ignored


def record_id(owner_id: str, key: str) -> str:
    return PREFIX + base64.urlsafe_b64encode(f"{owner_id}\n{key}".encode()).decode().rstrip("=")


def parse_record_id(given: str) -> tuple[str, str]:
    """(owner id, key) of a record id; NotFound for anything else."""
    try:
        encoded = given.removeprefix(PREFIX)
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    owner_id, newline, key = text.partition("\n")
    if not given.startswith(PREFIX) or not newline or not key:
        raise NotFound(f"Resource type Metadata with id = {given[:100]} was not found")
    return owner_id, key


def record(owner_type: str, owner_id: str, key: str, value: str | None) -> dict:
    return jsonapi.resource(record_id(owner_id, key), "metadata", {
        "key": key, "values": [] if value is None else [{"type": "String", "value": value}],
        "team_name": None, "owner_id": owner_id, "owner_type": owner_type})


def owner_of(owner_type: str, field: str = "owner_type") -> tuple[str, str, str]:
    if owner_type in UNSUPPORTED_OWNERS:
        raise unprocessable(f"owner_type {owner_type} is not supported: upstatd has no integrations or call "
                            f"routing; metadata belongs to a Monitor, Heartbeat or Incident", field)
    if owner_type not in OWNERS:
        raise unprocessable(f"owner_type must be Monitor, Heartbeat or Incident, got '{owner_type[:40]}'", field)
    return OWNERS[owner_type]


def type_of_id(owner_id: str) -> str:
    for owner_type, (_, prefix, _) in OWNERS.items():
        if owner_id.startswith(prefix):
            return owner_type
    raise NotFound(f"no Monitor, Heartbeat or Incident with id '{owner_id[:100]}'")


def require(request: web.Request, resource: str, action: str) -> None:
    """The owner's own permission (the route's is `monitors`)."""
    from upstatd.api.server import TOKEN
    if not _context(request).allows(request[TOKEN], resource, action):
        raise api_errors.forbidden(resource, action)


def their_param(param: str | None) -> str | None:
    """upstatd's metadata refusals (`metadata.<key>`) name Better Stack's key or value."""
    if param == "metadata" or (param or "").startswith("metadata."):
        key = (param or "").removeprefix("metadata").removeprefix(".")
        return "key" if not key or len(key) > metadata.MAX_KEY_LENGTH else "values.0.value"
    return param


speaks_metadata = renaming(their_param)


async def owner_metadata(request: web.Request, owner_type: str, owner_id: str) -> dict[str, str]:
    """The owner's metadata, read through its commands (NotFound for no such owner)."""
    context = _context(request)
    kind = OWNERS[owner_type][0]
    commands = {"monitor": context.monitor_commands, "heartbeat": context.heartbeat_commands,
                "incident": context.incident_commands}[kind]
    return dict((await commands.get(owner_id)).metadata)


async def set_key(request: web.Request, owner_type: str, owner_id: str, key: str, value: str) -> None:
    """`value` "" removes the key: upstatd's merge rule."""
    context = _context(request)
    kind = OWNERS[owner_type][0]
    patch = {"metadata": {key: value}}
    if kind == "monitor":
        await context.monitor_commands.update(owner_id, msgspec.convert(patch, MonitorUpdate))
    elif kind == "heartbeat":
        await context.heartbeat_commands.update(owner_id, msgspec.convert(patch, HeartbeatUpdate))
    else:
        from upstatd.api.server import TOKEN
        await context.incident_commands.update(owner_id, msgspec.convert(patch, IncidentPatch), request[TOKEN].name)


def one_value(sent: MetadataIn) -> str | None:
    """The value to keep (None: remove the key)."""
    for index, item in enumerate(sent.values):
        if item.type != "String":
            raise unprocessable(f"values.{index}.type {item.type[:40]} is not supported: upstatd's metadata "
                                f"values are strings (type String)", f"values.{index}.type")
        if item.value is None:
            raise unprocessable(f"values.{index}.value is required for a String value", f"values.{index}.value")
    if len(sent.values) > 1:
        raise unprocessable(f"values: upstatd keeps one value per key, got {len(sent.values)}", "values")
    return sent.values[0].value if sent.values else None


@route("GET", "/api/v3/metadata", "monitors", "read",
       "Better Stack: list metadata (one record per key of an object's metadata), by owner_type and owner_id",
       query=MetadataQuery)
async def list_metadata(request: web.Request) -> web.Response:
    from upstatd.api.server import TOKEN
    context = _context(request)
    query = read_query(request, MetadataQuery)
    owner_type = query.owner_type or (type_of_id(query.owner_id) if query.owner_id else None)
    if owner_type is not None:
        kind, _, resource = owner_of(owner_type)
        require(request, resource, "read")
        kinds: tuple[str, ...] = (kind,)
    else:  # every kind the token may read
        kinds = tuple(kind for kind, _, resource in OWNERS.values() if context.allows(request[TOKEN], resource, "read"))
    entries, total = await context.read_conn.call(lambda conn: numbered.metadata_page(
        conn, number=query.page, size=query.per_page, kinds=kinds, owner_id=query.owner_id))
    items = [record(THEIRS[entry.owner_kind], entry.owner_id, entry.key, entry.value) for entry in entries]
    return respond(jsonapi.page(request, items, query, total))


@route("GET", "/api/v3/metadata/{id}", "monitors", "read", "Better Stack: a metadata record")
async def get_metadata(request: web.Request) -> web.Response:
    owner_id, key = parse_record_id(request.match_info["id"])
    owner_type = type_of_id(owner_id)
    require(request, OWNERS[owner_type][2], "read")
    value = (await owner_metadata(request, owner_type, owner_id)).get(key)
    if value is None:
        raise NotFound(f"Resource type Metadata with id = {request.match_info['id'][:100]} was not found")
    return respond(jsonapi.one(record(owner_type, owner_id, key, value)))


@route("POST", "/api/v3/metadata", "monitors", "update",
       "Better Stack: set (or, with no values, remove) one key of a monitor's, heartbeat's or incident's metadata",
       status=201)
@speaks_metadata
async def set_metadata(request: web.Request) -> web.Response:
    sent = await read_json(request, MetadataIn)
    _, prefix, resource = owner_of(sent.owner_type)
    if sent.mode not in ("replace", "merge"):
        raise unprocessable(f"mode must be replace or merge, got '{sent.mode[:40]}'", "mode")
    if not sent.key:
        raise unprocessable("key is required", "key")
    value = one_value(sent)
    if not sent.owner_id.startswith(prefix):
        raise NotFound(f"no {sent.owner_type} with id '{sent.owner_id[:100]}'")
    require(request, resource, "update")
    current = (await owner_metadata(request, sent.owner_type, sent.owner_id)).get(sent.key)
    if sent.mode == "merge" and None not in (current, value) and current != value:
        raise unprocessable(f"values: upstatd keeps one value per key and '{sent.key}' has one: merging would "
                            f"make two (use mode replace)", "values")
    if sent.mode == "merge" and value is None:
        value = current  # merging no values changes nothing
    await set_key(request, sent.owner_type, sent.owner_id, sent.key, "" if value is None else value)
    return respond(jsonapi.one(record(sent.owner_type, sent.owner_id, sent.key, value)), status=201)


@route("DELETE", "/api/v3/metadata/{id}", "monitors", "update", "Better Stack: remove a metadata record (the key)",
       status=204)
@speaks_metadata
async def delete_metadata(request: web.Request) -> web.Response:
    owner_id, key = parse_record_id(request.match_info["id"])
    owner_type = type_of_id(owner_id)
    require(request, OWNERS[owner_type][2], "update")
    if key not in await owner_metadata(request, owner_type, owner_id):
        raise NotFound(f"Resource type Metadata with id = {request.match_info['id'][:100]} was not found")
    await set_key(request, owner_type, owner_id, key, "")
    return no_content()

