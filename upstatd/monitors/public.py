"""The public shape of a monitor and its checks: one serializer each, used for
API answers, the `data.object` of monitor events (and so webhooks), and the
OpenAPI document; and the shapes the API accepts for a monitor.

Secrets in type options (HTTP `auth`, `Authorization`/`Cookie` headers) are
shown as "********" (monitors/specs.py redact).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd.shapes import LABEL_FIELDS, ROUTING_SHOWN, UNSET, routing_shown, Severity, Unset, across, number, rule, seconds, seconds_between
from upstatd.ids import seq_id
from upstatd.api.bodies import MAX_TIMESTAMP
from upstatd.monitors import specs
from upstatd.probes import PROBES
from upstatd.groups.public import GroupId
from upstatd.config.regions import MAX_REGIONS, REGION_PATTERN
from upstatd.store.monitors import CURRENT_STATES, MANAGERS, STATUSES, MonitorRow  # noqa: F401  (the routes' filters)


Options = Annotated[dict[str, Any], msgspec.Meta(
    description="The type's options, exactly as under the type's key in the config file "
                "(docs/configuration.md)")]
TypeName = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(PROBES)})]


def _options_in(kind: str) -> Any:
    """A type block as the API takes it: the probe's own schema of its options (the block as
    shown in answers is Options: a block written in the config file is shown as written)."""
    return Annotated[dict[str, Any], msgspec.Meta(
        description=f"The {kind} options, as under `{kind}:` in the config file (docs/configuration.md)",
        extra_json_schema=PROBES[kind].options_schema())]


# the bounds the config chain puts on them (config/schema.py parse_monitor, parse_confirmation),
# documented only: its messages are the API's ("interval_seconds: must be >= 1s")
Interval = seconds_between(1, 86400)
Timeout = seconds_between(0.1, 300)
Recheck = seconds_between(1, 3600)
Count = Annotated[int, rule(minimum=1, maximum=100)]
Url = Annotated[str, rule(minLength=1, maxLength=2000,
                          description="The target, in the form of the type: https://host/path, tcp://host:port, "
                                      "icmp://host, a host name (dns), tls://host:port")]
Name = Annotated[str, rule(minLength=1, maxLength=200)]
# regions: the config chain checks them (config/regions.py region_list), the command that
# each is declared (422 naming regions.N); docs/regions.md
RegionNames = Annotated[list[Annotated[str, rule(pattern=f"^{REGION_PATTERN}$")]], rule(
    minItems=1, maxItems=MAX_REGIONS, uniqueItems=True,
    description="The regions it is probed from: the daemon's own (server.region) and those the config "
                "declares under regions:; null: defaults.regions, else the daemon's own")]
QuorumIn = (Annotated[str, rule(enum=["majority", "any", "all"])] | Annotated[int, rule(minimum=1)])
QUORUM_DOC = "How many fresh regions must see it down: majority, any, all or a number; null: majority"

class MonitorConfirmation(msgspec.Struct):
    failures: int
    successes: int
    recheck_seconds: int | float


class MonitorLatency(msgspec.Struct):
    p50_ms: float | None   # over the good (ok) checks of the last 24 hours
    p95_ms: float | None
    checks: int            # how many checks those are


class MonitorStats(msgspec.Struct):
    """A list item's figures (the list's alone: an event or a change's answer has null). Uptime
    as /status computes it; latency over the 24 whole hours before the last roll-up (hourly,
    a couple of minutes after each hour): /status has it to the minute."""
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_30d: float | None
    latency_24h: MonitorLatency


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
    *ROUTING_SHOWN,
    ("group_id", str | None),        # grp_…: its monitor group
    ("escalation_policy", str | None),  # esc_…: its incidents' policy; null: the default
    ("service_id", str | None),         # svc_…: the catalog service it belongs to
    ("regions", list[str] | None),      # where it is probed from; null: the daemon's own region
    ("quorum", str | int | None),       # majority, any, all or a number; null: majority
    ("status", Literal["active", "paused"]),
    ("current_state", Literal[CURRENT_STATES]),
    ("since", int),                  # when it entered current_state
    ("stats", MonitorStats | None),
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
    failures: Count | Unset = UNSET
    successes: Count | Unset = UNSET
    recheck_seconds: Recheck | Unset = UNSET


_FIELDS = [
    ("name", Name | Unset, UNSET),
    ("interval_seconds", Interval | Unset, UNSET),
    ("timeout_seconds", Timeout | Unset, UNSET),
    ("confirmation", MonitorConfirmationIn | Unset, UNSET),
    *LABEL_FIELDS,
    ("group_id", GroupId | None | Unset, UNSET),
    ("regions", RegionNames | None | Unset, UNSET),
    ("quorum", Annotated[QuorumIn, msgspec.Meta(description=QUORUM_DOC)] | None | Unset, UNSET),
]
# openapi.py adds what one field cannot say: the type's block and url form go with the type
MonitorCreate = msgspec.defstruct("MonitorCreate", [
    ("type", TypeName), ("url", Url), *_FIELDS,
    *((kind, _options_in(kind) | Unset, UNSET) for kind in PROBES),
], kw_only=True, forbid_unknown_fields=True, module=__name__)
MonitorUpdate = msgspec.defstruct("MonitorUpdate", [
    ("type", TypeName | Unset, UNSET), ("url", Url | Unset, UNSET), *_FIELDS,
    # merged key by key into the stored block; a key set to null goes back to its default
    # (the document leaves that out: docs/api.md, OpenAPI), the block null: all of them
    *((kind, _options_in(kind) | None | Unset, UNSET) for kind in PROBES),
], kw_only=True, forbid_unknown_fields=True, module=__name__)




def _of_type(kind: str) -> dict:
    """type `kind`: its url form, and no other type's block (parse_monitor)."""
    return {"required": ["type"], "properties": {
        "type": {"const": kind}, "url": PROBES[kind].url_schema or {},
        **{other: False for other in PROBES if other != kind}}}


def _no_type_at_most_one_block() -> dict:
    """An update without `type`: at most one block (the monitor's type's; the one stored decides)."""
    return {"properties": {"type": False},
            "not": {"anyOf": [{"required": [a, b]} for i, a in enumerate(PROBES) for b in list(PROBES)[i + 1:]]}}


across(MonitorCreate, lambda: {"oneOf": [_of_type(kind) for kind in PROBES]})
across(MonitorUpdate, lambda: {"oneOf": [*(_of_type(kind) for kind in PROBES), _no_type_at_most_one_block()]})


class PauseBody(msgspec.Struct, forbid_unknown_fields=True):
    # resume by itself then; null: stay paused until resumed (future_ms checks the range, in words)
    resume_at: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": MAX_TIMESTAMP},
                                           description="Unix seconds, in the future")] | None = None


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
    region: str | None          # where it was probed from (null: server.region is false now)
    created_at: int
    ok: bool
    state: str
    latency_ms: float
    status_code: int | None
    error_kind: str | None
    error_message: str | None
    phases: CheckPhases
    details: dict[str, Any] | None


class RegionStatus(msgspec.Struct):
    """A monitor in one of its regions: that region's confirmed state and latest result."""
    name: str
    state: str                  # pending, up, degraded, down
    since: int
    fresh: bool                 # counts in the quorum now (its agents up, its latest result recent)
    last_check_at: int | None
    latency_ms: float | None
    error_kind: str | None
    error_message: str | None


class MonitorStatus(msgspec.Struct, kw_only=True):
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
    regions: list[RegionStatus] | None = None  # probed from more than the daemon's own region: each one
    quorum: str | int | None = None            # and the quorum it is judged by; both null otherwise


# -- conversions -------------------------------------------------------------------------

def monitor_object(row: MonitorRow, listed: Any = None) -> Any:
    """`listed`: store.uptime.Listed of the monitor, in a list's answer."""
    confirmation = row.spec["confirmation"]
    block = {row.type: specs.redact(row.type, row.spec.get(row.type) or {})}
    return Monitor(
        id=row.id, object="monitor", key=row.key, name=row.name, type=row.type, url=row.url,
        interval_seconds=number(row.interval_ms / 1000), timeout_seconds=number(row.timeout_ms / 1000),
        confirmation=MonitorConfirmation(confirmation["failures"], confirmation["successes"],
                                  number(confirmation["recheck"])),
        severity=row.spec["severity"], tags=list(row.spec["tags"]), metadata=row.metadata, **block,
        **routing_shown(row.spec), group_id=row.group_id, escalation_policy=row.escalation_policy,
        service_id=row.service_id, regions=row.spec.get("regions"), quorum=row.spec.get("quorum"),
        status=row.status, current_state=row.current_state, since=row.state_since // 1000,
        stats=None if listed is None else MonitorStats(
            listed.uptime["24h"], listed.uptime["7d"], listed.uptime["30d"],
            MonitorLatency(listed.p50_ms, listed.p95_ms, listed.latency_checks)),
        managed_by=row.managed_by,
        paused_at=seconds(row.paused_at), resume_at=seconds(row.resume_at),
        last_check_at=seconds(row.last_check_at), created_at=seconds(row.created_at),
        updated_at=seconds(row.updated_at))


def _ms(us: int | None) -> float | None:
    return None if us is None else us / 1000


def status_object(row: MonitorRow, numbers: Any, last_incident_ms: int | None,
                  regions: list[RegionStatus] | None = None, quorum: str | int | None = None,
                  own_region: str | None = None) -> MonitorStatus:
    """`numbers`: store.uptime.monitor_figures of the monitor; `regions`: region_statuses of
    the running monitor (None: probed from the daemon's region only)."""
    last = numbers.last_check
    return MonitorStatus(
        object="monitor_status", monitor_id=row.id, status=row.status, current_state=row.current_state,
        since=row.state_since // 1000, last_check=None if last is None else check_object(last, row.id, own_region),
        uptime_24h=numbers.uptime["24h"], uptime_7d=numbers.uptime["7d"], uptime_30d=numbers.uptime["30d"],
        last_incident_at=seconds(last_incident_ms),
        latency_24h=MonitorLatency(numbers.p50_ms, numbers.p95_ms, numbers.latency_checks),
        regions=regions, quorum=quorum)


def region_statuses(regional: Any, fresh: Any) -> list[RegionStatus]:
    """`regional`: a running monitor's {region: monitors.service.Regional}; `fresh`: the
    names of those that count now."""
    return [RegionStatus(name, item.state.state, int(item.state.since), name in fresh,
                         None if item.last_at is None else int(item.last_at), item.latency_ms, item.error_kind,
                         item.error_message)
            for name, item in regional.items()]


def check_object(row: Any, monitor_id: str, own_region: str | None = None) -> Check:
    """`row`: of store.uptime.CHECK_COLUMNS, its last the region's name (None: the daemon's
    own region, `own_region`)."""
    (seq, created_at, ok, state, latency_us, status_code, error_kind, error_message,
     resolve_us, connect_us, tls_us, first_byte_us, transfer_us, details, region) = row
    return Check(seq_id("chk", seq), "check", monitor_id, own_region if region is None else region,
                 created_at // 1000, bool(ok), state,
                 latency_us / 1000, status_code, error_kind, error_message,
                 CheckPhases(_ms(resolve_us), _ms(connect_us), _ms(tls_us), _ms(first_byte_us), _ms(transfer_us)),
                 None if details is None else msgspec.json.decode(details))


class SlaDay(msgspec.Struct):
    date: str                              # YYYY-MM-DD, UTC
    availability: float | None             # percent of the counted time up (null: none counted)
    downtime_duration: int                 # seconds
    checks: int
    failures: int
    average_response_time_ms: float | None


class MonitorSla(msgspec.Struct, kw_only=True):
    object: Literal["monitor_sla"]
    monitor_id: str
    from_: int = msgspec.field(name="from")
    to: int
    availability: float | None
    downtime_duration: int                 # seconds, as Better Stack's SLA
    number_of_incidents: int
    longest_incident_duration: int
    average_incident_duration: int
    checks: int
    failures: int
    average_response_time_ms: float | None
    days: list[SlaDay]


def sla_object(monitor_id: str, start_ms: int, end_ms: int, sla: Any) -> MonitorSla:
    """`sla`: store.sla.Sla."""
    return MonitorSla(
        object="monitor_sla", monitor_id=monitor_id, from_=start_ms // 1000, to=end_ms // 1000,
        availability=sla.availability, downtime_duration=round(sla.downtime_seconds),
        number_of_incidents=sla.incidents, longest_incident_duration=round(sla.longest_incident_seconds),
        average_incident_duration=round(sla.average_incident_seconds), checks=sla.checks, failures=sla.failures,
        average_response_time_ms=sla.average_response_ms,
        days=[SlaDay(day.date, day.availability, round(day.downtime_seconds), day.checks, day.failures,
                     day.average_response_ms) for day in sla.days])
