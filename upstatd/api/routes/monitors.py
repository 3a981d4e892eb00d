"""/api/monitors: monitors, their status and their checks.

- A monitor made over the API (`managed_by: "api"`, `key: null`) lives only in
  the database; one from the config file (`managed_by: "config"`) can be read,
  paused and resumed, but PATCH/PUT/DELETE answer 409 naming the file and key.
- Bodies are validated by the config file's own `parse_monitor` (through
  upstatd.monitors.specs), so the API accepts exactly what YAML accepts; a
  problem's key path becomes `param` (`http.method`, `interval_seconds`).
- Every change reaches the scheduler as soon as its transaction commits:
  a new, changed or resumed monitor is probed within half a second.
- PUT is a partial update, the same as PATCH; `type` cannot change.
- Secrets in type options (HTTP `auth`, `Authorization`/`Cookie` headers) are
  shown as "********"; sending that value back keeps the stored secret.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from upstatd.api import metadata, pagination
from upstatd.api.bodies import future_ms, read_json, read_query, respond
from upstatd.api.errors import conflict, invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import route
from upstatd.config.schema import SEVERITIES, Defaults, MonitorSpec
from upstatd.ids import new_id, parse_seq_id, seq_id
from upstatd.monitors import specs
from upstatd.monitors.evaluate import STATES
from upstatd.probes import PROBES, ProbeSetupError
from upstatd.store import monitors as store
from upstatd.store import uptime as figures
from upstatd.store.monitors import MonitorRow

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
CURRENT_STATES = (*STATES, "maintenance")
STATUSES = ("active", "paused")
MANAGERS = ("config", "api")

Options = Annotated[dict[str, Any], msgspec.Meta(
    description="The type's options, exactly as under the type's key in the config file "
                "(docs/configuration.md)")]
TypeName = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(PROBES)})]
Severity = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SEVERITIES)})]
Seconds = Annotated[float, msgspec.Meta(description="seconds")]
Timestamp = pagination.Timestamp


# -- shapes ---------------------------------------------------------------------------

class MonitorConfirmation(msgspec.Struct):
    failures: int
    successes: int
    recheck_seconds: int | float


Monitor = msgspec.defstruct("Monitor", [
    ("id", str),
    ("object", Literal["monitor"]),
    ("key", str | None),
    ("name", str),
    ("type", TypeName),
    ("url", str),
    ("interval_seconds", int | float),
    ("timeout_seconds", int | float),
    ("confirmation", MonitorConfirmation),
    ("severity", Severity),
    ("tags", list[str]),
    ("metadata", dict[str, str]),
    # exactly one of these: the block named after the monitor's type
    *((kind, Options | Unset, UNSET) for kind in PROBES),
    ("status", Literal["active", "paused"]),
    ("current_state", Literal[CURRENT_STATES]),
    ("managed_by", Literal["config", "api"]),
    ("paused_at", int | None),
    ("resume_at", int | None),
    ("last_check_at", int | None),
    ("created_at", int),
    ("updated_at", int),
], kw_only=True, module=__name__)


class DeletedMonitor(msgspec.Struct):
    id: str
    object: Literal["monitor"]
    deleted: bool


class MonitorConfirmationIn(msgspec.Struct, forbid_unknown_fields=True):
    failures: int | Unset = UNSET
    successes: int | Unset = UNSET
    recheck_seconds: Seconds | Unset = UNSET


_FIELDS = [
    ("name", str | Unset, UNSET),
    ("interval_seconds", Seconds | Unset, UNSET),
    ("timeout_seconds", Seconds | Unset, UNSET),
    ("confirmation", MonitorConfirmationIn | Unset, UNSET),
    ("severity", Severity | Unset, UNSET),
    ("tags", list[str] | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]
MonitorCreate = msgspec.defstruct("MonitorCreate", [
    ("type", TypeName), ("url", str), *_FIELDS,
    *((kind, Options | Unset, UNSET) for kind in PROBES),
], kw_only=True, forbid_unknown_fields=True, module=__name__)
MonitorUpdate = msgspec.defstruct("MonitorUpdate", [
    ("type", TypeName | Unset, UNSET), ("url", str | Unset, UNSET), *_FIELDS,
    # merged key by key into the stored block; a key set to null goes back to its default
    *((kind, Options | None | Unset, UNSET) for kind in PROBES),
], kw_only=True, forbid_unknown_fields=True, module=__name__)


class NoBody(msgspec.Struct, forbid_unknown_fields=True):
    pass


class PauseBody(msgspec.Struct, forbid_unknown_fields=True):
    # resume by itself then; null: stay paused until resumed (future_ms checks the range, in words)
    resume_at: int | None = None


class MonitorListQuery(ListQuery, forbid_unknown_fields=True):
    status: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATUSES)})] | None = None
    current_state: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(CURRENT_STATES)})] | None = None
    type: TypeName | None = None
    tag: str | None = None
    managed_by: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(MANAGERS)})] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class CheckPhases(msgspec.Struct):
    resolve_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    first_byte_ms: float | None
    transfer_ms: float | None


class Check(msgspec.Struct):
    id: str
    object: Literal["check"]
    monitor_id: str
    created_at: int
    ok: bool
    state: str
    latency_ms: float
    status_code: int | None
    error_kind: str | None
    error_message: str | None
    phases: CheckPhases
    details: dict[str, Any] | None


class CheckListQuery(ListQuery, forbid_unknown_fields=True):
    ok: bool | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


MonitorList = pagination.list_of(Monitor, "MonitorList")
CheckList = pagination.list_of(Check, "CheckList")


class MonitorLatency(msgspec.Struct):
    p50_ms: float | None   # over the good (ok) checks of the last 24 hours
    p95_ms: float | None
    checks: int            # how many checks those are


class MonitorStatus(msgspec.Struct):
    object: Literal["monitor_status"]
    monitor_id: str
    status: str
    current_state: str
    since: int
    last_check: Check | None
    uptime_24h: float | None    # percent of counted time up (or degraded); null: nothing counted
    uptime_7d: float | None
    uptime_30d: float | None
    last_incident_at: int | None  # when the newest incident affecting it started
    latency_24h: MonitorLatency


# -- conversions -------------------------------------------------------------------------

def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def _number(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def monitor_object(row: MonitorRow) -> Any:
    confirmation = row.spec["confirmation"]
    block = {row.type: specs.redact(row.type, row.spec.get(row.type) or {})}
    return Monitor(
        id=row.id, object="monitor", key=row.key, name=row.name, type=row.type, url=row.url,
        interval_seconds=_number(row.interval_ms / 1000), timeout_seconds=_number(row.timeout_ms / 1000),
        confirmation=MonitorConfirmation(confirmation["failures"], confirmation["successes"],
                                  _number(confirmation["recheck"])),
        severity=row.spec["severity"], tags=list(row.spec["tags"]), metadata=row.metadata, **block,
        status=row.status, current_state=row.current_state, managed_by=row.managed_by,
        paused_at=_seconds(row.paused_at), resume_at=_seconds(row.resume_at),
        last_check_at=_seconds(row.last_check_at), created_at=_seconds(row.created_at),
        updated_at=_seconds(row.updated_at))


def _ms(us: int | None) -> float | None:
    return None if us is None else us / 1000


def check_object(row: Any, monitor_id: str) -> Check:
    (seq, created_at, ok, state, latency_us, status_code, error_kind, error_message,
     resolve_us, connect_us, tls_us, first_byte_us, transfer_us, details) = row
    return Check(seq_id("chk", seq), "check", monitor_id, created_at // 1000, bool(ok), state,
                 latency_us / 1000, status_code, error_kind, error_message,
                 CheckPhases(_ms(resolve_us), _ms(connect_us), _ms(tls_us), _ms(first_byte_us), _ms(transfer_us)),
                 None if details is None else msgspec.json.decode(details))


# -- helpers -------------------------------------------------------------------------------

def _context(request: web.Request) -> Any:
    from upstatd.api.server import CONTEXT
    return request.app[CONTEXT]


def _defaults(context: Any) -> Defaults:
    return getattr(context.config, "defaults", None) or Defaults()


def _build(shape: dict, defaults: Defaults) -> MonitorSpec:
    spec, problems = specs.build(shape, defaults)
    if problems:
        path, message = problems[0]
        param = specs.api_param(path)
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" \
            if len(problems) > 1 else ""
        raise invalid(f"{param}: {message}{more}" if param else f"{message}{more}", param)
    assert spec is not None
    return spec


async def _open_type(context: Any, kind: str) -> None:
    service = context.monitors
    if service is not None and service.open_probe_type is not None:
        try:
            await service.open_probe_type(kind)
        except ProbeSetupError as exc:
            raise invalid(f"{kind} monitors cannot run on this host: {exc}", "type",
                          code="probe_type_unavailable") from None


def _find(conn: sqlite3.Connection, monitor_id: str) -> MonitorRow:
    row = store.get(conn, monitor_id)
    if row is None:
        raise not_found(f"no monitor with id '{monitor_id}'", "id")
    return row


def _editable(context: Any, row: MonitorRow, verb: str) -> None:
    if row.managed_by == "config":
        file = getattr(context.config, "file", "the config file")
        raise conflict(f"monitor {row.id} is managed by the config file {file} (monitors entry with key "
                       f"'{row.key}'), so it cannot be {verb} over the API: change it in {file} and "
                       f"reload (systemctl reload upstatd); pause and resume work over the API",
                       "managed_by_config")


def _record(context: Any, conn: sqlite3.Connection, type: str, row: MonitorRow) -> Any:
    """monitor.created/updated/paused/unpaused/deleted, in the change's transaction."""
    if context.bus is None:
        return None
    return context.bus.record(conn, type, msgspec.to_builtins(monitor_object(row)), context.clock.time())


def _publish(context: Any, event: Any) -> None:
    if event is not None:
        context.bus.publish(event)


def _scheduler_key(row: MonitorRow) -> str:
    return row.key or row.id


def _apply_fields(shape: dict, body: Any) -> None:
    """Copy the fields the body sets into a monitor in the config file's form."""
    if body.name is not UNSET:
        shape["name"] = body.name
    if body.url is not UNSET:
        shape["url"] = body.url
    if body.interval_seconds is not UNSET:
        shape["interval"] = body.interval_seconds
    if body.timeout_seconds is not UNSET:
        shape["timeout"] = body.timeout_seconds
    if body.confirmation is not UNSET:
        confirmation = dict(shape.get("confirmation") or {})
        for name, key in (("failures", "failures"), ("successes", "successes"),
                          ("recheck_seconds", "recheck")):
            value = getattr(body.confirmation, name)
            if value is not UNSET:
                confirmation[key] = value
        shape["confirmation"] = confirmation
    if body.severity is not UNSET:
        shape["severity"] = body.severity
    if body.tags is not UNSET:
        shape["tags"] = body.tags


# -- routes -------------------------------------------------------------------------------

@route("POST", "/api/monitors", "monitors", "create", "Create a monitor; it is probed within a second",
       body=MonitorCreate, response=Monitor, status=201)
async def create(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, MonitorCreate)
    monitor_id = new_id("mon")
    shape: dict[str, Any] = {"key": monitor_id, "type": body.type, "url": body.url,
                             "name": body.url[:200] if body.url else body.url}
    _apply_fields(shape, body)
    labels = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
    shape["metadata"] = labels
    for kind in PROBES:
        block = getattr(body, kind)
        if block is not UNSET:
            shape[kind] = block
    spec = _build(shape, _defaults(context))
    await _open_type(context, spec.type)
    now_ms = context.now_ms()

    def add(conn: sqlite3.Connection) -> tuple[MonitorRow, Any]:
        row = store.insert(conn, monitor_id, spec, now_ms)
        return row, _record(context, conn, "monitor.created", row)

    row, event = await context.writer.run(add)
    _publish(context, event)
    if context.monitors is not None:
        context.monitors.put(spec, row.stored())
    return respond(monitor_object(row), status=201)


@route("GET", "/api/monitors", "monitors", "read", "List monitors, newest first", query=MonitorListQuery,
       response=MonitorList)
async def list_monitors(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, MonitorListQuery)
    where, args = ["1"], []
    for param, options, column in (("status", STATUSES, "status"),
                                   ("current_state", CURRENT_STATES, "current_state"),
                                   ("type", tuple(PROBES), "type"),
                                   ("managed_by", MANAGERS, "managed_by")):
        value = getattr(query, param)
        if value is None:
            continue
        if value not in options:
            raise invalid(f"{param} must be one of {', '.join(options)}, got '{value}'", param)
        where.append(f"{column} = ?")
        args.append(value)
    if query.tag is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(monitors.spec, '$.tags') WHERE value = ?)")
        args.append(query.tag)
    pagination.created_range(query, where, args)
    rows, has_more = await context.read_conn.call(pagination.page, store.TABLE, store.COLUMNS, query,
                                           " AND ".join(where), tuple(args))
    return respond(pagination.envelope([monitor_object(store.from_row(row)) for row in rows], has_more,
                                       "/api/monitors"))




@route("GET", "/api/monitors/{id}", "monitors", "read", "Retrieve a monitor", response=Monitor)
async def retrieve(request: web.Request) -> web.Response:
    row = await _context(request).read_conn.call(_find, request.match_info["id"])
    return respond(monitor_object(row))


async def _update(request: web.Request) -> web.Response:
    context = _context(request)
    monitor_id = request.match_info["id"]
    body = await read_json(request, MonitorUpdate)
    patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
    defaults = _defaults(context)
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> tuple[MonitorRow, MonitorSpec]:
        row = _find(conn, monitor_id)
        _editable(context, row, "changed")
        if body.type is not UNSET and body.type != row.type:
            raise invalid(f"type cannot change (this monitor is {row.type}); create a new {body.type} "
                          f"monitor and delete this one", "type")
        shape = specs.shape(row)
        _apply_fields(shape, body)
        if body.interval_seconds is not UNSET and body.timeout_seconds is UNSET and \
                isinstance(body.interval_seconds, (int, float)):
            # as for a timeout left to the defaults in the file: never longer than the interval
            shape["timeout"] = min(shape["timeout"], body.interval_seconds)
        if patch is not None:
            shape["metadata"] = metadata.merge(row.metadata, patch)
        for kind in PROBES:
            block = getattr(body, kind)
            if block is UNSET:
                continue
            if kind != row.type:
                shape[kind] = block  # parse_monitor names the mistake
                continue
            old = shape.get(kind) or {}
            merged = {} if block is None else {**old, **block}
            merged = {key: value for key, value in merged.items() if value is not None}
            shape[kind] = specs.keep_secrets(kind, merged, old)
        spec = _build(shape, defaults)
        row = store.update(conn, row.seq, spec, now_ms)
        return row, spec, _record(context, conn, "monitor.updated", row)

    row, spec, event = await context.writer.run(change)
    _publish(context, event)
    await _open_type(context, spec.type)
    if context.monitors is not None:
        context.monitors.put(spec, row.stored())
    return respond(monitor_object(row))


@route("PATCH", "/api/monitors/{id}", "monitors", "update",
       "Update a monitor: only the fields given change; type blocks and metadata merge",
       body=MonitorUpdate, response=Monitor)
async def update(request: web.Request) -> web.Response:
    return await _update(request)


@route("PUT", "/api/monitors/{id}", "monitors", "update", "Same as PATCH (a partial update)",
       body=MonitorUpdate, response=Monitor)
async def replace(request: web.Request) -> web.Response:
    return await _update(request)


@route("DELETE", "/api/monitors/{id}", "monitors", "delete", "Delete a monitor and its history",
       response=DeletedMonitor)
async def delete(request: web.Request) -> web.Response:
    context = _context(request)
    monitor_id = request.match_info["id"]
    # Stopped before its rows go, so that no result of it lands after them.
    row = await context.read_conn.call(_find, monitor_id)
    _editable(context, row, "deleted")
    service = context.monitors
    running = service.monitors.get(_scheduler_key(row)) if service is not None else None
    if service is not None:
        service.remove(_scheduler_key(row))

    def remove(conn: sqlite3.Connection) -> Any:
        current = _find(conn, monitor_id)
        event = _record(context, conn, "monitor.deleted", current)
        store.delete_history(conn, [current.seq])
        return event

    try:
        _publish(context, await context.writer.run(remove))
    except BaseException:
        if running is not None:  # still there: run it again
            service.put(running.spec, row.stored(), running.managed_by, probe_soon=False)
        raise
    return respond(DeletedMonitor(monitor_id, "monitor", True))


@route("POST", "/api/monitors/{id}/pause", "monitors", "update",
       "Pause a monitor (config ones too); with resume_at it resumes by itself then",
       body=PauseBody, response=Monitor)
async def pause(request: web.Request) -> web.Response:
    context = _context(request)
    monitor_id = request.match_info["id"]
    body = await read_json(request, PauseBody)
    now_ms = context.now_ms()
    resume_at_ms = future_ms(body.resume_at, now_ms, "resume_at")

    def change(conn: sqlite3.Connection) -> tuple[MonitorRow, Any]:
        row = _find(conn, monitor_id)
        paused = store.pause(conn, row.seq, now_ms, resume_at_ms)
        return paused, _record(context, conn, "monitor.paused", paused)

    row, event = await context.writer.run(change)
    _publish(context, event)
    if context.monitors is not None:
        context.monitors.pause(_scheduler_key(row), None if resume_at_ms is None else resume_at_ms / 1000)
    return respond(monitor_object(row))


@route("POST", "/api/monitors/{id}/resume", "monitors", "update",
       "Resume a paused monitor: probed within a second, then on its interval", response=Monitor)
async def resume(request: web.Request) -> web.Response:
    context = _context(request)
    monitor_id = request.match_info["id"]
    await read_json(request, NoBody)  # no parameters: refuse unknown ones
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> tuple[MonitorRow, bool, Any]:
        row = _find(conn, monitor_id)
        resumed = store.resume(conn, row.seq, now_ms)
        was_paused = row.status == "paused"
        return resumed, was_paused, _record(context, conn, "monitor.unpaused", resumed) if was_paused else None

    row, was_paused, event = await context.writer.run(change)
    _publish(context, event)
    if was_paused and context.monitors is not None:
        context.monitors.resume(_scheduler_key(row))
    return respond(monitor_object(row))


@route("GET", "/api/monitors/{id}/status", "monitors", "read",
       "Current state, last check, uptime over 24 h / 7 d / 30 d and latency over 24 h",
       response=MonitorStatus)
async def status(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(_find, request.match_info["id"])
    numbers = await conn.call(figures.monitor_figures, row.seq, row.created_at, context.now_ms())
    last = numbers.last_check
    started = await conn.execute_fetchall(
        "SELECT max(i.started_at) FROM incident_monitors AS m JOIN incidents AS i ON i.seq = m.incident_seq "
        "WHERE m.monitor_id = ?", (row.id,))
    last_incident_ms = started[0][0] if started else None
    return respond(MonitorStatus(
        "monitor_status", row.id, row.status, row.current_state, row.state_since // 1000,
        None if last is None else check_object(last, row.id),
        numbers.uptime["24h"], numbers.uptime["7d"], numbers.uptime["30d"], _seconds(last_incident_ms),
        MonitorLatency(numbers.p50_ms, numbers.p95_ms, numbers.latency_checks)))


@route("GET", "/api/monitors/{id}/checks", "monitors", "read", "List a monitor's checks, newest first",
       query=CheckListQuery, response=CheckList)
async def list_checks(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(_find, request.match_info["id"])
    query = read_query(request, CheckListQuery)
    pagination.check(query)
    where, args = ["monitor_seq = ?"], [row.seq]
    if query.ok is not None:
        where.append("ok = ?")
        args.append(int(query.ok))
    pagination.created_range(query, where, args)

    def cursor_seq(db: sqlite3.Connection, cursor: str) -> int | None:
        # chk_ ids are derived from the row's seq (ids.seq_id): decode, then check it is this monitor's
        seq = parse_seq_id("chk", cursor)
        found = seq is not None and db.execute(
            "SELECT 1 FROM checks WHERE seq = ? AND monitor_seq = ?", (seq, row.seq)).fetchall()
        return seq if found else None

    rows, has_more = await conn.call(pagination.page, "checks", figures.CHECK_COLUMNS, query,
                                           " AND ".join(where), tuple(args), cursor_seq)
    return respond(pagination.envelope([check_object(item, row.id) for item in rows], has_more,
                                       f"/api/monitors/{row.id}/checks"))
