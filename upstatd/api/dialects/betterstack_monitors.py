"""Better Stack's /api/v2/monitors (and /{id}/sla, the availability summary) over
upstatd's monitor commands and serializer (monitor_object).

- monitor_type status / expected_status_code / keyword / keyword_absence are
  upstatd's http type (the http block says which: expected_status, keyword,
  keyword_absent), ping is icmp, tcp is tcp (url host + port), dns is dns (url
  the nameserver, request_body the name to look up). Other types are a 422.
- `paused` is the pause/resume command, after the create or update.
- `regions`: upstatd's region names as given, each declared in the config (api/dialects/regions.py).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.dialects import jsonapi
from upstatd.api.dialects import regions as regions_in
from upstatd.api.dialects.betterstack import (
    SlaQuery, _ignored_fields, _pause_or_resume, dated_sla, given, into, speaks,
)
from upstatd.api.errors import unprocessable
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.monitors.public import MonitorCreate, MonitorUpdate, monitor_object
from upstatd.store import numbered

HTTP_TYPES = ("status", "expected_status_code", "keyword", "keyword_absence")
UPSTATD_TYPE = {**{kind: "http" for kind in HTTP_TYPES}, "ping": "icmp", "tcp": "tcp", "dns": "dns"}
SECONDS_TIMEOUT = ("http", "icmp")  # request_timeout in seconds; tcp and dns take milliseconds, as Better Stack


class RequestHeader(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    value: str
    id: str | int | None = None     # a header's id in Better Stack's answers: upstatd's headers have none
    destroy: bool = msgspec.field(default=False, name="_destroy")  # Better Stack's way to drop one in an update


MonitorIn = msgspec.defstruct("MonitorIn", [
    ("url", str | UnsetType, UNSET),
    ("pronounceable_name", str | UnsetType, UNSET),
    ("monitor_type", str | UnsetType, UNSET),
    ("check_frequency", int | float | UnsetType, UNSET),
    ("request_timeout", int | float | UnsetType, UNSET),
    ("confirmation_period", int | UnsetType, UNSET),
    ("recovery_period", int | UnsetType, UNSET),
    ("expected_status_codes", list[int] | None | UnsetType, UNSET),
    ("required_keyword", str | None | UnsetType, UNSET),
    ("verify_ssl", bool | UnsetType, UNSET),
    ("ssl_expiration", int | None | UnsetType, UNSET),
    ("request_headers", list[RequestHeader] | None | UnsetType, UNSET),
    ("request_body", str | None | UnsetType, UNSET),
    ("http_method", str | UnsetType, UNSET),
    ("follow_redirects", bool | UnsetType, UNSET),
    ("port", str | int | None | UnsetType, UNSET),
    ("paused", bool | UnsetType, UNSET),
    ("monitor_group_id", str | int | None | UnsetType, UNSET),
    ("policy_id", str | int | None | UnsetType, UNSET),
    ("regions", Any, UNSET),
    *_ignored_fields(),
], kw_only=True, forbid_unknown_fields=True, module=__name__)


class MonitorQuery(jsonapi.PageQuery, forbid_unknown_fields=True):
    url: str | None = None
    pronounceable_name: str | None = None


# upstatd's parameter (or the start of its path) -> the Better Stack field an error names
MONITOR_FIELDS = {
    "type": "monitor_type", "url": "url", "name": "pronounceable_name", "interval_seconds": "check_frequency",
    "timeout_seconds": "request_timeout", "confirmation.failures": "confirmation_period",
    "confirmation.recheck_seconds": "confirmation_period", "confirmation.successes": "recovery_period",
    "http.method": "http_method", "http.headers": "request_headers", "http.body": "request_body",
    "http.expected_status": "expected_status_codes", "http.keyword": "required_keyword",
    "http.keyword_absent": "required_keyword", "http.verify_tls": "verify_ssl",
    "http.follow_redirects": "follow_redirects", "http.tls_expiry_days": "ssl_expiration",
    "dns.nameserver": "url", "group_id": "monitor_group_id", "escalation_policy": "policy_id",
}


# -- monitors: Better Stack -> upstatd ----------------------------------------------------------

def _shown(row: Any) -> Any:
    return monitor_object(row)


def _kind(shown: Any) -> str:
    """A monitor's Better Stack monitor_type, from upstatd's type and http block."""
    if shown.type == "http":
        block = getattr(shown, "http") or {}
        if block.get("keyword_absent"):
            return "keyword_absence"
        if block.get("keyword"):
            return "keyword"
        if block.get("expected_status") is not None:
            return "expected_status_code"
        return "status"
    return {"icmp": "ping", "tcp": "tcp", "dns": "dns"}.get(shown.type, shown.type)


def _host_and_port(shown: Any) -> tuple[str, str | None]:
    """The url and port Better Stack shows for upstatd's url (icmp://host, tcp://host:port)."""
    url = shown.url
    if shown.type == "icmp":
        return url.removeprefix("icmp://").rstrip("/"), None
    if shown.type == "tcp":
        host, _, port = url.removeprefix("tcp://").rstrip("/").rpartition(":")
        return host, port
    if shown.type == "dns":
        return (getattr(shown, "dns") or {}).get("nameserver") or "", None
    return url, None


def monitor_body(sent: Any, current: Any | None, known: tuple[str, ...] = ()) -> dict:
    """upstatd's MonitorCreate (current None) or MonitorUpdate body for Better Stack's fields;
    `current`: the monitor as upstatd shows it, for an update; `known`: the declared regions."""
    regions = regions_in.checked(sent.regions, known) if given(sent.regions) else UNSET
    kind = sent.monitor_type if given(sent.monitor_type) else (_kind(current) if current else UNSET)
    if not given(kind):
        raise unprocessable("monitor_type is required: status, expected_status_code, keyword, "
                            "keyword_absence, ping, tcp or dns", "monitor_type")
    if current is not None and not given(sent.monitor_type):
        upstatd_type = current.type  # unchanged (tls, which Better Stack lacks, too)
    elif kind not in UPSTATD_TYPE:
        raise unprocessable(f"monitor_type '{kind}' is not supported; use status, expected_status_code, keyword, "
                            f"keyword_absence, ping, tcp or dns", "monitor_type")
    else:
        upstatd_type = UPSTATD_TYPE[kind]
    body: dict[str, Any] = {}
    if current is None or upstatd_type != current.type:
        body["type"] = upstatd_type  # an update refuses a new type itself (upstatd's words)
    block: dict[str, Any] = {}
    old_host, old_port = _host_and_port(current) if current is not None else (None, None)
    if upstatd_type == "http":
        if given(sent.url):
            body["url"] = sent.url
        _http_block(sent, kind, current, block)
    elif upstatd_type == "icmp" and given(sent.url):
        body["url"] = sent.url if sent.url.startswith("icmp://") else f"icmp://{sent.url}"
    elif upstatd_type == "tcp" and (given(sent.url) or given(sent.port)):
        host = sent.url if given(sent.url) else old_host
        port = sent.port if given(sent.port) else old_port
        if not host:
            raise unprocessable("url is required: the host to connect to", "url")
        if port in (None, ""):
            raise unprocessable("port is required for a tcp monitor", "port")
        body["url"] = f"tcp://{str(host).removeprefix('tcp://')}:{port}"
    elif upstatd_type == "dns":
        if given(sent.request_body):
            body["url"] = sent.request_body  # the name to look up
        elif current is None:
            raise unprocessable("request_body is required for a dns monitor: the name to look up",
                                "request_body")
        if given(sent.url):
            block["nameserver"] = sent.url
    if block:
        body[upstatd_type] = block
    if given(sent.pronounceable_name):
        body["name"] = sent.pronounceable_name
    interval = sent.check_frequency if given(sent.check_frequency) else (
        current.interval_seconds if current is not None else 60)
    if given(sent.check_frequency):
        body["interval_seconds"] = sent.check_frequency
    if given(sent.request_timeout):
        seconds = sent.request_timeout if upstatd_type in SECONDS_TIMEOUT else sent.request_timeout / 1000
        body["timeout_seconds"] = seconds
    confirmation: dict[str, Any] = {}
    if given(sent.confirmation_period):
        period = sent.confirmation_period
        confirmation.update({"failures": 1} if period <= 0 else {"failures": 2, "recheck_seconds": period})
    if given(sent.recovery_period):
        # upstatd counts successes; Better Stack waits seconds of being up: one check per interval
        confirmation["successes"] = min(100, 1 + math.ceil(max(0, sent.recovery_period) / interval))
    if confirmation:
        body["confirmation"] = confirmation
    if given(sent.monitor_group_id):
        body["group_id"] = None if sent.monitor_group_id is None else str(sent.monitor_group_id)
    if given(sent.policy_id):
        body["escalation_policy"] = None if sent.policy_id is None else str(sent.policy_id)
    if given(regions):
        body["regions"] = regions
    return body


def _http_block(sent: Any, kind: str, current: Any | None, block: dict) -> None:
    old = (getattr(current, "http", None) or {}) if current is not None and current.type == "http" else {}
    keyword = sent.required_keyword if given(sent.required_keyword) else (
        old.get("keyword") or old.get("keyword_absent"))
    updating = current is not None
    if updating and not (given(sent.monitor_type) or given(sent.required_keyword)
                         or given(sent.expected_status_codes)):
        _http_options(sent, updating, block)  # what it checks is unchanged
        return
    if kind in ("keyword", "keyword_absence"):
        if not keyword:
            raise unprocessable(f"required_keyword is required for monitor_type {kind}", "required_keyword")
        block["keyword" if kind == "keyword" else "keyword_absent"] = keyword
        if updating:
            block["keyword_absent" if kind == "keyword" else "keyword"] = None
    elif updating and (old.get("keyword") or old.get("keyword_absent")):
        block["keyword"] = block["keyword_absent"] = None  # now a status or status code monitor
    if given(sent.expected_status_codes) and sent.expected_status_codes:
        block["expected_status"] = sent.expected_status_codes
    elif kind == "expected_status_code" and not old.get("expected_status"):
        raise unprocessable("expected_status_codes is required for monitor_type expected_status_code",
                            "expected_status_codes")
    elif updating and kind != "expected_status_code" and old.get("expected_status") is not None:
        block["expected_status"] = None
    _http_options(sent, updating, block)


def _http_options(sent: Any, updating: bool, block: dict) -> None:
    """The http block's fields that do not decide the monitor_type."""
    if given(sent.http_method):
        block["method"] = sent.http_method.upper()
    if given(sent.request_headers):
        block["headers"] = {header.name: header.value for header in sent.request_headers or ()
                            if not header.destroy} or (None if updating else UNSET)
        if block["headers"] is UNSET:
            del block["headers"]
    if given(sent.request_body):
        if sent.request_body:
            block["body"] = sent.request_body
        elif updating:
            block["body"] = None
    if given(sent.verify_ssl):
        block["verify_tls"] = sent.verify_ssl
    if given(sent.follow_redirects):
        block["follow_redirects"] = sent.follow_redirects
    if given(sent.ssl_expiration):
        block["tls_expiry_days"] = sent.ssl_expiration or 0


# -- monitors: upstatd -> Better Stack ----------------------------------------------------------

def monitor_status(shown: Any) -> str:
    if shown.status == "paused":
        return "paused"
    return {"degraded": "up"}.get(shown.current_state, shown.current_state)


def monitor_resource(row: Any) -> dict:
    shown = _shown(row)
    block = getattr(shown, shown.type, None) or {}
    if block is UNSET:
        block = {}
    url, port = _host_and_port(shown)
    confirmation = shown.confirmation
    interval = shown.interval_seconds
    http = shown.type == "http"
    expected = block.get("expected_status") if http else None
    timeout = shown.timeout_seconds if shown.type in SECONDS_TIMEOUT else round(shown.timeout_seconds * 1000)
    return jsonapi.resource(shown.id, "monitor", {
        "url": url,
        "pronounceable_name": shown.name,
        "monitor_type": _kind(shown),
        "monitor_group_id": shown.group_id,
        "last_checked_at": jsonapi.iso(shown.last_check_at),
        "status": monitor_status(shown),
        "policy_id": shown.escalation_policy,
        "required_keyword": (block.get("keyword") or block.get("keyword_absent")) if http else None,
        "verify_ssl": block.get("verify_tls", True) if http else False,
        "check_frequency": interval,
        "call": False, "sms": False, "email": False, "push": False, "critical_alert": False,
        "team_wait": None,
        "http_method": str(block.get("method", "GET")).lower() if http else None,
        "request_timeout": timeout,
        "recovery_period": round((confirmation.successes - 1) * interval),
        "request_headers": [{"id": str(n), "name": name, "value": str(value)}
                            for n, (name, value) in enumerate((block.get("headers") or {}).items(), 1)],
        "request_body": (block.get("body") or "") if http else (shown.url if shown.type == "dns" else ""),
        "follow_redirects": block.get("follow_redirects", True) if http else False,
        "remember_cookies": False,
        "created_at": jsonapi.iso(shown.created_at),
        "updated_at": jsonapi.iso(shown.updated_at),
        "ssl_expiration": (block.get("tls_expiry_days") or None) if http else None,
        "domain_expiration": None,
        "regions": regions_in.shown(row),
        "expected_status_codes": (expected if isinstance(expected, list) else [expected]) if expected else [],
        "port": port,
        "confirmation_period": 0 if confirmation.failures <= 1 else round(
            confirmation.recheck_seconds * (confirmation.failures - 1)),
        "paused_at": jsonapi.iso(shown.paused_at),
        "paused": shown.status == "paused",
        "maintenance_from": None, "maintenance_to": None, "maintenance_timezone": None, "maintenance_days": [],
    })


@route("GET", "/api/v2/monitors", "monitors", "read",
       "Better Stack: list monitors, oldest first, page by page; url and pronounceable_name filter",
       query=MonitorQuery)
@speaks({})
async def list_monitors(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, MonitorQuery)
    urls = () if query.url is None else (query.url, f"icmp://{query.url}")
    rows, total = await context.read_conn.call(lambda conn: numbered.monitor_page(
        conn, number=query.page, size=query.per_page, urls=urls, name=query.pronounceable_name))
    return respond(jsonapi.page(request, [monitor_resource(row) for row in rows], query, total))


@route("POST", "/api/v2/monitors", "monitors", "create", "Better Stack: create a monitor", status=201,
       body=MonitorIn)
@speaks(MONITOR_FIELDS)
async def create_monitor(request: web.Request) -> web.Response:
    commands = _context(request).monitor_commands
    sent = await read_json(request, MonitorIn)
    known = regions_in.declared(_context(request).config)
    made = (await commands.create(into(monitor_body(sent, None, known), MonitorCreate, MONITOR_FIELDS))).row
    made = await _pause_or_resume(commands, made, sent.paused, lambda id: commands.pause(id, None))
    return respond(jsonapi.one(monitor_resource(made)), status=201)


@route("GET", "/api/v2/monitors/{id}", "monitors", "read", "Better Stack: a monitor")
@speaks({})
async def get_monitor(request: web.Request) -> web.Response:
    row = await _context(request).monitor_commands.get(request.match_info["id"])
    return respond(jsonapi.one(monitor_resource(row)))


@route("PATCH", "/api/v2/monitors/{id}", "monitors", "update",
       "Better Stack: update a monitor (only the fields given; paused pauses or resumes it)", body=MonitorIn)
@speaks(MONITOR_FIELDS)
async def update_monitor(request: web.Request) -> web.Response:
    commands = _context(request).monitor_commands
    row = await commands.get(request.match_info["id"])
    sent = await read_json(request, MonitorIn)
    body = monitor_body(sent, _shown(row), regions_in.declared(_context(request).config))
    if body:
        row = (await commands.update(row.id, into(body, MonitorUpdate, MONITOR_FIELDS))).row
    row = await _pause_or_resume(commands, row, sent.paused, lambda id: commands.pause(id, None))
    return respond(jsonapi.one(monitor_resource(row)))


@route("DELETE", "/api/v2/monitors/{id}", "monitors", "delete", "Better Stack: delete a monitor", status=204)
@speaks({})
async def delete_monitor(request: web.Request) -> web.Response:
    await _context(request).monitor_commands.delete(request.match_info["id"])
    return no_content()


@route("GET", "/api/v2/monitors/{id}/sla", "monitors", "read",
       "Better Stack: a monitor's availability summary since it was created, or from/to (dates)",
       query=SlaQuery)
async def monitor_sla(request: web.Request) -> web.Response:
    row, sla = await dated_sla(request, _context(request).monitor_commands)
    return respond(jsonapi.one(jsonapi.resource(row.id, "monitor_sla", {
        "availability": sla.availability,  # null: nothing counted yet
        "total_downtime": sla.downtime_duration,
        "number_of_incidents": sla.number_of_incidents,
        "longest_incident": sla.longest_incident_duration,
        "average_incident": sla.average_incident_duration,
    })))
