"""The `maintenance` section: windows during which monitors and heartbeats are
expected to be down (keyed like `alert_channels`). `parse_window` is the one
check of both a YAML entry and an API body in the file's form
(maintenance/commands.py), so both say the same things.

    maintenance:
      - key: db-upgrade                  # one-off
        title: Database upgrade
        starts_at: 2026-12-05 02:00      # ISO 8601 (no offset: in `timezone`) or Unix seconds
        ends_at: 2026-12-05 04:00
        timezone: Europe/Riga
        monitor_ids: [db, api]           # monitor keys of this file, or ids (mon_...) of API ones
      - key: patching                    # recurring: exactly one of rrule, cron, oncalendar
        title: Sunday patching
        rrule: FREQ=WEEKLY;BYDAY=SU;BYHOUR=3;BYMINUTE=0
        duration: 2h
        timezone: Europe/Riga
        heartbeat_ids: [nightly-backup]
        group_ids: [web]                 # group names of this file (`group: web`), or ids (grp_...) of API ones
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import msgspec

from upstatd.config.check import (
    Invalid, Path, Problems, Rule, block, duration, keyed, parse_metadata, take, text, text_list, type_name,
)
from upstatd.config.heartbeats import time_zone
from upstatd.heartbeats.schedule import zone
from upstatd.maintenance.windows import MAX_DURATION, MIN_DURATION, Window, WindowError, check_window

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
RULES = ("rrule", "cron", "oncalendar")
MAX_TARGETS = 1000
MAX_DESCRIPTION = 5000
LATEST = 253402300799  # 9999-12-31T23:59:59Z: the last second a timestamp may name


class WindowSpec(msgspec.Struct, frozen=True):
    key: str | None                      # None: made over the API
    title: str
    window: Window                       # checked (windows.check_window)
    description: str | None = None
    monitor_ids: tuple[str, ...] = ()    # as written: keys (of the file) or ids
    heartbeat_ids: tuple[str, ...] = ()
    metadata: dict[str, str] = {}
    group_ids: tuple[str, ...] = ()      # as written: group names (of the file) or grp_ ids


def parse_maintenance(value: Any, path: Path, problems: Problems) -> tuple[WindowSpec, ...]:
    return keyed(value, path, problems, "maintenance windows", lambda item, at: parse_window(item, at, problems))


def parse_window(value: Any, path: Path, problems: Problems, keyed: bool = True,
                 now: float | None = None) -> WindowSpec | None:
    """One window; `keyed`: a YAML entry (its key is required), else an API body (no key)."""
    known = WINDOW_KEYS if keyed else tuple(name for name in WINDOW_KEYS if name != "key")
    section = block(value, path, problems, known, required=("key", "title") if keyed else ("title",))
    if section is None:
        return None
    F = WINDOW_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems) if keyed else None
    title = take(section, "title", F["title"], path, problems)
    description = take(section, "description", F["description"], path, problems)
    timezone = take(section, "timezone", F["timezone"], path, problems, "UTC")
    window = _schedule(section, path, problems, timezone or "UTC", time.time() if now is None else now)
    monitors = take(section, "monitor_ids", F["monitor_ids"], path, problems, [])
    heartbeats = take(section, "heartbeat_ids", F["heartbeat_ids"], path, problems, [])
    groups = take(section, "group_ids", F["group_ids"], path, problems, [])
    meta = take(section, "metadata", F["metadata"], path, problems, {})
    if len(problems.items) > before or window is None:
        return None
    return WindowSpec(key, title, window, description, tuple(monitors), tuple(heartbeats), meta, tuple(groups))


def _schedule(section: dict, path: Path, problems: Problems, timezone: str, now: float) -> Window | None:
    """A one-off (starts_at, ends_at) or exactly one rule with its duration."""
    rules = [name for name in RULES if section.get(name) is not None]
    times = [name for name in ("starts_at", "ends_at") if section.get(name) is not None]
    if len(rules) > 1 or (rules and times) or (not rules and not times):
        given = " and ".join(rules + times) or "none"
        problems.add(path, "needs starts_at and ends_at (a one-off window), or exactly one of rrule, cron or "
                           f"oncalendar with a duration (a recurring one), got {given}")
        return None
    if times:
        starts_at = take(section, "starts_at", _moment(timezone), path, problems)
        ends_at = take(section, "ends_at", _moment(timezone), path, problems)
        if section.get("duration") is not None:
            problems.add(path + ("duration",), "a one-off window lasts from starts_at to ends_at: "
                                               "duration goes with rrule, cron or oncalendar")
        for name, given in (("starts_at", starts_at), ("ends_at", ends_at)):
            if section.get(name) is None:
                problems.add(path, f"missing required key '{name}' (a one-off window needs starts_at and ends_at)")
        if starts_at is None or ends_at is None:
            return None
        if ends_at <= starts_at:
            problems.add(path + ("ends_at",), "must be after starts_at")
            return None
        return Window("once", starts_at=starts_at, ends_at=ends_at, timezone=timezone)
    kind = rules[0]
    length = take(section, "duration", WINDOW_FIELDS["duration"], path, problems)
    if section.get("duration") is None:
        problems.add(path, f"missing required key 'duration' (how long each {kind} occurrence lasts, like 2h)")
    expression = take(section, kind, _rule_text(kind), path, problems)
    if length is None or expression is None:
        return None
    try:
        return check_window(Window(kind, expression=expression, duration=length, timezone=timezone), now)
    except WindowError as exc:
        problems.add(path + (kind,), str(exc))
        return None


def _moment(timezone: str):
    """Unix seconds (the API's form), a YAML timestamp, or an ISO 8601 text; without an
    offset, in the window's time zone (a skipped time moves forward, a repeated one is the first)."""
    def parse(value: Any) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            moment = float(value)
        elif isinstance(value, (str, datetime)) and not isinstance(value, bool):
            try:
                parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else value
            except ValueError:
                raise Invalid(f"must be a date and time like 2026-12-05 02:00 (in the window's timezone), "
                              f"2026-12-05T02:00:00+02:00 or Unix seconds, got '{value}'") from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone(timezone), fold=0)
            moment = parsed.timestamp()
        elif isinstance(value, date):
            raise Invalid("must be a date and time, not a date alone: like 2026-12-05 02:00")
        else:
            raise Invalid(f"must be a date and time like 2026-12-05 02:00 or Unix seconds, got {type_name(value)}")
        if not 0 <= moment <= LATEST:
            raise Invalid("must be between 1970 and 9999")
        return moment
    return parse


_moment_schema = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": LATEST},
                            {"type": "string", "minLength": 10}],
                  "description": "A date and time (ISO 8601; without an offset, in the window's timezone) "
                                 "or Unix seconds"}


def _rule_text(kind: str):
    def parse(value: Any) -> str:
        if kind == "oncalendar" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"must be a {kind} text, got {'an empty string' if isinstance(value, str) else type_name(value)}")
        if len(value) > 1000:
            raise Invalid("must be at most 1000 characters")
        return value
    return parse


def parse_targets(value: Any) -> list[str]:
    """Monitor or heartbeat keys, or group names (of this file), or ids (made over the API)."""
    refs = text_list(value)
    if len(refs) > MAX_TARGETS:
        raise Invalid(f"must list at most {MAX_TARGETS}, got {len(refs)}")
    for index, ref in enumerate(refs):
        if len(ref) > 100:
            raise Invalid("must be a key or id of at most 100 characters", at=(index,))
    return list(dict.fromkeys(refs))


parse_targets.schema = {"type": "array", "maxItems": MAX_TARGETS,
                        "items": {"type": "string", "minLength": 1, "maxLength": 100},
                        "description": "Keys (of this file) or ids (made over the API)"}
WINDOW_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "title": text(max_len=200),
    "description": text(max_len=MAX_DESCRIPTION),
    # a one-off's times, or exactly one rule and its duration (_schedule)
    "starts_at": Rule(_moment_schema),
    "ends_at": Rule(_moment_schema),
    "rrule": Rule({"type": "string", "pattern": r"\S",
                   "description": 'An RFC 5545 RRULE like "FREQ=WEEKLY;BYDAY=SU;BYHOUR=3" (DTSTART in wall time)'}),
    "cron": Rule({"type": "string", "pattern": r"\S", "description": 'A cron expression like "0 3 * * 0"'}),
    "oncalendar": Rule({"anyOf": [{"type": "string", "pattern": r"\S"},
                                  {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"\S"}}],
                        "description": 'systemd OnCalendar lines like "Sun 03:00" (a string, or a list)'}),
    "duration": duration(min=MIN_DURATION, max=MAX_DURATION),
    "timezone": time_zone,
    "monitor_ids": parse_targets,
    "heartbeat_ids": parse_targets,
    "group_ids": parse_targets,
    "metadata": parse_metadata,
}
WINDOW_KEYS = tuple(WINDOW_FIELDS)


def _entries(top: dict, section: str) -> list[dict]:
    items = top.get(section)
    return [item for item in (items if isinstance(items, list) else ()) if isinstance(item, dict)]


def check_target_refs(top: dict, windows: tuple[WindowSpec, ...], problems: Problems) -> None:
    """A window's keys name monitors and heartbeats of the file, its group names the groups
    its monitors and heartbeats name (`group:`); ids (mon_, hbt_, grp_) name API ones."""
    named = {"monitors": {item.get("key") for item in _entries(top, "monitors")},
             "heartbeats": {item.get("key") for item in _entries(top, "heartbeats")},
             "groups": {item.get("group") for section in ("monitors", "heartbeats")
                        for item in _entries(top, section)}}
    for field, section, prefix in (("monitor_ids", "monitors", "mon_"), ("heartbeat_ids", "heartbeats", "hbt_"),
                                   ("group_ids", "groups", "grp_")):
        keys = named[section]
        entries = top.get("maintenance")
        for index, item in enumerate(entries if isinstance(entries, list) else ()):
            refs = item.get(field) if isinstance(item, dict) else None
            for at, ref in enumerate(refs if isinstance(refs, list) else ()):
                if isinstance(ref, str) and ref and ref not in keys and not ref.startswith(prefix):
                    known = ", ".join(sorted(str(key) for key in keys if key)) or "none defined"
                    what = ("group named", "group names (`group:` of monitors and heartbeats)") \
                        if section == "groups" else (f"{section[:-1]} with key", f"{section} keys")
                    problems.add(("maintenance", index, field, at),
                                 f"no {what[0]} '{ref}' ({what[1]}: {known}; one made over "
                                 f"the API is named by its id, {prefix}...)")
