"""The `webhooks` section: endpoints that receive signed events (YAML-managed,
keyed like monitors). Also validates endpoints made over the API: `parse_url`
and `parse_events` are the same checks for both."""

from __future__ import annotations

import fnmatch
from typing import Any

import msgspec

from upstatd.config.check import (
    keyed, Invalid, Path, Problems, block, boolean, parse_metadata, take, text, type_name,
)

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
MIN_SECRET = 16
MAX_SECRET = 200


class WebhookSpec(msgspec.Struct, frozen=True):
    key: str
    url: str
    events: tuple[str, ...]     # event types and patterns: "incident.*", "*"
    secret: str
    enabled: bool = True
    description: str | None = None
    metadata: dict[str, str] = {}


def deliverable_types() -> tuple[str, ...]:
    """The event types an endpoint can subscribe to: those emitted (not the reserved
    ones, not the test `ping`, which only POST …/test sends)."""
    from upstatd.events import EMITTED
    return EMITTED


def matches(patterns: tuple[str, ...] | list[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def parse_url(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be an http:// or https:// URL, got {type_name(value)}")
    if len(value) > 2000:
        raise Invalid("must be at most 2000 characters")
    try:
        from yarl import URL
        url = URL(value)
    except (ValueError, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host or any(ch.isspace() for ch in value):
        raise Invalid(f"must be an http:// or https:// URL like https://example.com/hooks, got '{value}'")
    return value


parse_url.schema = {"type": "string", "maxLength": 2000, "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$",
                    "description": "An http:// or https:// URL like https://example.com/hooks"}


def parse_events(value: Any) -> list[str]:
    """A non-empty list of event types or patterns (`incident.*`, `*`); each must match at least
    one emitted type (a pattern may also match reserved ones: it gets them once they are emitted)."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of event types or patterns like incident.* or *, got {type_name(value)}")
    if not value:
        raise Invalid("must name at least one event type or pattern (\"*\" is every event)")
    known = deliverable_types()
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            got = "an empty string" if isinstance(item, str) else type_name(item)
            raise Invalid(f"must be an event type or a pattern like incident.*, got {got}", at=(index,))
        if not any(fnmatch.fnmatchcase(kind, item) for kind in known):
            raise Invalid(_refusal(item, known), at=(index,))
        if item not in out:
            out.append(item)
    return out


def _events_schema() -> dict:
    """Event types or patterns; a pattern (with * ? [) is checked by the loader alone."""
    return {"type": "array", "minItems": 1, "items": {"anyOf": [
        {"enum": list(deliverable_types())}, {"type": "string", "pattern": r"[*?\[]"}]}}


parse_events.schema = _events_schema


def _refusal(item: str, known: tuple[str, ...]) -> str:
    from upstatd.events import RESERVED, TEST
    if item == TEST:
        return (f"'{TEST}' is the test event: POST /api/webhook-endpoints/{{id}}/test sends it to that endpoint "
                f"alone, so it cannot be subscribed to")
    reserved = [kind for kind in RESERVED if fnmatch.fnmatchcase(kind, item)]
    if reserved:
        return (f"'{item}' is reserved: upstatd does not emit {', '.join(reserved)} yet, so there is nothing to "
                f"subscribe to (a pattern like {reserved[0].split('.')[0]}.* gets it once it is emitted)")
    return f"'{item}' matches no event type (types: {', '.join(known)}; patterns like incident.* and * work)"


def parse_secret(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a string of at least {MIN_SECRET} characters, got {type_name(value)}")
    if len(value) < MIN_SECRET:  # the value is never quoted: it is a secret
        raise Invalid(f"must be at least {MIN_SECRET} characters long, got {len(value)} (use a random string, "
                      f"e.g. from `openssl rand -hex 32`, through ${{VAR}})")
    if len(value) > MAX_SECRET:
        raise Invalid(f"must be at most {MAX_SECRET} characters long, got {len(value)}")
    return value


parse_secret.schema = {"type": "string", "minLength": MIN_SECRET, "maxLength": MAX_SECRET}
WEBHOOK_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "url": parse_url,
    "events": parse_events,
    "secret": parse_secret,
    "enabled": boolean,
    "description": text(max_len=1000),
    "metadata": parse_metadata,
}
WEBHOOK_KEYS = tuple(WEBHOOK_FIELDS)
WEBHOOK_REQUIRED = ("key", "url", "events", "secret")


def parse_webhooks(value: Any, path: Path, problems: Problems) -> tuple[WebhookSpec, ...]:
    return keyed(value, path, problems, "webhook endpoints", lambda item, at: parse_webhook(item, at, problems))


def parse_webhook(value: Any, path: Path, problems: Problems) -> WebhookSpec | None:
    section = block(value, path, problems, WEBHOOK_KEYS, required=WEBHOOK_REQUIRED)
    if section is None:
        return None
    F = WEBHOOK_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems)
    url = take(section, "url", F["url"], path, problems)
    events = take(section, "events", F["events"], path, problems)
    secret = take(section, "secret", F["secret"], path, problems)
    enabled = take(section, "enabled", F["enabled"], path, problems, True)
    description = take(section, "description", F["description"], path, problems)
    metadata = take(section, "metadata", F["metadata"], path, problems, {})
    if len(problems.items) > before or None in (key, url, events, secret):
        return None
    return WebhookSpec(key, url, tuple(events), secret, enabled, description, metadata)
