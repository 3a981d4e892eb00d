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
CHANNEL_KEYS = ("key", "name", "type", "events", "degraded", "reminder_interval", "digest_window", "templates",
                "enabled", *TYPES)
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
    section = block(value, path, problems, known, required=("key", "type") if keyed else ("type",))
    if section is None:
        return None
    before = len(problems.items)
    key = take(section, "key", text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"), path, problems) \
        if keyed else None
    kind = take(section, "type", choice(*TYPES), path, problems)
    name = take(section, "name", text(max_len=200), path, problems, key or kind)
    events = take(section, "events", parse_events, path, problems, DEFAULT_EVENTS)
    degraded = take(section, "degraded", boolean, path, problems, False)
    reminder = take(section, "reminder_interval", REMINDER_INTERVAL, path, problems)
    window = take(section, "digest_window", duration(min=0, max=3600), path, problems,
                  0.0 if kind == "pagerduty" else DIGEST_WINDOW)
    templates = take(section, "templates", parse_templates, path, problems, {})
    enabled = take(section, "enabled", boolean, path, problems, True)
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


def parse_address(value: Any) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value.strip()) or len(value) > 320:
        shown = f"'{value}'" if isinstance(value, str) else type_name(value)
        raise Invalid(f"must be an email address like ops@example.com, got {shown}")
    return value.strip()


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


def parse_email(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, ("host", "port", "security", "username", "password", "from", "to"),
                    required=("host", "from", "to"))
    if section is None:
        return None
    security = take(section, "security", choice("starttls", "tls", "none"), path, problems, "starttls")
    out = {
        "host": take(section, "host", text(max_len=253), path, problems),
        "port": take(section, "port", integer(1, 65535), path, problems, EMAIL_PORTS.get(security, 587)),
        "security": security,
        "username": take(section, "username", text(max_len=200), path, problems),
        "password": take(section, "password", text(max_len=500), path, problems),
        "from": take(section, "from", parse_address, path, problems),
        "to": take(section, "to", parse_addresses, path, problems),
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


def parse_apprise(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, ("url",), required=("url",))
    if section is None:
        return None
    return {"url": take(section, "url", parse_apprise_url, path, problems)}


def parse_body(value: Any) -> str:
    from upstatd.alerts.message import TemplateProblem, compile_template
    if not isinstance(value, str) or not value or len(value) > 20_000:
        raise Invalid("must be a template string of 1 to 20000 characters (Jinja2, rendering JSON)")
    try:
        compile_template(value, "body")
    except TemplateProblem as exc:
        raise Invalid(str(exc)) from None
    return value


def parse_secret_url(value: Any) -> str:
    """parse_url without quoting the value back: a webhook's URL may hold its token."""
    try:
        return parse_url(value)
    except Invalid:
        raise Invalid("must be an http:// or https:// URL like https://example.com/hooks"
                      + ("" if isinstance(value, str) else f", got {type_name(value)}")) from None


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


def parse_webhook(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, ("url", "body", "headers"), required=("url",))
    if section is None:
        return None
    return {"url": take(section, "url", parse_secret_url, path, problems),
            "body": take(section, "body", parse_body, path, problems),
            "headers": take(section, "headers", parse_headers, path, problems, {})}


def parse_pagerduty(value: Any, path: Path, problems: Problems) -> dict[str, Any] | None:
    section = block(value, path, problems, ("routing_key", "url"), required=("routing_key",))
    if section is None:
        return None
    return {"routing_key": take(section, "routing_key", parse_routing_key, path, problems),
            "url": take(section, "url", parse_url, path, problems)}


def parse_routing_key(value: Any) -> str:
    """An Events v2 integration key (32 characters); never quoted back: it is a secret."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]{20,64}", value):
        raise Invalid("must be the integration key of a PagerDuty service (Events API v2): 32 letters and digits"
                      f", got {type_name(value) if not isinstance(value, str) else f'{len(value)} characters'}")
    return value


PARSERS = {"email": parse_email, "apprise": parse_apprise, "webhook": parse_webhook, "pagerduty": parse_pagerduty}


def parse_refs(value: Any) -> list[str]:
    """A subject's `alert_channels`: channel keys or ids (ch_…); [] is none at all."""
    refs = text_list(value)
    for index, ref in enumerate(refs):
        if len(ref) > 100:
            raise Invalid("must be a channel key or id of at most 100 characters", at=(index,))
    return list(dict.fromkeys(refs))
