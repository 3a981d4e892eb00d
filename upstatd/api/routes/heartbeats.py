"""/api/heartbeats: heartbeats, their pings and their status.

- Like monitors: one from the config file (`managed_by: "config"`) can be read,
  paused and resumed over the API; changing or deleting it answers 409 naming
  the file and key. Bodies are validated by the file's own `parse_heartbeat`.
- The schedule is exactly one of `period_seconds`, `cron`, `oncalendar`; an
  update that sets one replaces the other.
- Every change reaches the running heartbeat when its transaction commits.
- `ping_url` carries the ping UUID: the URL is what a crontab needs, so it is
  shown on every read (a ping token can only report a job's runs).
"""

from __future__ import annotations

import sqlite3
import codecs
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from upstatd.api import metadata, pagination
from upstatd.api.bodies import read_json, read_query, respond
from upstatd.api.errors import conflict, invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.ping import default_spec
from upstatd.api.routes import route
from upstatd.config.check import SEVERITIES
from upstatd.config.heartbeats import METHODS, HeartbeatSpec, slugify
from upstatd.heartbeats import deadlines, specs
from upstatd.heartbeats.deadlines import KINDS as PING_KINDS
from upstatd.heartbeats.deadlines import STATES
from upstatd.heartbeats.schedule import KINDS as SCHEDULE_KINDS
from upstatd.heartbeats.schedule import Schedule
from upstatd.heartbeats.service import Beat
from upstatd.ids import new_id, parse_seq_id, seq_id
from upstatd.store import heartbeats as store
from upstatd.store.heartbeats import HeartbeatConflict, HeartbeatRow

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
STATUSES = ("active", "paused")
MANAGERS = ("config", "api")

Severity = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(SEVERITIES)})]
Methods = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(METHODS)})]
Seconds = Annotated[float, msgspec.Meta(description="seconds")]
# Bounded: a bound outside SQLite's 64-bit integers (times 1000) would be a 500, not a 400.
Timestamp = pagination.Timestamp


# -- shapes -----------------------------------------------------------------------------

class Heartbeat(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["heartbeat"]
    key: str | None
    name: str
    slug: str
    period_seconds: int | float | None      # exactly one of period_seconds, cron, oncalendar is set
    cron: str | None
    oncalendar: str | None
    timezone: str
    grace_seconds: int | float
    methods: Methods
    manual_resume: bool
    severity: Severity
    tags: list[str]
    metadata: dict[str, str]
    status: Literal["active", "paused"]
    current_state: Literal["new", "up", "late", "down"]
    started: bool
    ping_url: str
    slug_url: str
    last_ping_at: int | None
    next_expected_at: int | None
    last_duration_seconds: float | None
    managed_by: Literal["config", "api"]
    paused_at: int | None
    created_at: int
    updated_at: int


class DeletedHeartbeat(msgspec.Struct):
    id: str
    object: Literal["heartbeat"]
    deleted: bool


_FIELDS = [
    ("name", str | Unset, UNSET),
    ("slug", str | Unset, UNSET),
    ("period_seconds", Seconds | None | Unset, UNSET),
    ("cron", str | None | Unset, UNSET),
    ("oncalendar", str | None | Unset, UNSET),
    ("timezone", str | Unset, UNSET),
    ("grace_seconds", Seconds | Unset, UNSET),
    ("token", str | Unset, UNSET),
    ("methods", Methods | Unset, UNSET),
    ("manual_resume", bool | Unset, UNSET),
    ("severity", Severity | Unset, UNSET),
    ("tags", list[str] | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]
HeartbeatCreate = msgspec.defstruct("HeartbeatCreate", _FIELDS, kw_only=True, forbid_unknown_fields=True,
                                    module=__name__)
HeartbeatUpdate = msgspec.defstruct("HeartbeatUpdate", _FIELDS, kw_only=True, forbid_unknown_fields=True,
                                    module=__name__)


class NoBody(msgspec.Struct, forbid_unknown_fields=True):
    pass


def _enum(values) -> Any:
    return Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(values)})]


class HeartbeatListQuery(ListQuery, forbid_unknown_fields=True):
    status: _enum(STATUSES) | None = None
    current_state: _enum(STATES) | None = None
    schedule: _enum(SCHEDULE_KINDS) | None = None
    tag: str | None = None
    slug: str | None = None
    managed_by: _enum(MANAGERS) | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class Ping(msgspec.Struct):
    id: str
    object: Literal["ping"]
    heartbeat_id: str
    n: int                       # its number among the heartbeat's pings; /pings/{n}/body
    created_at: float            # Unix seconds, to the millisecond
    kind: _enum(PING_KINDS)
    exit_status: int | None
    rid: str | None
    duration_seconds: float | None
    method: str
    remote_addr: str | None
    user_agent: str | None
    body_size: int               # bytes received; the first pings.body_limit of them are kept


class PingListQuery(ListQuery, forbid_unknown_fields=True):
    kind: _enum(PING_KINDS) | None = None
    rid: str | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class HeartbeatStatus(msgspec.Struct):
    object: Literal["heartbeat_status"]
    heartbeat_id: str
    status: str
    current_state: str
    since: int
    started: bool
    started_at: int | None
    last_ping: Ping | None
    next_expected_at: int | None   # the next slot a ping is due by
    late_at: int | None            # when it turns late if nothing comes (null: it will not)
    down_at: int | None            # when it turns down if nothing comes (null: it will not)
    last_duration_seconds: float | None


HeartbeatList = pagination.list_of(Heartbeat, "HeartbeatList")
PingList = pagination.list_of(Ping, "PingList")


# -- conversions ------------------------------------------------------------------------------

def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def _number(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def base_url(context: Any) -> str:
    server = getattr(context.config, "server", None)
    if server is None:
        return ""
    if server.public_url:
        return server.public_url.rstrip("/")
    host = f"[{server.host}]" if ":" in server.host else server.host
    return f"http://{host}:{server.port}"


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _state(row: HeartbeatRow) -> deadlines.HeartbeatState:
    """The row's state with its next expected slot (from the stored schedule)."""
    schedule = Schedule(**row.spec["schedule"])
    return deadlines.restore(row.current_state, row.state_since / 1000, _s(row.last_ping_at),
                             _s(row.last_success_at), _s(row.started_at), row.start_rid,
                             _s(row.last_duration_ms), schedule)


def heartbeat_object(row: HeartbeatRow, context: Any) -> Heartbeat:
    schedule = row.spec["schedule"]
    kind = schedule["kind"]
    state = _state(row)
    expected = state.expected_at if row.current_state in ("up", "late") else None
    base = base_url(context)
    ping_key = getattr(context.heartbeats, "ping_key", "") if context.heartbeats is not None else ""
    return Heartbeat(
        id=row.id, object="heartbeat", key=row.key, name=row.name, slug=row.slug,
        period_seconds=_number(schedule["period"]) if kind == "period" else None,
        cron=schedule["expression"] if kind == "cron" else None,
        oncalendar=schedule["expression"] if kind == "oncalendar" else None,
        timezone=schedule["timezone"], grace_seconds=_number(row.spec["grace"]), methods=row.spec["methods"],
        manual_resume=row.spec["manual_resume"], severity=row.spec["severity"], tags=list(row.spec["tags"]),
        metadata=row.metadata, status=row.status, current_state=row.current_state,
        started=row.started_at is not None, ping_url=f"{base}/ping/{row.token}",
        slug_url=f"{base}/ping/{ping_key}/{row.slug}", last_ping_at=_seconds(row.last_ping_at),
        next_expected_at=None if expected is None else int(expected),
        last_duration_seconds=None if row.last_duration_ms is None else row.last_duration_ms / 1000,
        managed_by=row.managed_by, paused_at=_seconds(row.paused_at), created_at=_seconds(row.created_at),
        updated_at=_seconds(row.updated_at))


def ping_object(row: Any, heartbeat_id: str) -> Ping:
    (seq, n, created_at, kind, exit_status, rid, duration_ms, method, remote_addr, user_agent, body_size) = row
    return Ping(seq_id("png", seq), "ping", heartbeat_id, n, created_at / 1000, kind, exit_status, rid,
                None if duration_ms is None else duration_ms / 1000, method, remote_addr, user_agent, body_size)


# -- helpers ----------------------------------------------------------------------------------

def _context(request: web.Request) -> Any:
    from upstatd.api.server import CONTEXT
    return request.app[CONTEXT]


def _build(shape: dict) -> HeartbeatSpec:
    spec, problems = specs.build(shape)
    if problems:
        path, message = problems[0]
        param = specs.api_param(path)
        if param is None and "exactly one of" in message:
            # the file's names (`period`) as the API's; param: the first schedule given, else period_seconds
            given = [specs.api_param((name,)) for name in ("period", "cron", "oncalendar")
                     if shape.get(name) is not None]
            param = given[0] if given else "period_seconds"
            head, _, tail = message.partition(", got ")
            message = head.replace("period (", "period_seconds (") + ", got " + \
                (" and ".join(given) if given else tail)
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" \
            if len(problems) > 1 else ""
        raise invalid(f"{param}: {message}{more}" if param else f"{message}{more}", param)
    assert spec is not None
    return spec


def _find(conn: sqlite3.Connection, heartbeat_id: str) -> HeartbeatRow:
    row = store.get(conn, heartbeat_id)
    if row is None:
        raise not_found(f"no heartbeat with id '{heartbeat_id}'", "id")
    return row


def _editable(context: Any, row: HeartbeatRow, verb: str) -> None:
    if row.managed_by == "config":
        file = getattr(context.config, "file", "the config file")
        raise conflict(f"heartbeat {row.id} is managed by the config file {file} (heartbeats entry with key "
                       f"'{row.key}'), so it cannot be {verb} over the API: change it in {file} and "
                       f"reload (systemctl reload upstatd); pause and resume work over the API",
                       "managed_by_config")


def _service_key(row: HeartbeatRow) -> str:
    return row.key or row.id


def _apply_fields(shape: dict, body: Any) -> None:
    """Copy the fields the body sets into a heartbeat in the config file's form."""
    for field, name in (("name", "name"), ("slug", "slug"), ("timezone", "timezone"), ("grace_seconds", "grace"),
                        ("token", "token"), ("methods", "methods"), ("manual_resume", "manual_resume"),
                        ("severity", "severity"), ("tags", "tags")):
        value = getattr(body, field)
        if value is not UNSET:
            shape[name] = value
    given = {name: getattr(body, field) for field, name in (("period_seconds", "period"), ("cron", "cron"),
                                                            ("oncalendar", "oncalendar"))
             if getattr(body, field) is not UNSET}
    if any(value is not None for value in given.values()):
        for name in ("period", "cron", "oncalendar"):  # a new schedule replaces the old one
            shape.pop(name, None)
    for name, value in given.items():
        if value is None:
            shape.pop(name, None)
        else:
            shape[name] = value


def _check_slug(conn: sqlite3.Connection, slug: str, seq: int = 0) -> None:
    owner = store.slug_owner(conn, slug, seq)
    if owner is not None:
        raise conflict(f"slug '{slug}' is already used by heartbeat {owner}; slugs name one heartbeat in "
                       f"slug URLs", "slug_in_use", "slug")


async def insert(context: Any, heartbeat_id: str, spec: HeartbeatSpec, slug_given: bool = True) -> HeartbeatRow:
    """Store a new API heartbeat and run it. A slug made from the name gets a
    number (`backup-2`) when another heartbeat has it; a slug sent is a 409."""
    now_ms = context.now_ms()

    def add(conn: sqlite3.Connection) -> HeartbeatRow:
        nonlocal spec
        if not slug_given:
            base, number = spec.slug[:96], 2
            while store.slug_owner(conn, spec.slug) is not None and number < 10_000:
                spec = msgspec.structs.replace(spec, slug=f"{base}-{number}")
                number += 1
        _check_slug(conn, spec.slug)
        try:
            return store.insert(conn, heartbeat_id, spec, now_ms)
        except HeartbeatConflict as exc:
            raise conflict(str(exc), "token_in_use", "token") from None

    row = await context.writer.run(add)
    if context.heartbeats is not None:
        context.heartbeats.put(spec, row)
    return row


async def create_from_slug(context: Any, slug: str) -> Beat:
    """The heartbeat a slug URL with ?create=1 names (upstatd.api.ping)."""
    heartbeat_id = new_id("hbt")
    spec = _build({**default_spec(slug), "key": heartbeat_id})
    await insert(context, heartbeat_id, spec)
    return context.heartbeats.beats[heartbeat_id]


# -- routes ----------------------------------------------------------------------------------


@route("POST", "/api/heartbeats", "heartbeats", "create",
       "Create a heartbeat; its ping_url is ready at once", body=HeartbeatCreate, response=Heartbeat, status=201)
async def create(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, HeartbeatCreate)
    heartbeat_id = new_id("hbt")
    name = body.name if isinstance(body.name, str) else "heartbeat"
    shape: dict[str, Any] = {"key": heartbeat_id, "name": name, "slug": slugify(name)}
    _apply_fields(shape, body)
    shape["metadata"] = {} if body.metadata is UNSET else metadata.merge({}, metadata.validate(body.metadata))
    spec = _build(shape)
    row = await insert(context, heartbeat_id, spec, slug_given=body.slug is not UNSET)
    return respond(heartbeat_object(row, context), status=201)


@route("GET", "/api/heartbeats", "heartbeats", "read", "List heartbeats, newest first",
       query=HeartbeatListQuery, response=HeartbeatList)
async def list_heartbeats(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, HeartbeatListQuery)
    where, args = ["1"], []
    for param, options, column in (("status", STATUSES, "status"), ("current_state", STATES, "current_state"),
                                   ("managed_by", MANAGERS, "managed_by"),
                                   ("schedule", SCHEDULE_KINDS, "json_extract(spec, '$.schedule.kind')")):
        value = getattr(query, param)
        if value is None:
            continue
        if value not in options:
            raise invalid(f"{param} must be one of {', '.join(options)}, got '{value}'", param)
        where.append(f"{column} = ?")
        args.append(value)
    if query.slug is not None:
        where.append("slug = ?")
        args.append(query.slug)
    if query.tag is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(heartbeats.spec, '$.tags') WHERE value = ?)")
        args.append(query.tag)
    pagination.created_range(query, where, args)
    rows, has_more = await context.read_conn.call(pagination.page, store.TABLE, store.COLUMNS, query,
                                           " AND ".join(where), tuple(args))
    return respond(pagination.envelope([heartbeat_object(store.from_row(row), context) for row in rows],
                                       has_more, "/api/heartbeats"))




@route("GET", "/api/heartbeats/{id}", "heartbeats", "read", "Retrieve a heartbeat", response=Heartbeat)
async def retrieve(request: web.Request) -> web.Response:
    context = _context(request)
    return respond(heartbeat_object(await context.read_conn.call(_find, request.match_info["id"]), context))


async def _update(request: web.Request) -> web.Response:
    context = _context(request)
    heartbeat_id = request.match_info["id"]
    body = await read_json(request, HeartbeatUpdate)
    patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> tuple[HeartbeatRow, HeartbeatSpec]:
        row = _find(conn, heartbeat_id)
        _editable(context, row, "changed")
        shape = specs.shape(row)
        _apply_fields(shape, body)
        if patch is not None:
            shape["metadata"] = metadata.merge(row.metadata, patch)
        spec = _build(shape)
        if spec.slug != row.slug:
            _check_slug(conn, spec.slug, row.seq)
        try:
            return store.update(conn, row.seq, spec, spec.token or row.token, now_ms), spec
        except HeartbeatConflict as exc:
            raise conflict(str(exc), "token_in_use", "token") from None

    row, spec = await context.writer.run(change)
    if context.heartbeats is not None:
        beat = context.heartbeats.put(spec, row)
        if (beat.state.state, round(beat.state.since * 1000)) != (row.current_state, row.state_since):
            # the new schedule or grace made a deadline pass (flipped at once): answer with that state
            await context.writer.flush()
            row = await context.read_conn.call(store.by_seq, row.seq)
    return respond(heartbeat_object(row, context))


@route("PATCH", "/api/heartbeats/{id}", "heartbeats", "update",
       "Update a heartbeat: only the fields given change; metadata merges", body=HeartbeatUpdate,
       response=Heartbeat)
async def update(request: web.Request) -> web.Response:
    return await _update(request)


@route("PUT", "/api/heartbeats/{id}", "heartbeats", "update", "Same as PATCH (a partial update)",
       body=HeartbeatUpdate, response=Heartbeat)
async def replace(request: web.Request) -> web.Response:
    return await _update(request)


@route("DELETE", "/api/heartbeats/{id}", "heartbeats", "delete", "Delete a heartbeat with its pings",
       response=DeletedHeartbeat)
async def delete(request: web.Request) -> web.Response:
    context = _context(request)
    heartbeat_id = request.match_info["id"]
    row = await context.read_conn.call(_find, heartbeat_id)
    _editable(context, row, "deleted")
    service = context.heartbeats
    beat = service.beats.get(_service_key(row)) if service is not None else None
    if service is not None:
        service.remove(_service_key(row))  # stopped first: no ping lands after its rows go

    def remove(conn: sqlite3.Connection) -> Any:
        current = _find(conn, heartbeat_id)
        event = None if context.bus is None else context.bus.record(
            conn, "heartbeat.deleted", msgspec.to_builtins(heartbeat_object(current, context)), context.clock.time())
        store.delete_history(conn, [current.seq])
        return event

    try:
        event = await context.writer.run(remove)
        if event is not None:
            context.bus.publish(event)
    except BaseException:
        if beat is not None:
            service.reinstate(beat)
        raise
    return respond(DeletedHeartbeat(heartbeat_id, "heartbeat", True))


@route("POST", "/api/heartbeats/{id}/pause", "heartbeats", "update",
       "Pause a heartbeat (config ones too): no alarms until it is resumed or, unless manual_resume, pinged",
       body=NoBody, response=Heartbeat)
async def pause(request: web.Request) -> web.Response:
    context = _context(request)
    heartbeat_id = request.match_info["id"]
    await read_json(request, NoBody)
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> HeartbeatRow:
        row = _find(conn, heartbeat_id)
        return store.pause(conn, row.seq, now_ms)

    row = await context.writer.run(change)
    if context.heartbeats is not None:
        context.heartbeats.pause(_service_key(row))
    return respond(heartbeat_object(row, context))


@route("POST", "/api/heartbeats/{id}/resume", "heartbeats", "update",
       "Resume a paused heartbeat: it is `new` again until its next ping", body=NoBody, response=Heartbeat)
async def resume(request: web.Request) -> web.Response:
    context = _context(request)
    heartbeat_id = request.match_info["id"]
    await read_json(request, NoBody)
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> tuple[HeartbeatRow, bool]:
        row = _find(conn, heartbeat_id)
        if row.status != "paused":
            return row, False
        for sql, params in store.resume_statements(row.seq, now_ms, "new", now_ms):
            conn.execute(sql, params)
        return store.by_seq(conn, row.seq), True

    row, was_paused = await context.writer.run(change)
    if was_paused and context.heartbeats is not None:
        state = context.heartbeats.resume(_service_key(row))
        if state is not None:
            await context.writer.flush()  # the flip to `new` (if any) is in the row we answer with
            row = await context.read_conn.call(store.by_seq, row.seq)
    return respond(heartbeat_object(row, context))


@route("GET", "/api/heartbeats/{id}/status", "heartbeats", "read",
       "Current state, last ping, next expected ping, when it turns late and down, last run's duration",
       response=HeartbeatStatus)
async def status(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(_find, request.match_info["id"])
    last = await conn.execute_fetchall(
        f"SELECT {store.PING_COLUMNS} FROM pings WHERE heartbeat_seq = ? ORDER BY seq DESC LIMIT 1", (row.seq,))
    state = _state(row)
    late_at = down_at = None
    change = None if row.status == "paused" else deadlines.next_change(state, row.spec["grace"])
    if change is not None:
        if change[1] == "late":
            late_at = change[0]
            down_at = deadlines.next_change(state._replace(state="late"), row.spec["grace"])[0]
        else:
            down_at = change[0]
    expected = state.expected_at if row.current_state in ("up", "late") else None
    return respond(HeartbeatStatus(
        "heartbeat_status", row.id, row.status, row.current_state, row.state_since // 1000,
        row.started_at is not None, _seconds(row.started_at),
        ping_object(last[0], row.id) if last else None,
        None if expected is None else int(expected), None if late_at is None else int(late_at),
        None if down_at is None else int(down_at),
        None if row.last_duration_ms is None else row.last_duration_ms / 1000))


@route("GET", "/api/heartbeats/{id}/pings", "heartbeats", "read", "List a heartbeat's pings, newest first",
       query=PingListQuery, response=PingList)
async def list_pings(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(_find, request.match_info["id"])
    query = read_query(request, PingListQuery)
    pagination.check(query)
    where, args = ["heartbeat_seq = ?"], [row.seq]
    if query.kind is not None:
        if query.kind not in PING_KINDS:
            raise invalid(f"kind must be one of {', '.join(PING_KINDS)}, got '{query.kind}'", "kind")
        where.append("kind = ?")
        args.append(query.kind)
    if query.rid is not None:
        where.append("rid = ?")
        args.append(query.rid.lower())
    pagination.created_range(query, where, args)

    def cursor_seq(db: sqlite3.Connection, cursor: str) -> int | None:
        seq = parse_seq_id("png", cursor)
        found = seq is not None and db.execute(
            "SELECT 1 FROM pings WHERE seq = ? AND heartbeat_seq = ?", (seq, row.seq)).fetchall()
        return seq if found else None

    rows, has_more = await conn.call(pagination.page, "pings", store.PING_COLUMNS, query, " AND ".join(where),
                                           tuple(args), cursor_seq)
    return respond(pagination.envelope([ping_object(item, row.id) for item in rows], has_more,
                                       f"/api/heartbeats/{row.id}/pings"))


@route("GET", "/api/heartbeats/{id}/pings/{n}/body", "heartbeats", "read",
       "A ping's body as received (the first pings.body_limit bytes): text/plain if it is UTF-8")
async def ping_body(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(_find, request.match_info["id"])
    n_text = request.match_info["n"]
    if not n_text.isdigit() or not n_text.isascii() or len(n_text) > 18:
        raise invalid(f"n must be a ping number (1, 2, ...), got '{n_text[:40]}'", "n")
    found = await conn.execute_fetchall("SELECT body, body_size FROM pings WHERE heartbeat_seq = ? AND n = ?",
                                        (row.seq, int(n_text)))
    if not found:
        raise not_found(f"heartbeat {row.id} has no ping number {n_text} (old pings are pruned beyond "
                        f"pings.keep)", "n")
    body, size = found[0]
    if body is None:
        raise not_found(f"ping {n_text} of heartbeat {row.id} has no body", "n")
    try:
        # a body cut at pings.body_limit may end inside a character: still text
        codecs.getincrementaldecoder("utf-8")().decode(body, final=size <= len(body))
        content_type, charset = "text/plain", "utf-8"
    except UnicodeDecodeError:
        content_type, charset = "application/octet-stream", None
    return web.Response(body=body, content_type=content_type, charset=charset)
