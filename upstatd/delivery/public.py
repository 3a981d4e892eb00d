"""The public shape of a webhook endpoint and of its deliveries: one serializer
each, used for API answers, the `data.object` of `webhook_endpoint.*` events
and of the test `ping` (and so webhook bodies), and the OpenAPI document; and
the shapes the API accepts for an endpoint.

The signing secret is shown in full only in the answer that made it (create,
rotate-secret); everywhere else it is "********" (an idempotent replay of
those answers: null, api/idempotency.py). Times are integer Unix seconds;
those that need more, `*_ms`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.ids import seq_id
from upstatd.store.webhooks import EndpointRow

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
MASK = "********"   # the secret on reads (monitors/specs.py masks HTTP secrets the same way)
MAX_DESCRIPTION = 1000

# what config/webhooks.py parse_url and parse_events check, documented (their messages are the API's)
Url = Annotated[str, msgspec.Meta(description="http:// or https:// URL the events are POSTed to",
                                  extra_json_schema={"maxLength": 2000,
                                                     "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#@]+([/?#]\S*)?$"})]


def _subscribable() -> list[str]:
    """Every emitted type, `*`, and `<group>.*` of each group: the patterns the document lists
    (parse_events takes any fnmatch pattern that matches an emitted type)."""
    from upstatd.config.webhooks import deliverable_types
    types = deliverable_types()
    return [*types, "*", *dict.fromkeys(f"{kind.split('.')[0]}.*" for kind in types if "." in kind)]


Patterns = Annotated[list[Annotated[str, msgspec.Meta(extra_json_schema={"enum": _subscribable()})]], msgspec.Meta(
    description="Event types and patterns: monitor.down, incident.*, *", extra_json_schema={"minItems": 1})]
# checked by the command (422), documented here
Description = Annotated[str, msgspec.Meta(extra_json_schema={"maxLength": MAX_DESCRIPTION})]
Secret = Annotated[str | None, msgspec.Meta(
    description=f"The signing secret (whsec_…) in the answer to create and rotate-secret only; "
                f"\"{MASK}\" on every other read, null in an idempotent replay")]


class WebhookEndpoint(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["webhook_endpoint"]
    key: str | None
    url: str
    events: list[str]
    secret: Secret
    enabled: bool
    status: Literal["enabled", "disabled"]
    disabled_reason: str | None
    description: str | None
    metadata: dict[str, str]
    failing_since: int | None
    managed_by: Literal["config", "api"]
    created_at: int
    updated_at: int


class WebhookDelivery(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["webhook_delivery"]
    endpoint_id: str
    event_id: str
    event_type: str
    attempt: int
    created_at: int                  # Unix seconds
    created_at_ms: int               # the same, in milliseconds (retries come faster than a second)
    ok: bool
    status_code: int | None
    latency_ms: float | None
    error: str | None
    next_attempt_at: int | None      # Unix seconds: when the retry goes (null: none)
    next_attempt_at_ms: int | None   # the same, in milliseconds


class EndpointCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    events: Patterns
    description: Description | None = None
    enabled: bool = True
    metadata: metadata.Metadata = {}


class EndpointUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | Unset = UNSET
    events: Patterns | Unset = UNSET
    description: Description | None | Unset = UNSET
    enabled: bool | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET


# -- conversions -----------------------------------------------------------------------------

def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def endpoint_object(row: EndpointRow, secret: str | None = None) -> WebhookEndpoint:
    """`secret`: the one just made (create, rotate-secret); otherwise it is masked."""
    return WebhookEndpoint(
        id=row.id, object="webhook_endpoint", key=row.key, url=row.url, events=list(row.events),
        secret=MASK if secret is None else secret, enabled=row.enabled,
        status="enabled" if row.enabled else "disabled", disabled_reason=row.disabled_reason,
        description=row.description, metadata=dict(row.metadata), failing_since=_seconds(row.failing_since),
        managed_by=row.managed_by, created_at=row.created_at // 1000, updated_at=row.updated_at // 1000)


def endpoint_data(row: EndpointRow) -> dict[str, Any]:
    """The endpoint as `data.object` of an event (the secret masked)."""
    return msgspec.to_builtins(endpoint_object(row))


def delivery_object(row: Any, endpoint_id: str) -> WebhookDelivery:
    """A row of store.webhooks.DELIVERY_COLUMNS."""
    (seq, _, event_id, event_type, attempt, created_at, ok, status_code, latency_ms, error, next_at) = row
    return WebhookDelivery(
        id=seq_id("whd", seq), object="webhook_delivery", endpoint_id=endpoint_id, event_id=event_id,
        event_type=event_type, attempt=attempt, created_at=created_at // 1000, created_at_ms=created_at,
        ok=bool(ok), status_code=status_code, latency_ms=latency_ms, error=error,
        next_attempt_at=_seconds(next_at), next_attempt_at_ms=next_at)
