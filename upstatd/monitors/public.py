"""The public shape of a monitor and its checks: one serializer each, used for
API answers, the `data.object` of monitor events (and so webhooks), and the
OpenAPI document; and the shapes the API accepts for a monitor.

Secrets in type options (HTTP `auth`, `Authorization`/`Cookie` headers) are
shown as "********" (monitors/specs.py redact).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd.shapes import LABEL_FIELDS, UNSET, Seconds, Severity, Unset, number, seconds
from upstatd.ids import seq_id
from upstatd.monitors import specs
from upstatd.probes import PROBES
from upstatd.store.monitors import CURRENT_STATES, MANAGERS, STATUSES, MonitorRow  # noqa: F401  (the routes' filters)


Options = Annotated[dict[str, Any], msgspec.Meta(
    description="The type's options, exactly as under the type's key in the config file "
                "(docs/configuration.md)")]
TypeName = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(PROBES)})]

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
    *LABEL_FIELDS,
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


class PauseBody(msgspec.Struct, forbid_unknown_fields=True):
    # resume by itself then; null: stay paused until resumed (future_ms checks the range, in words)
    resume_at: int | None = None


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

def monitor_object(row: MonitorRow) -> Any:
    confirmation = row.spec["confirmation"]
    block = {row.type: specs.redact(row.type, row.spec.get(row.type) or {})}
    return Monitor(
        id=row.id, object="monitor", key=row.key, name=row.name, type=row.type, url=row.url,
        interval_seconds=number(row.interval_ms / 1000), timeout_seconds=number(row.timeout_ms / 1000),
        confirmation=MonitorConfirmation(confirmation["failures"], confirmation["successes"],
                                  number(confirmation["recheck"])),
        severity=row.spec["severity"], tags=list(row.spec["tags"]), metadata=row.metadata, **block,
        status=row.status, current_state=row.current_state, managed_by=row.managed_by,
        paused_at=seconds(row.paused_at), resume_at=seconds(row.resume_at),
        last_check_at=seconds(row.last_check_at), created_at=seconds(row.created_at),
        updated_at=seconds(row.updated_at))


def _ms(us: int | None) -> float | None:
    return None if us is None else us / 1000


def status_object(row: MonitorRow, numbers: Any, last_incident_ms: int | None) -> MonitorStatus:
    """`numbers`: store.uptime.monitor_figures of the monitor."""
    last = numbers.last_check
    return MonitorStatus(
        "monitor_status", row.id, row.status, row.current_state, row.state_since // 1000,
        None if last is None else check_object(last, row.id),
        numbers.uptime["24h"], numbers.uptime["7d"], numbers.uptime["30d"], seconds(last_incident_ms),
        MonitorLatency(numbers.p50_ms, numbers.p95_ms, numbers.latency_checks))


def check_object(row: Any, monitor_id: str) -> Check:
    (seq, created_at, ok, state, latency_us, status_code, error_kind, error_message,
     resolve_us, connect_us, tls_us, first_byte_us, transfer_us, details) = row
    return Check(seq_id("chk", seq), "check", monitor_id, created_at // 1000, bool(ok), state,
                 latency_us / 1000, status_code, error_kind, error_message,
                 CheckPhases(_ms(resolve_us), _ms(connect_us), _ms(tls_us), _ms(first_byte_us), _ms(transfer_us)),
                 None if details is None else msgspec.json.decode(details))
