"""The public shape of a heartbeat and its pings: one serializer each, used for
API answers, the `data.object` of heartbeat events (and so webhooks), and the
OpenAPI document; and the shapes the API accepts for a heartbeat.

`ping_url` carries the ping UUID: the URL is what a crontab needs, so it is
shown on every read (a ping token can only report a job's runs).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

import msgspec

from upstatd.shapes import (LABEL_FIELDS, ChannelShown, routing_shown, UNSET, Severity, Unset, across, at_most_one_of, number, rule, seconds,
                            seconds_between)
from upstatd.groups.public import GroupId
from upstatd.config.heartbeats import METHODS, SLUG_PATTERN, YEAR
from upstatd.heartbeats.schedule import CRON_PATTERN, ONCALENDAR_PATTERN, TIMEZONES
from upstatd.heartbeats import deadlines
from upstatd.heartbeats.deadlines import KINDS as PING_KINDS
from upstatd.heartbeats.keywords import MAX_KEYWORD_LEN, MAX_KEYWORDS, OTHERWISE
from upstatd.heartbeats.schedule import Schedule
from upstatd.ids import seq_id
from upstatd.store.heartbeats import MANAGERS, STATUSES, HeartbeatRow  # noqa: F401  (the routes' filters)


class Links(NamedTuple):
    """Where a heartbeat's ping URLs point: the public base URL and the slug URLs' ping key."""
    base: str
    ping_key: str


def base_url(server: Any) -> str:
    if server.public_url:
        return server.public_url.rstrip("/")
    host = f"[{server.host}]" if ":" in server.host else server.host
    return f"http://{host}:{server.port}"


def _enum(values) -> Any:
    return Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(values)})]



Methods = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(METHODS)})]
Otherwise = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(OTHERWISE)})]
# not blank: config/heartbeats.py says so in its words, the document by pattern
Keywords = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEYWORD_LEN), rule(pattern=r"\S")]],
                     msgspec.Meta(max_length=MAX_KEYWORDS)]


class BodyKeywords(msgspec.Struct, kw_only=True):
    """What a success ping's body says: the first list with a keyword in the body
    (failure, then success, then start; case-insensitive) decides, else `otherwise`."""
    start: Keywords
    success: Keywords
    failure: Keywords
    otherwise: Otherwise


class BodyKeywordsInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """At least one keyword in all; `otherwise` defaults to ignore when success
    keywords are given, else to success."""
    start: Keywords | Unset = UNSET
    success: Keywords | Unset = UNSET
    failure: Keywords | Unset = UNSET
    otherwise: Otherwise | Unset = UNSET


class HeartbeatStats(msgspec.Struct):
    """A list item's figures (the list's alone: an event or a change's answer has null): the
    percent of counted time up, late (inside the grace) counting as up; new and paused time
    are left out. Null: nothing counted."""
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_30d: float | None


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
    body_keywords: BodyKeywords | None
    severity: Severity
    tags: list[str]
    alert_channels: list[ChannelShown] | None
    reminder_interval_seconds: int | float | None
    metadata: dict[str, str]
    group_id: str | None                    # grp_…: its heartbeat group
    escalation_policy: str | None           # esc_…: its incidents' policy; null: the default
    service_id: str | None                  # svc_…: the catalog service it belongs to
    status: Literal["active", "paused"]
    current_state: Literal["new", "up", "late", "down"]
    since: int                              # when it entered current_state
    stats: HeartbeatStats | None
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


# The bounds of config/heartbeats.py parse_heartbeat, documented only (its messages are the
# API's); openapi.py adds the rule across fields: exactly one of period_seconds, cron, oncalendar.
Name = Annotated[str, rule(minLength=1, maxLength=200)]
Slug = Annotated[str, rule(pattern=f"^{SLUG_PATTERN}$")]
Period = seconds_between(1, YEAR)
Grace = seconds_between(0, YEAR)
Cron = Annotated[str, rule(pattern=CRON_PATTERN, description=(
    "A 5-field cron expression (minute hour day-of-month month day-of-week). The pattern is the "
    "numeric form (values, lists, */step); names (MON, JAN), ranges and @daily work too"))]
OnCalendar = Annotated[str, rule(pattern=ONCALENDAR_PATTERN, description=(
    "A systemd OnCalendar expression. The pattern is a common subset ([weekdays] [*-*-*] hh:mm[:ss], "
    "daily, weekly, ...); every form of systemd.time(7) that fires again works"))]
Timezone = Annotated[str, rule(enum=TIMEZONES, description="An IANA time zone name; default UTC")]
Uuid = Annotated[str, rule(pattern="^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
                           description="The ping UUID; generated when absent")]

_FIELDS = [
    ("name", Name | Unset, UNSET),
    ("slug", Slug | Unset, UNSET),
    ("period_seconds", Period | None | Unset, UNSET),
    ("cron", Cron | None | Unset, UNSET),
    ("oncalendar", OnCalendar | None | Unset, UNSET),
    ("timezone", Timezone | Unset, UNSET),
    ("grace_seconds", Grace | Unset, UNSET),
    ("token", Uuid | Unset, UNSET),
    ("methods", Methods | Unset, UNSET),
    ("manual_resume", bool | Unset, UNSET),
    ("body_keywords", BodyKeywordsInput | None | Unset, UNSET),   # null: none
    *LABEL_FIELDS,
    ("group_id", GroupId | None | Unset, UNSET),
]
HeartbeatCreate = msgspec.defstruct("HeartbeatCreate", _FIELDS, kw_only=True, forbid_unknown_fields=True,
                                    module=__name__)
HeartbeatUpdate = msgspec.defstruct("HeartbeatUpdate", _FIELDS, kw_only=True, forbid_unknown_fields=True,
                                    module=__name__)
SCHEDULE_FIELDS = ("period_seconds", "cron", "oncalendar")


def _exactly_one_schedule() -> dict:
    """parse_schedule: exactly one of them set (null is not set)."""
    def only(field: str, kind: str) -> dict:
        return {"required": [field], "properties": {
            other: {"type": kind} if other == field else {"type": "null"} for other in SCHEDULE_FIELDS}}
    return {"oneOf": [only("period_seconds", "number"), only("cron", "string"), only("oncalendar", "string")]}


across(HeartbeatCreate, _exactly_one_schedule)
across(BodyKeywordsInput, {"anyOf": [{"required": [name], "properties": {name: {"minItems": 1}}}
                                     for name in ("start", "success", "failure")]})  # a keyword in all
across(HeartbeatUpdate, lambda: at_most_one_of(*SCHEDULE_FIELDS))  # a new schedule replaces the old one


class Ping(msgspec.Struct):
    id: str
    object: Literal["ping"]
    heartbeat_id: str
    n: int                       # its number among the heartbeat's pings; /pings/{n}/body
    created_at: int              # Unix seconds
    created_at_ms: int           # the same, in milliseconds (pings come faster than a second)
    kind: _enum(PING_KINDS)
    exit_status: int | None
    rid: str | None
    duration_seconds: float | None
    method: str
    remote_addr: str | None      # the client's, or X-Forwarded-For's from a trusted proxy
    user_agent: str | None
    body_size: int               # bytes received; the first pings.body_limit of them are kept
    scheme: str | None           # http or https (X-Forwarded-Proto via a trusted proxy); null: stored before


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


class HeartbeatSla(msgspec.Struct, kw_only=True):
    """A window's figures as a monitor's MonitorSla has them, without checks and response
    times: a heartbeat's up and down are its pings' deadlines."""
    object: Literal["heartbeat_sla"]
    heartbeat_id: str
    from_: int = msgspec.field(name="from")
    to: int
    availability: float | None             # null: nothing counted in the window
    downtime_duration: int                 # seconds
    number_of_incidents: int
    longest_incident_duration: int
    average_incident_duration: int


def sla_object(heartbeat_id: str, start_ms: int, end_ms: int, figures: Any) -> HeartbeatSla:
    """`figures`: store.sla.Availability."""
    return HeartbeatSla(
        object="heartbeat_sla", heartbeat_id=heartbeat_id, from_=start_ms // 1000, to=end_ms // 1000,
        availability=figures.availability, downtime_duration=round(figures.downtime_seconds),
        number_of_incidents=figures.incidents, longest_incident_duration=round(figures.longest_incident_seconds),
        average_incident_duration=round(figures.average_incident_seconds))


def status_object(row: HeartbeatRow, last: Any) -> HeartbeatStatus:
    """`last`: the row of its latest ping, or None."""
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
    return HeartbeatStatus(
        "heartbeat_status", row.id, row.status, row.current_state, row.state_since // 1000,
        row.started_at is not None, seconds(row.started_at),
        None if last is None else ping_object(last, row.id),
        None if expected is None else int(expected), None if late_at is None else int(late_at),
        None if down_at is None else int(down_at),
        None if row.last_duration_ms is None else row.last_duration_ms / 1000)


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _state(row: HeartbeatRow) -> deadlines.HeartbeatState:
    """The row's state with its next expected slot (from the stored schedule)."""
    schedule = Schedule(**row.spec["schedule"])
    return deadlines.restore(row.current_state, row.state_since / 1000, _s(row.last_ping_at),
                             _s(row.last_success_at), tuple((rid, at / 1000) for rid, at in row.runs),
                             _s(row.last_duration_ms), schedule)


def heartbeat_object(row: HeartbeatRow, links: Links, state: deadlines.HeartbeatState | None = None,
                     listed: Any = None) -> Heartbeat:
    """`state`: the running heartbeat's, when the caller has it (the ping path), else the row's;
    `listed`: store.uptime.Listed of the heartbeat, in a list's answer."""
    schedule = row.spec["schedule"]
    kind = schedule["kind"]
    state = state or _state(row)
    expected = state.expected_at if row.current_state in ("up", "late") else None
    base, ping_key = links
    return Heartbeat(
        id=row.id, object="heartbeat", key=row.key, name=row.name, slug=row.slug,
        period_seconds=number(schedule["period"]) if kind == "period" else None,
        cron=schedule["expression"] if kind == "cron" else None,
        oncalendar=schedule["expression"] if kind == "oncalendar" else None,
        timezone=schedule["timezone"], grace_seconds=number(row.spec["grace"]), methods=row.spec["methods"],
        manual_resume=row.spec["manual_resume"], body_keywords=_keywords(row.spec.get("body_keywords")),
        severity=row.spec["severity"], tags=list(row.spec["tags"]),
        **routing_shown(row.spec), metadata=row.metadata, group_id=row.group_id,
        escalation_policy=row.escalation_policy, service_id=row.service_id, status=row.status, current_state=row.current_state,
        since=row.state_since // 1000,
        stats=None if listed is None else HeartbeatStats(listed.uptime["24h"], listed.uptime["7d"],
                                                         listed.uptime["30d"]),
        started=row.started_at is not None, ping_url=f"{base}/ping/{row.token}",
        slug_url=f"{base}/ping/{ping_key}/{row.slug}", last_ping_at=seconds(row.last_ping_at),
        next_expected_at=None if expected is None else int(expected),
        last_duration_seconds=None if row.last_duration_ms is None else row.last_duration_ms / 1000,
        managed_by=row.managed_by, paused_at=seconds(row.paused_at), created_at=seconds(row.created_at),
        updated_at=seconds(row.updated_at))


def _keywords(stored: dict | None) -> BodyKeywords | None:
    if stored is None:
        return None
    return BodyKeywords(start=list(stored["start"]), success=list(stored["success"]),
                        failure=list(stored["failure"]), otherwise=stored["otherwise"])


def ping_object(row: Any, heartbeat_id: str) -> Ping:
    (seq, n, created_at, kind, exit_status, rid, duration_ms, method, remote_addr, user_agent, body_size,
     scheme) = row
    return Ping(seq_id("png", seq), "ping", heartbeat_id, n, created_at // 1000, created_at, kind, exit_status, rid,
                None if duration_ms is None else duration_ms / 1000, method, remote_addr, user_agent, body_size,
                scheme)
