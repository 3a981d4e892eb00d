"""The `alert_channels` section: where people are told of incidents.

A channel is `{key, name, type, <type>: {...}}` like a monitor's type block,
and the API's `alert_channel` has the same fields (durations as `_seconds`).
`parse_channel` is the one check of both: the YAML entry and the API body in
the file's form (alerts/specs.py). Secrets come through `${ENV}` in YAML and
are never quoted back in a message.

Types and their blocks:

    email:     {host, port, security: starttls|tls|none, username, password, from, to: [...]}
    apprise:   {url}                    any Apprise URL (slack://, tgram://, ntfy://, ...)
    webhook:   {url, body, headers}     a JSON POST; `body` a Jinja2 template (sandboxed)
    pagerduty: {routing_key, url}       PagerDuty Events v2 (`url` only to point elsewhere)
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from upstatd.config.check import (
    Invalid, Path, Problems, block, boolean, choice, duration, keyed, integer, take, text, text_list, text_map,
    type_name,
)
from upstatd.config.webhooks import parse_url

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
TYPES = ("email", "apprise", "webhook", "pagerduty")
# The incident events a channel can be told of (escalated: emitted by escalation policies, later).
ALERTABLE = ("incident.created", "incident.reopened", "incident.acknowledged", "incident.resolved",
             "incident.escalated")
DEFAULT_EVENTS = ("incident.created", "incident.reopened", "incident.resolved", "incident.escalated")
DIGEST_WINDOW = 60.0  # seconds
REMINDER_INTERVAL = duration(min=60, max=7 * 86400)
TEMPLATE_PARTS = ("subject", "text", "html")
# The values of each type block that are secrets: never shown, never logged.
SECRETS = {"email": ("password",), "apprise": ("url",), "webhook": ("url", "headers"), "pagerduty": ("routing_key",)}
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")
EMAIL_PORTS = {"starttls": 587, "tls": 465, "none": 25}  # each security's default port


class ChannelSpec(msgspec.Struct, frozen=True):
    key: str | None                     # None: made over the API
    name: str
    type: str
    settings: dict[str, Any]            # the type block, checked (secrets in clear)
    events: tuple[str, ...] = DEFAULT_EVENTS
    degraded: bool = False
    reminder_interval: float | None = None   # seconds
    digest_window: float = DIGEST_WINDOW     # seconds; 0 is off
    templates: dict[str, str] = {}
    enabled: bool = True

    def __repr__(self) -> str:  # a log line or a traceback shows the settings with their secrets masked
        return (f"ChannelSpec(key={self.key!r}, name={self.name!r}, type={self.type!r}, "
                f"settings={masked(self.type, self.settings)!r}, events={self.events!r}, enabled={self.enabled!r})")


def masked(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The type block with its secrets as "********" (a header map: each value)."""
    out = dict(settings)
    for name in SECRETS.get(kind, ()):
        value = out.get(name)
        if isinstance(value, dict):
            out[name] = {header: "********" for header in value}
        elif value is not None:
            out[name] = "********"
    return out


def parse_alert_channels(value: Any, path: Path, problems: Problems) -> tuple[ChannelSpec, ...]:
    return keyed(value, path, problems, "alert channels", lambda item, at: parse_channel(item, at, problems))


def parse_channel(value: Any, path: Path, problems: Problems, keyed: bool = True) -> ChannelSpec | None:
    """One channel; `keyed`: a YAML entry (its key is required), else an API body (no key)."""
    known = CHANNEL_KEYS if keyed else tuple(k for k in CHANNEL_KEYS if k != "key")
    section = block(value, path, problems, known, required=CHANNEL_REQUIRED if keyed else ("type",))
    if section is None:
        return None
    F = CHANNEL_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems) if keyed else None
    kind = take(section, "type", F["type"], path, problems)
    name = take(section, "name", F["name"], path, problems, key or kind)
    events = take(section, "events", F["events"], path, problems, DEFAULT_EVENTS)
    degraded = take(section, "degraded", F["degraded"], path, problems, False)
    reminder = take(section, "reminder_interval", F["reminder_interval"], path, problems)
    window = take(section, "digest_window", F["digest_window"], path, problems,
                  0.0 if kind == "pagerduty" else DIGEST_WINDOW)
    templates = take(section, "templates", F["templates"], path, problems, {})
    enabled = take(section, "enabled", F["enabled"], path, problems, True)
    for other in TYPES:
        if other != kind and other in section and kind:
            problems.add(path + (other,), f"'{other}' options are not allowed on a channel of type {kind} "
                                          f"(its options go in '{kind}')")
    settings = None
    if kind:
        if section.get(kind) is None:
            problems.add(path, f"missing required key '{kind}' (the {kind} channel's settings)")
        else:
            settings = PARSERS[kind](section.get(kind), path + (kind,), problems)
    if len(problems.items) > before or kind is None or settings is None:
        return None
    return ChannelSpec(key, name, kind, settings, tuple(events), degraded, reminder, window, templates, enabled)


def parse_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid(f"must be a non-empty list of incident event types ({', '.join(ALERTABLE)}), "
                      f"got {type_name(value) if not isinstance(value, list) else 'an empty list'}")
    out: list[str] = []
    for index, item in enumerate(value):
        if item not in ALERTABLE:
            shown = f"'{item}'" if isinstance(item, str) else type_name(item)
            raise Invalid(f"must be one of {', '.join(ALERTABLE)}, got {shown}", at=(index,))
        if item not in out:
            out.append(item)
    return out


parse_events.schema = {"type": "array", "minItems": 1, "items": {"enum": list(ALERTABLE)}}


def parse_templates(value: Any) -> dict[str, str]:
    from upstatd.alerts.message import TemplateProblem, compile_template
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping of {', '.join(TEMPLATE_PARTS)} to templates, got {type_name(value)}")
    out = {}
    for part, source in value.items():
        if part not in TEMPLATE_PARTS:
            raise Invalid(f"unknown template (expected one of: {', '.join(TEMPLATE_PARTS)})", at=(part,))
        if not isinstance(source, str) or not source or len(source) > 20_000:
            raise Invalid("must be a template string of 1 to 20000 characters", at=(part,))
        try:
            compile_template(source, part)
        except TemplateProblem as exc:
            raise Invalid(str(exc), at=(part,)) from None
        out[part] = source
    return out


parse_templates.schema = {"type": "object", "additionalProperties": False, "properties": {
    part: {"type": "string", "minLength": 1, "maxLength": 20_000} for part in TEMPLATE_PARTS}}


def parse_address(value: Any) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value.strip()) or len(value) > 320:
        shown = f"'{value}'" if isinstance(value, str) else type_name(value)
        raise Invalid(f"must be an email address like ops@example.com, got {shown}")
    return value.strip()


parse_address.schema = {"type": "string", "maxLength": 320, "pattern": r"^\s*[^@\s<>]+@[^@\s<>]+\s*$",
                        "description": "An email address like ops@example.com"}


def parse_addresses(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid("must be a non-empty list of email addresses")
    if len(value) > 100:
        raise Invalid(f"must list at most 100 addresses, got {len(value)}")
    out = []
    for index, item in enumerate(value):
        try:
            out.append(parse_address(item))
        except Invalid as exc:
            raise Invalid(str(exc), at=(index,)) from None
    return out


parse_addresses.schema = {"type": "array", "minItems": 1, "maxItems": 100, "items": parse_address.schema}
EMAIL_FIELDS = {
    "host": text(max_len=253),
    "port": integer(1, 65535),
    "security": choice(*EMAIL_PORTS),
    "username": text(max_len=200),
    "password": text(max_len=500),
    "from": parse_address,
    "to": parse_addresses,
}


def parse_email(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, EMAIL_FIELDS, required=BLOCK_REQUIRED["email"])
    if section is None:
        return None
    F = EMAIL_FIELDS
    security = take(section, "security", F["security"], path, problems, "starttls")
    out = {
        "host": take(section, "host", F["host"], path, problems),
        "port": take(section, "port", F["port"], path, problems, EMAIL_PORTS.get(security, 587)),
        "security": security,
        "username": take(section, "username", F["username"], path, problems),
        "password": take(section, "password", F["password"], path, problems),
        "from": take(section, "from", F["from"], path, problems),
        "to": take(section, "to", F["to"], path, problems),
    }
    if (out["username"] is None) != (out["password"] is None):
        problems.add(path, "username and password go together: give both, or neither for a relay without login")
    return out


def parse_apprise_url(value: Any) -> str:
    if not isinstance(value, str) or "://" not in value or len(value) > 2000:
        raise Invalid(f"must be an Apprise URL like slack://... or ntfy://host/topic, got {type_name(value)}"
                      if not isinstance(value, str) else
                      "must be an Apprise URL like slack://TokenA/TokenB/TokenC or ntfy://host/topic")
    import importlib

    import apprise
    # its import keeps Apprise's records (they quote parts of the URL) out of the log
    importlib.import_module("upstatd.alerts.apprise_channel")
    if apprise.Apprise.instantiate(value) is None:  # the URL is a secret: only its scheme is named
        raise Invalid(f"Apprise cannot use this URL (scheme '{value.partition('://')[0]}'); "
                      f"see https://github.com/caronc/apprise/wiki for the URL of each service")
    return value


parse_apprise_url.schema = {"type": "string", "maxLength": 2000, "pattern": "://",
                            "description": "An Apprise URL like slack://TokenA/TokenB/TokenC or ntfy://host/topic"}
APPRISE_FIELDS = {"url": parse_apprise_url}


def parse_apprise(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, APPRISE_FIELDS, required=BLOCK_REQUIRED["apprise"])
    if section is None:
        return None
    return {"url": take(section, "url", APPRISE_FIELDS["url"], path, problems)}


def parse_body(value: Any) -> str:
    from upstatd.alerts.message import TemplateProblem, compile_template
    if not isinstance(value, str) or not value or len(value) > 20_000:
        raise Invalid("must be a template string of 1 to 20000 characters (Jinja2, rendering JSON)")
    try:
        compile_template(value, "body")
    except TemplateProblem as exc:
        raise Invalid(str(exc)) from None
    return value


parse_body.schema = {"type": "string", "minLength": 1, "maxLength": 20_000,
                     "description": "A Jinja2 template rendering JSON"}


def parse_secret_url(value: Any) -> str:
    """parse_url without quoting the value back: a webhook's URL may hold its token."""
    try:
        return parse_url(value)
    except Invalid:
        raise Invalid("must be an http:// or https:// URL like https://example.com/hooks"
                      + ("" if isinstance(value, str) else f", got {type_name(value)}")) from None


parse_secret_url.schema = parse_url.schema


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")


def parse_headers(value: Any) -> dict[str, str]:
    """HTTP header names (tokens) to values on one line; the values are secrets (not quoted back)."""
    headers = text_map(value)
    for name, item in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise Invalid("must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~", at=(name,))
        if any(ch in item for ch in "\r\n\0") or len(item) > 8000:
            raise Invalid("must be a header value on one line (no CR, LF or NUL), at most 8000 characters",
                          at=(name,))
    return headers


parse_headers.schema = {"type": "object", "propertyNames": {"pattern": "^" + _HEADER_NAME.pattern + "$"},
                        "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 8000,
                                                            "pattern": "^[^\\r\\n\\u0000]*$"},
                                                           {"type": ["number", "boolean"]}]}}
WEBHOOK_FIELDS = {"url": parse_secret_url, "body": parse_body, "headers": parse_headers}


def parse_webhook(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, WEBHOOK_FIELDS, required=BLOCK_REQUIRED["webhook"])
    if section is None:
        return None
    F = WEBHOOK_FIELDS
    return {"url": take(section, "url", F["url"], path, problems),
            "body": take(section, "body", F["body"], path, problems),
            "headers": take(section, "headers", F["headers"], path, problems, {})}


def parse_pagerduty(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, PAGERDUTY_FIELDS, required=BLOCK_REQUIRED["pagerduty"])
    if section is None:
        return None
    F = PAGERDUTY_FIELDS
    return {"routing_key": take(section, "routing_key", F["routing_key"], path, problems),
            "url": take(section, "url", F["url"], path, problems)}


def parse_routing_key(value: Any) -> str:
    """An Events v2 integration key (32 characters); never quoted back: it is a secret."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]{20,64}", value):
        raise Invalid("must be the integration key of a PagerDuty service (Events API v2): 32 letters and digits"
                      f", got {type_name(value) if not isinstance(value, str) else f'{len(value)} characters'}")
    return value


parse_routing_key.schema = {"type": "string", "pattern": "^[A-Za-z0-9]{20,64}$",
                            "description": "The integration key of a PagerDuty service (Events API v2)"}
PAGERDUTY_FIELDS = {"routing_key": parse_routing_key, "url": parse_url}
PARSERS = {"email": parse_email, "apprise": parse_apprise, "webhook": parse_webhook, "pagerduty": parse_pagerduty}
# each type's block: its keys with their parsers, and those it needs
BLOCK_FIELDS = {"email": EMAIL_FIELDS, "apprise": APPRISE_FIELDS, "webhook": WEBHOOK_FIELDS,
                "pagerduty": PAGERDUTY_FIELDS}
BLOCK_REQUIRED = {"email": ("host", "from", "to"), "apprise": ("url",), "webhook": ("url",),
                  "pagerduty": ("routing_key",)}


def parse_refs(value: Any) -> list[str]:
    """A subject's `alert_channels`: channel keys or ids (ch_…); [] is none at all."""
    refs = text_list(value)
    for index, ref in enumerate(refs):
        if len(ref) > 100:
            raise Invalid("must be a channel key or id of at most 100 characters", at=(index,))
    return list(dict.fromkeys(refs))


parse_refs.schema = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100},
                     "description": "Alert channel keys (of this file) or ids (ch_..., made over the API)"}
CHANNEL_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "name": text(max_len=200),
    "type": choice(*TYPES),
    "events": parse_events,
    "degraded": boolean,
    "reminder_interval": REMINDER_INTERVAL,
    "digest_window": duration(min=0, max=3600),
    "templates": parse_templates,
    "enabled": boolean,
}
CHANNEL_KEYS = (*CHANNEL_FIELDS, *TYPES)  # and a block named after each type (`email:`)
CHANNEL_REQUIRED = ("key", "type")
