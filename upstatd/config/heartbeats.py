"""The `heartbeats` and `pings` sections: what cron jobs and timers ping, and
how pings are taken in. `parse_heartbeat` also validates heartbeats made over
the API (upstatd.heartbeats.specs), so both accept exactly the same things."""

from __future__ import annotations

import re
import time
from typing import Any

import msgspec

from upstatd.config.check import (
    entries,
    SEVERITIES, Invalid, Path, Problems, Rule, block, boolean, byte_size, choice, duration, integer,
    parse_metadata, take, text, text_list, type_name,
)
from upstatd.config.alert_channels import REMINDER_INTERVAL, parse_refs
from upstatd.config.escalation_policies import POLICY_REF
from upstatd.config.catalog import SERVICE_REF
from upstatd.heartbeats.keywords import MAX_KEYWORD_LEN, MAX_KEYWORDS, OTHERWISE, BodyKeywords, default_otherwise
from upstatd.heartbeats.schedule import (
    Schedule, ScheduleError, check_cron, check_oncalendar, check_timezone,
)

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
SLUG_PATTERN = KEY_PATTERN
PING_KEY_PATTERN = r"[A-Za-z0-9_-]{16,64}"
METHODS = ("any", "post")
DEFAULT_GRACE = 3600.0
YEAR = 365 * 86400.0

KEYWORD_LISTS = ("start", "success", "failure")


class HeartbeatSpec(msgspec.Struct, frozen=True):
    key: str
    name: str
    slug: str
    schedule: Schedule
    grace: float
    token: str | None      # the ping UUID; None: generated once and kept in the database
    methods: str           # any | post
    manual_resume: bool
    severity: str
    tags: tuple[str, ...]
    metadata: dict[str, str]
    body_keywords: BodyKeywords | None = None   # what a success ping's body says (heartbeats/keywords.py)
    alert_channels: tuple[str, ...] | None = None   # channel keys or ids; None: defaults.alert_channels
    reminder_interval: float | None = None          # seconds; None: each channel's own
    group: str | None = None                        # the name of its heartbeat group (made when first named)
    escalation_policy: str | None = None            # a policy key or esc_ id; None: the default policy
    service: str | None = None                      # the catalog service it belongs to: a key or svc_ id


class PingSettings(msgspec.Struct, frozen=True):
    body_limit: int = 100 * 1024   # bytes of a ping's body kept
    key: str | None = None          # the ping key of slug URLs; None: generated, kept in the database
    keep: int = 1000                # pings kept per heartbeat


def parse_heartbeats(value: Any, path: Path, problems: Problems) -> tuple[HeartbeatSpec, ...]:
    value = entries(value, path, problems, "heartbeats")
    out = []
    # field -> value -> 2 * index (+1 when the value was the key as slug) of its first use: its line
    # is looked up only when it is repeated (300,000 paths of 100,000 heartbeats are never read)
    first: dict[str, dict[str, int]] = {"key": {}, "slug": {}, "token": {}}
    for index, item in enumerate(value):
        spec = parse_heartbeat(item, path + (index,), problems)
        if not isinstance(item, dict):
            continue
        repeated = False
        for field, used in first.items():
            implied = field == "slug" and item.get("slug") is None  # the slug defaults to the key
            given = item.get("key") if implied else item.get(field)
            if not isinstance(given, str) or not given:
                continue
            seen = given.lower() if field == "token" else given
            earlier = used.get(seen)
            if earlier is not None:
                if not (implied and repeated):  # a repeated key's slug is the same mistake: said once
                    hint = "; the slug defaults to the key: give this one a slug" if implied else ""
                    first_path = path + (earlier >> 1, "key" if earlier & 1 else field)
                    problems.add(path + (index, "key" if implied else field),
                                 f"duplicate {field} '{given}' (first used on line {problems.line(first_path)}){hint}")
                repeated = True
            else:
                used[seen] = 2 * index + implied
        if spec is not None and not repeated:
            out.append(spec)
    return tuple(out)


_NO_METADATA: dict = {}  # what heartbeats without metadata share (specs are values: never changed in place)


def parse_heartbeat(value: Any, path: Path, problems: Problems) -> HeartbeatSpec | None:
    section = block(value, path, problems, HEARTBEAT_KEYS, required=HEARTBEAT_REQUIRED)
    if section is None:
        return None
    F = HEARTBEAT_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems)
    name = take(section, "name", F["name"], path, problems, key)
    slug = take(section, "slug", F["slug"], path, problems, key)
    schedule = parse_schedule(section, path, problems)
    grace = take(section, "grace", F["grace"], path, problems, DEFAULT_GRACE)
    token = take(section, "token", F["token"], path, problems)
    methods = take(section, "methods", F["methods"], path, problems, "any")
    manual_resume = take(section, "manual_resume", F["manual_resume"], path, problems, False)
    severity = take(section, "severity", F["severity"], path, problems, "critical")
    tags = take(section, "tags", F["tags"], path, problems, [])
    metadata = take(section, "metadata", F["metadata"], path, problems, {})
    body_keywords = parse_body_keywords(section.get("body_keywords"), path + ("body_keywords",), problems)
    alert_channels = take(section, "alert_channels", F["alert_channels"], path, problems)
    reminder_interval = take(section, "reminder_interval", F["reminder_interval"], path, problems)
    group = take(section, "group", F["group"], path, problems)
    policy = take(section, "escalation_policy", F["escalation_policy"], path, problems)
    service = take(section, "service", F["service"], path, problems)
    if len(problems.items) > before or schedule is None:
        return None
    return HeartbeatSpec(key, name, slug, schedule, grace, token, methods, manual_resume, severity,
                         tuple(tags), metadata or _NO_METADATA, body_keywords,
                         None if alert_channels is None else tuple(alert_channels), reminder_interval, group, policy,
                         service)


def parse_body_keywords(value: Any, path: Path, problems: Problems) -> BodyKeywords | None:
    """`{start: [...], success: [...], failure: [...], otherwise: success|failure|ignore}`; null: none."""
    if value is None:
        return None
    section = block(value, path, problems, BODY_KEYWORDS_FIELDS)
    if section is None:
        return None
    before = len(problems.items)
    lists = {name: tuple(take(section, name, BODY_KEYWORDS_FIELDS[name], path, problems, []))
             for name in KEYWORD_LISTS}
    otherwise = take(section, "otherwise", BODY_KEYWORDS_FIELDS["otherwise"], path, problems,
                     default_otherwise(lists["success"]))
    if len(problems.items) > before:
        return None
    if not any(lists.values()):
        problems.add(path, "needs at least one keyword in start, success or failure")
        return None
    return BodyKeywords(**lists, otherwise=otherwise)


def _keywords(value: Any) -> list[str]:
    words = text_list(value)
    if len(words) > MAX_KEYWORDS:
        raise Invalid(f"at most {MAX_KEYWORDS} keywords, got {len(words)}")
    for index, word in enumerate(words):
        if not word.strip():
            raise Invalid("must not be blank", at=(index,))
        if len(word) > MAX_KEYWORD_LEN:
            raise Invalid(f"must be at most {MAX_KEYWORD_LEN} characters, got {len(word)}", at=(index,))
    return words


_keywords.schema = {"type": "array", "maxItems": MAX_KEYWORDS,
                    "items": {"type": "string", "minLength": 1, "maxLength": MAX_KEYWORD_LEN, "pattern": r"\S"}}


_PERIODS: dict[tuple[float, str], Schedule] = {}
_PERIODS_KEPT = 1024


def parse_schedule(section: dict, path: Path, problems: Problems) -> Schedule | None:
    """Exactly one of period, cron, oncalendar; timezone for the two calendars."""
    given = [kind for kind in SCHEDULES if section.get(kind) is not None]
    if len(given) != 1:
        problems.add(path, "needs exactly one of period (like 1h), cron (like \"0 3 * * *\") or oncalendar "
                           f"(like \"Mon..Fri 09:00\"), got {' and '.join(given) if given else 'none'}")
        return None
    kind = given[0]
    timezone = take(section, "timezone", HEARTBEAT_FIELDS["timezone"], path, problems, "UTC")
    if kind == "period":
        period = take(section, "period", HEARTBEAT_FIELDS["period"], path, problems)
        if period is None:
            return None
        # one object per distinct period (Schedule is frozen): 100,000 heartbeats share a few
        schedule = _PERIODS.get((period, timezone))
        if schedule is None:
            schedule = Schedule("period", period=period, timezone=timezone)
            if len(_PERIODS) < _PERIODS_KEPT:
                _PERIODS[(period, timezone)] = schedule
        return schedule
    if timezone is None:
        return None
    expression = take(section, kind, _expression(kind, timezone), path, problems)
    return None if expression is None else Schedule(kind, expression=expression, timezone=timezone)


def time_zone(value: Any) -> str:
    """An IANA zone name, checked (heartbeat schedules and maintenance windows)."""
    if not isinstance(value, str) or not value:
        raise Invalid(f"must be an IANA time zone name like Europe/Riga, got {type_name(value)}")
    try:
        return check_timezone(value)
    except ScheduleError as exc:
        raise Invalid(str(exc)) from None


time_zone.schema = {"type": "string", "minLength": 1, "description": "An IANA time zone name like Europe/Riga"}


def _expression(kind: str, timezone: str):
    what = "a cron expression like \"0 3 * * *\"" if kind == "cron" else \
        "OnCalendar lines like \"Mon..Fri 09:00\" (a string, or a list of them)"

    def parse(value: Any) -> str:
        if kind == "oncalendar" and isinstance(value, list):  # a list of lines, or one string of lines
            for index, line in enumerate(value):
                if not isinstance(line, str) or not line.strip():
                    got = "an empty string" if isinstance(line, str) else type_name(line)
                    raise Invalid(f"must be an OnCalendar line like \"Mon..Fri 09:00\", got {got}", at=(index,))
            if not value:
                raise Invalid(f"must be {what}, got an empty list")
            value = "\n".join(value)
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"must be {what}, got {'an empty string' if isinstance(value, str) else type_name(value)}")
        try:
            check = check_cron if kind == "cron" else check_oncalendar
            return check(value, timezone, time.time())
        except ScheduleError as exc:
            raise Invalid(str(exc)) from None
    return parse


def parse_token(value: Any) -> str:
    """A UUID (any case, with hyphens), kept lowercase: what the ping URL carries."""
    if not isinstance(value, str):
        raise Invalid(f"must be a UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278, got {type_name(value)}")
    lowered = value.lower()
    # what str(uuid.UUID(value)) == value.lower() accepts, without making the UUID
    if _TOKEN.fullmatch(lowered) is None:
        raise Invalid(f"must be a UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278, got '{value}'")
    return lowered


_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


parse_token.schema = {"type": "string", "pattern": "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                                                   "[0-9A-Fa-f]{12}$",
                      "description": "A UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"}
# A monitor's or heartbeat's group, by name: the config file's groups are made by naming them.
GROUP = text(max_len=200)
HEARTBEAT_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "name": text(max_len=200),
    "slug": text(SLUG_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    # exactly one of period, cron, oncalendar (parse_schedule)
    "period": duration(min=1, max=YEAR),
    "cron": Rule({"type": "string", "pattern": r"\S", "description": 'A cron expression like "0 3 * * *"'}),
    "oncalendar": Rule({"anyOf": [{"type": "string", "pattern": r"\S"},
                                  {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"\S"}}],
                        "description": 'systemd OnCalendar lines like "Mon..Fri 09:00" (a string, or a list)'}),
    "timezone": time_zone,
    "grace": duration(min=0, max=YEAR),
    "token": parse_token,
    "methods": choice(*METHODS),
    "manual_resume": boolean,
    "severity": choice(*SEVERITIES),
    "tags": text_list,
    "metadata": parse_metadata,
    "body_keywords": Rule(lambda: _block_schema(BODY_KEYWORDS_FIELDS, min_one=KEYWORD_LISTS)),
    "alert_channels": parse_refs,
    "reminder_interval": REMINDER_INTERVAL,
    "group": GROUP,
    "escalation_policy": POLICY_REF,
    "service": SERVICE_REF,
}
HEARTBEAT_KEYS = tuple(HEARTBEAT_FIELDS)
HEARTBEAT_REQUIRED = ("key",)
SCHEDULES = ("period", "cron", "oncalendar")
BODY_KEYWORDS_FIELDS = {**{name: _keywords for name in KEYWORD_LISTS}, "otherwise": choice(*OTHERWISE)}


def parse_pings(value: Any, path: Path, problems: Problems) -> PingSettings:
    section = block(value, path, problems, PINGS_FIELDS)
    if not section:
        return PingSettings()
    base = PingSettings()
    return PingSettings(*(take(section, name, parse, path, problems, getattr(base, name))
                          for name, parse in PINGS_FIELDS.items()))


PINGS_FIELDS = {  # in PingSettings' order
    "body_limit": byte_size(0, 10 * 1024 * 1024),
    "key": text(PING_KEY_PATTERN, hint="16 to 64 letters, digits, '-' and '_'"),
    "keep": integer(1, 1_000_000),
}


def _block_schema(fields: dict, min_one: tuple[str, ...] = ()) -> dict:
    from upstatd.config.json_schema import block_schema
    schema = block_schema(fields)
    if min_one:  # at least one of them given
        schema["anyOf"] = [{"required": [name]} for name in min_one]
    return schema


def slugify(name: str) -> str:
    """A slug from a name made over the API: 'Nightly DB backup' -> 'nightly-db-backup'."""
    slug = re.sub(r"[^a-z0-9_.]+", "-", name.lower()).strip("-._")
    return slug[:100] or "heartbeat"
