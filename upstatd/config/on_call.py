"""The `on_call` section: on-call schedules (keyed like `maintenance`). Each is
layers (the pure core's Layer: users, timezone, starts_at, length, restrictions)
plus overrides. The core checks the layers (oncall/layers.py check_layer), and
its RotationError's param becomes the key path, so a problem reads
`config.yaml:14: on_call[0].layers[1].restrictions[0].end: ...`.

    on_call:
      - key: ops
        name: Ops
        layers:
          - users: [anna, bob]               # people's keys of this file, or usr_ ids
            timezone: Europe/Riga
            starts_at: 2026-03-06T10:00      # wall time in `timezone`, no offset
            length: weekly                   # daily, weekly, <N>h, <N>d
            restrictions:
              - {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
        overrides:                           # absolute spans: ISO times with an offset
          - {user: anna, starts_at: "2026-03-31T18:00+03:00", ends_at: "2026-03-31T23:00+03:00"}
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import msgspec

from upstatd.config.check import (
    Invalid, Path, Problems, Rule, block, keyed, parse_metadata, take, text, type_name,
)
from upstatd.oncall.layers import DAYS, Layer, Restriction, RotationError, check_layer
from upstatd.oncall.rotations import Override

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
MAX_LAYERS = 20
MAX_USERS = 100        # in one layer
MAX_OVERRIDES = 1000   # in the file, per schedule
LATEST = 253402300799  # 9999-12-31T23:59:59Z


class ScheduleSpec(msgspec.Struct, frozen=True):
    key: str | None                      # None: made over the API
    name: str
    layers: tuple[Layer, ...] = ()       # users as written: people's keys (of the file) or usr_ ids
    overrides: tuple[Override, ...] = ()  # the same
    metadata: dict[str, str] = {}


def param_path(param: str) -> Path:
    """The core's `restrictions[1].end` as a key path ("restrictions", 1, "end")."""
    return tuple(int(part[1:-1]) if part.startswith("[") else part
                 for part in re.findall(r"\[\d+\]|[^.\[\]]+", param))


def parse_on_call(value: Any, path: Path, problems: Problems) -> tuple[ScheduleSpec, ...]:
    return keyed(value, path, problems, "on-call schedules", lambda item, at: parse_schedule(item, at, problems))


def parse_schedule(value: Any, path: Path, problems: Problems) -> ScheduleSpec | None:
    section = block(value, path, problems, SCHEDULE_KEYS, required=("key", "name"))
    if section is None:
        return None
    before = len(problems.items)
    F = SCHEDULE_FIELDS
    key = take(section, "key", F["key"], path, problems)
    name = take(section, "name", F["name"], path, problems)
    meta = take(section, "metadata", F["metadata"], path, problems, {})
    layers = _list(section, "layers", path, problems, MAX_LAYERS, lambda item, at: parse_layer(item, at, problems))
    overrides = _list(section, "overrides", path, problems, MAX_OVERRIDES,
                      lambda item, at: parse_override(item, at, problems))
    if len(problems.items) > before:
        return None
    return ScheduleSpec(key, name, tuple(layers), tuple(overrides), meta)


def _list(section: dict, name: str, path: Path, problems: Problems, most: int, parse: Any) -> list:
    items = section.get(name)
    if items is None:
        return []
    if not isinstance(items, list):
        problems.add(path + (name,), f"must be a list, got {type_name(items)}")
        return []
    if len(items) > most:
        problems.add(path + (name,), f"must list at most {most}, got {len(items)}")
        return []
    return [parse(item, path + (name, index)) for index, item in enumerate(items)]


def _wall_text(value: Any) -> str:
    """A layer's starts_at as the core takes it: YAML reads 2026-03-06 10:00:00 as a date and time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise Invalid("must be wall time without an offset like 2026-03-06T10:00 (the layer's timezone applies)")
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, date):
        raise Invalid("must be a date and time, not a date alone: like 2026-03-06T10:00")
    if not isinstance(value, str):
        raise Invalid(f"must be a local date and time like 2026-03-06T10:00, got {type_name(value)}")
    return value


def _users(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of people (keys of this file or usr_ ids), got {type_name(value)}")
    if len(value) > MAX_USERS:
        raise Invalid(f"must list at most {MAX_USERS} people, got {len(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item or len(item) > 100:
            raise Invalid("must be a person's key or usr_ id (1-100 characters)", at=(index,))
    return list(value)


def parse_layer(value: Any, path: Path, problems: Problems) -> Layer | None:
    section = block(value, path, problems, LAYER_KEYS, required=("users", "starts_at", "length"))
    if section is None:
        return None
    before = len(problems.items)
    users = take(section, "users", _users, path, problems, [])
    starts_at = take(section, "starts_at", _wall_text, path, problems)
    length = take(section, "length", text(max_len=20), path, problems)
    timezone = take(section, "timezone", text(max_len=100), path, problems, "UTC")
    restrictions = _list(section, "restrictions", path, problems, 20,
                         lambda item, at: _restriction(item, at, problems))
    if len(problems.items) > before or starts_at is None or length is None:
        return None
    try:
        return check_layer(Layer(tuple(users), starts_at, str(length), timezone, tuple(restrictions)))
    except RotationError as exc:
        problems.add(path + param_path(exc.param), str(exc).partition(": ")[2])
        return None


def _restriction(value: Any, path: Path, problems: Problems) -> Restriction | None:
    section = block(value, path, problems, ("days", "start", "end"), required=("days", "start", "end"))
    if section is None or any(section.get(name) is None for name in ("days", "start", "end")):
        return None
    days = section["days"]
    if not isinstance(days, list) or not all(isinstance(day, str) for day in days):
        problems.add(path + ("days",), f"must be a list of days ({', '.join(DAYS)})")
        return None
    # YAML 1.1 reads an unquoted 09:00 as 540 (sexagesimal): say to quote it
    for name in ("start", "end"):
        if not isinstance(section[name], str):
            problems.add(path + (name,), f"must be a time of day in quotes like \"09:00\", got {type_name(section[name])}")
            return None
    return Restriction(tuple(days), section["start"], section["end"])


def _moment(value: Any) -> float:
    """An override's instant: an ISO 8601 date and time with an offset, or Unix seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = float(value)
    elif isinstance(value, datetime) or isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else value
        except ValueError:
            raise Invalid(f"must be a date and time with an offset like 2026-03-31T18:00+03:00, got '{value}'") \
                from None
        if parsed.tzinfo is None:
            raise Invalid("must have an offset, like 2026-03-31T18:00+03:00 or 2026-03-31T15:00Z (an override is "
                          "an absolute span)")
        moment = parsed.timestamp()
    else:
        raise Invalid(f"must be a date and time with an offset like 2026-03-31T18:00+03:00, got {type_name(value)}")
    if not 0 <= moment <= LATEST:
        raise Invalid("must be between 1970 and 9999")
    return moment


def parse_override(value: Any, path: Path, problems: Problems) -> Override | None:
    section = block(value, path, problems, OVERRIDE_KEYS, required=OVERRIDE_KEYS)
    if section is None:
        return None
    before = len(problems.items)
    user = take(section, "user", text(max_len=100), path, problems)
    starts_at = take(section, "starts_at", _moment, path, problems)
    ends_at = take(section, "ends_at", _moment, path, problems)
    if len(problems.items) > before or user is None or starts_at is None or ends_at is None:
        return None
    if ends_at <= starts_at:
        problems.add(path + ("ends_at",), "must be after starts_at")
        return None
    return Override(user, starts_at, ends_at)


def check_people_refs(top: dict, problems: Problems) -> None:
    """A layer's or override's person names a person of the file (`people:` keys) or a usr_ id
    (made over the API: checked against the database when the schedule is written)."""
    people = top.get("people")
    keys = {item.get("key") for item in (people if isinstance(people, list) else ()) if isinstance(item, dict)}
    schedules = top.get("on_call")
    for index, item in enumerate(schedules if isinstance(schedules, list) else ()):
        if not isinstance(item, dict):
            continue
        refs: list[tuple[Path, Any]] = []
        for at, layer in enumerate(item.get("layers") if isinstance(item.get("layers"), list) else ()):
            users = layer.get("users") if isinstance(layer, dict) else None
            refs += [(("layers", at, "users", n), ref) for n, ref in enumerate(users if isinstance(users, list) else ())]
        for at, override in enumerate(item.get("overrides") if isinstance(item.get("overrides"), list) else ()):
            if isinstance(override, dict):
                refs.append((("overrides", at, "user"), override.get("user")))
        for where, ref in refs:
            if isinstance(ref, str) and ref and ref not in keys and not ref.startswith("usr_"):
                known = ", ".join(sorted(str(key) for key in keys if key)) or "none defined"
                problems.add(("on_call", index, *where), f"no person with key '{ref}' (people keys: {known}; "
                                                         "one made over the API is named by its id, usr_...)")


_restriction_schema = {"type": "object", "additionalProperties": False, "required": ["days", "start", "end"],
                       "properties": {"days": {"type": "array", "minItems": 1, "items": {"enum": list(DAYS)}},
                                      "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                                      "end": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}}}
LAYER_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["users", "starts_at", "length"],
                "properties": {
                    "users": {"type": "array", "maxItems": MAX_USERS, "items": {"type": "string", "minLength": 1},
                              "description": "People's keys (of this file) or usr_ ids, in rotation order"},
                    "starts_at": {"type": "string", "description": "The first handoff, wall time in `timezone` "
                                                                   "like 2026-03-06T10:00"},
                    "length": {"type": "string", "pattern": "^(daily|weekly|[1-9][0-9]{0,3}[hd])$"},
                    "timezone": {"type": "string", "minLength": 1, "description": "An IANA time zone; default UTC"},
                    "restrictions": {"type": "array", "items": _restriction_schema}}}
OVERRIDE_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["user", "starts_at", "ends_at"],
                   "properties": {"user": {"type": "string", "minLength": 1},
                                  "starts_at": {"anyOf": [{"type": "string"}, {"type": "number"}]},
                                  "ends_at": {"anyOf": [{"type": "string"}, {"type": "number"}]}}}
SCHEDULE_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "name": text(max_len=200),
    "layers": Rule({"type": "array", "maxItems": MAX_LAYERS, "items": LAYER_SCHEMA,
                    "description": "Bottom first: a later layer wins where it covers"}),
    "overrides": Rule({"type": "array", "maxItems": MAX_OVERRIDES, "items": OVERRIDE_SCHEMA}),
    "metadata": parse_metadata,
}
SCHEDULE_KEYS = tuple(SCHEDULE_FIELDS)
LAYER_KEYS = ("users", "starts_at", "length", "timezone", "restrictions")
OVERRIDE_KEYS = ("user", "starts_at", "ends_at")
