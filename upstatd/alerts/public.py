"""The public shapes of alert channels and alerts (API answers and the
OpenAPI document), and the bodies the API takes for a channel.

A channel is `{key, name, type, <type>: {...}}` as in the config file, with
durations as `*_seconds`. Secrets (the email password, the Apprise URL, the
webhook's URL and headers, the PagerDuty routing key) read as "********" on
every answer; a body that sends "********" back keeps the stored value.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

import msgspec

from upstatd.config.alert_channels import ALERTABLE, SECRETS, TYPES, masked
from upstatd.shapes import across, number
from upstatd.store.alerts import STATUSES, AlertRow, ChannelRow

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
MASK = "********"
REASONS = ("opened", "reminder", "escalated", "acknowledged", "resolved", "test", "dependency")

ChannelType = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(TYPES)})]
EventType = Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(ALERTABLE)})]
Events = Annotated[list[EventType], msgspec.Meta(
    description="The incident events that alert (default: created, reopened, resolved, escalated)",
    extra_json_schema={"minItems": 1})]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Reminder = Annotated[float, msgspec.Meta(ge=60, le=7 * 86400, description="seconds between reminders while an "
                                         "incident is open and not acknowledged")]
Window = Annotated[float, msgspec.Meta(ge=0, le=3600, description="seconds of flood control: after 3 messages "
                                       "in this window the rest go as one digest (0: off)")]
Templates = Annotated[dict[str, Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]], msgspec.Meta(
    description="Jinja2 overrides of the message: subject, text, html",
    extra_json_schema={"propertyNames": {"enum": ["subject", "text", "html"]}})]
Block = Annotated[dict[str, Any], msgspec.Meta(description="The type's settings, as in the config file "
                                                           '(secrets shown as "********")')]

# The type blocks as the API takes them: what config/alert_channels.py checks, as far as JSON
# Schema says it (documented only: the validator words the errors, 422 naming the param).
_ADDRESS = {"type": "string", "maxLength": 320, "pattern": r"^[^@\s<>]+@[^@\s<>]+$",
            "description": "an email address, like ops@example.com"}
_HTTP_URL = {"type": "string", "maxLength": 2000, "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@]+([/?#]\S*)?$",
             "description": "http:// or https:// URL"}
_TEMPLATE = {"type": "string", "minLength": 1, "maxLength": 20_000}
_KEYS: dict[str, dict[str, dict]] = {
    "email": {
        "host": {"type": "string", "minLength": 1, "maxLength": 253, "description": "the SMTP server"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535,
                 "description": "default: 587 (starttls), 465 (tls), 25 (none)"},
        "security": {"enum": ["starttls", "tls", "none"], "description": "default: starttls"},
        "username": {"type": "string", "minLength": 1, "maxLength": 200},
        "password": {"type": "string", "minLength": 1, "maxLength": 500, "description": "a secret"},
        "from": _ADDRESS,
        "to": {"type": "array", "items": _ADDRESS, "minItems": 1, "maxItems": 100},
    },
    "apprise": {
        "url": {"type": "string", "maxLength": 2000, "pattern": "^[A-Za-z0-9+.-]+://",
                "description": "an Apprise URL (slack://, tgram://, ntfy://, json://, ...); a secret"},
    },
    "webhook": {
        "url": {**_HTTP_URL, "description": "http:// or https:// URL the JSON is POSTed to; a secret"},
        "body": {**_TEMPLATE, "description": "a Jinja2 template that renders JSON (sandboxed)"},
        "headers": {"type": "object", "description": "header name -> value (the values are secrets)",
                    "propertyNames": {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$"},
                    "additionalProperties": {"type": "string", "maxLength": 8000, "pattern": "^[^\r\n\x00]*$"}},
    },
    "pagerduty": {
        "routing_key": {"type": "string", "pattern": "^[A-Za-z0-9]{20,64}$",
                        "description": "the integration key of a PagerDuty service (Events API v2); a secret"},
        "url": {**_HTTP_URL, "description": "default: PagerDuty's Events API v2"},
    },
}
_REQUIRED = {"email": ["host", "from", "to"], "apprise": ["url"], "webhook": ["url"], "pagerduty": ["routing_key"]}


def _block_in(kind: str, whole: bool) -> Any:
    """`whole`: a new channel's block (its required keys); else an update's, merged key by key
    into the stored one."""
    schema: dict[str, Any] = {"properties": _KEYS[kind], "additionalProperties": False}
    if whole:
        schema["required"] = _REQUIRED[kind]
    if kind == "email":
        schema["dependentRequired"] = {"username": ["password"], "password": ["username"]}
    return Annotated[dict[str, Any], msgspec.Meta(
        description=f"The {kind} channel's settings, as under `{kind}:` in the config file", extra_json_schema=schema)]


class AlertChannel(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    object: Literal["alert_channel"]
    key: str | None
    name: str
    type: ChannelType
    events: list[str]
    degraded: bool
    reminder_interval_seconds: int | float | None
    digest_window_seconds: int | float
    templates: dict[str, str]
    enabled: bool
    status: Literal["enabled", "disabled"]
    managed_by: Literal["config", "api"]
    failing_since: int | None
    created_at: int
    updated_at: int
    email: Block | Unset = UNSET
    apprise: Block | Unset = UNSET
    webhook: Block | Unset = UNSET
    pagerduty: Block | Unset = UNSET


class AlertAttempt(msgspec.Struct, kw_only=True):
    attempt: int
    created_at: int
    created_at_ms: int
    ok: bool
    status_code: int | None
    latency_ms: float | None
    error: str | None
    next_attempt_at: int | None


class Alert(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["alert"]
    incident_id: str | None
    channel_id: str | None
    channel_type: str | None
    reason: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(REASONS)})]
    status: Annotated[str, msgspec.Meta(extra_json_schema={"enum": list(STATUSES)})]
    digest_id: str | None
    event_id: str | None
    subject: str | None
    error: str | None
    attempts: list[AlertAttempt]
    created_at: int
    updated_at: int


_FIELDS = [
    ("name", Name | Unset, UNSET),
    ("events", Events | Unset, UNSET),
    ("degraded", bool | Unset, UNSET),
    ("reminder_interval_seconds", Reminder | None | Unset, UNSET),
    ("digest_window_seconds", Window | Unset, UNSET),
    ("templates", Templates | Unset, UNSET),
    ("enabled", bool | Unset, UNSET),
]
# the two differ in `type` (required on create) and the type blocks (whole on create)
ChannelCreate = msgspec.defstruct("ChannelCreate", [
    ("type", ChannelType), *_FIELDS,
    *((kind, _block_in(kind, True) | Unset, UNSET) for kind in TYPES),
], kw_only=True, forbid_unknown_fields=True, module=__name__)
_UPDATE_DOC = """Only what is given changes; a type block is merged key by key into the stored one
(a key set to null goes back to its default; secrets sent back as "********" keep
their stored values). A new `type` needs its whole block."""
ChannelUpdate = msgspec.defstruct("ChannelUpdate", [
    ("type", ChannelType | Unset, UNSET), *_FIELDS,
    *((kind, _block_in(kind, False) | Unset, UNSET) for kind in TYPES),
], kw_only=True, forbid_unknown_fields=True, module=__name__, namespace={"__doc__": _UPDATE_DOC})


def _of_type(kind: str) -> dict:
    """type `kind`: its block, and no other type's."""
    return {"required": ["type", kind],
            "properties": {"type": {"const": kind}, **{other: False for other in TYPES if other != kind}}}


def _no_type_at_most_one_block() -> dict:
    """An update without `type`: at most one block (the stored type's: the one stored decides)."""
    return {"properties": {"type": False},
            "not": {"anyOf": [{"required": [a, b]} for i, a in enumerate(TYPES) for b in TYPES[i + 1:]]}}


across(ChannelCreate, lambda: {"oneOf": [_of_type(kind) for kind in TYPES]})
across(ChannelUpdate, lambda: {"oneOf": [*(_of_type(kind) for kind in TYPES), _no_type_at_most_one_block()]})


class ChannelTest(msgspec.Struct, kw_only=True):
    object: Literal["alert_channel_test"]
    ok: bool
    alert: Alert


# -- secrets ---------------------------------------------------------------------------------

def redact(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The type block as answers show it: secrets masked, unset keys left out."""
    return {name: value for name, value in copy.deepcopy(masked(kind, settings)).items() if value is not None}


def keep_secrets(kind: str, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A block sent back as it was shown keeps the stored secrets where it says "********"."""
    out = copy.deepcopy(new)
    for name in SECRETS.get(kind, ()):
        value, stored = out.get(name), old.get(name)
        if value == MASK and stored is not None:
            out[name] = stored
        elif isinstance(value, dict) and isinstance(stored, dict):
            out[name] = {header: stored.get(header, item) if item == MASK else item for header, item in value.items()}
    return out


# -- conversions ---------------------------------------------------------------------------------

def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def channel_object(row: ChannelRow) -> AlertChannel:
    return AlertChannel(
        id=row.id, object="alert_channel", key=row.key, name=row.name, type=row.type, events=list(row.events),
        degraded=row.degraded,
        reminder_interval_seconds=None if row.reminder_interval is None else number(row.reminder_interval),
        digest_window_seconds=number(row.digest_window), templates=dict(row.templates), enabled=row.enabled,
        status="enabled" if row.enabled else "disabled", managed_by=row.managed_by,
        failing_since=_seconds(row.failing_since), created_at=row.created_at // 1000,
        updated_at=row.updated_at // 1000, **{row.type: redact(row.type, row.settings)})


def attempt_object(row: tuple) -> AlertAttempt:
    seq, _, attempt, created_at, ok, status_code, latency_ms, error, next_at = row
    return AlertAttempt(attempt=attempt, created_at=created_at // 1000, created_at_ms=created_at, ok=bool(ok),
                        status_code=status_code, latency_ms=latency_ms, error=error, next_attempt_at=_seconds(next_at))


def alert_object(row: AlertRow, channel: ChannelRow | None, attempts: list[tuple],
                 subject: str | None = None) -> Alert:
    """`attempts`: the alert's own, or its digest's (a suppressed alert went with it)."""
    return Alert(
        id=row.id, object="alert", incident_id=row.incident_id, channel_id=channel.id if channel else None,
        channel_type=channel.type if channel else None, reason=row.reason, status=row.status,
        digest_id=row.digest_id, event_id=row.event_id, subject=subject or row.facts.get("name"), error=row.error,
        attempts=[attempt_object(attempt) for attempt in attempts], created_at=row.created_at // 1000,
        updated_at=row.updated_at // 1000)

