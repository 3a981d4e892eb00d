"""The `people` section: who can be paged (`usr_…`), and how each is reached
(keyed like `alert_channels`). `parse_person` is the one check of both a YAML
entry and an API body in the file's form (people/commands.py), so both say
the same things.

    people:
      - key: anna
        name: Anna Berzina
        email: anna@example.com          # optional; for the record, not a contact method
        timezone: Europe/Riga            # IANA; default UTC
        contact_methods:                 # in order; each exactly one of channel, email, apprise
          - channel: ops-slack           # a shared alert channel: its key here, or its id (ch_...)
          - email: anna@example.com      # a personal address, sent through an email channel's SMTP
            via: relay                   # that channel (may be left out when exactly one exists)
          - apprise: ${ANNA_PHONE}       # a personal Apprise URL (a secret: use ${ENV})

Refs stay as written here; the commands resolve them to ids in their
transaction (store/people.py resolved), where a ref naming nothing is refused.
"""

from __future__ import annotations

from typing import Any

import msgspec

from upstatd.config.alert_channels import KEY_PATTERN, parse_address, parse_apprise_url
from upstatd.config.check import (
    Invalid, Path, Problems, block, keyed, parse_metadata, take, text, type_name,
)
from upstatd.config.heartbeats import time_zone

METHODS = ("channel", "email", "apprise")
MAX_METHODS = 20


class PersonSpec(msgspec.Struct, frozen=True):
    key: str | None                       # None: made over the API
    name: str
    email: str | None = None
    timezone: str = "UTC"
    contact_methods: tuple[dict[str, str], ...] = ()  # [{channel}, {email, via?}, {apprise}] as checked
    metadata: dict[str, str] = {}

    def __repr__(self) -> str:  # an Apprise URL may carry tokens: never in a log line or a traceback
        return f"PersonSpec(key={self.key!r}, name={self.name!r}, methods={[kind_of(m) for m in self.contact_methods]})"


def kind_of(method: dict[str, Any]) -> str:
    return next((name for name in METHODS if name in method), "?")


def parse_people(value: Any, path: Path, problems: Problems) -> tuple[PersonSpec, ...]:
    return keyed(value, path, problems, "people", lambda item, at: parse_person(item, at, problems))


def parse_person(value: Any, path: Path, problems: Problems, keyed: bool = True) -> PersonSpec | None:
    """One person; `keyed`: a YAML entry (its key is required), else an API body (no key)."""
    known = PERSON_KEYS if keyed else tuple(name for name in PERSON_KEYS if name != "key")
    section = block(value, path, problems, known, required=("key", "name") if keyed else ("name",))
    if section is None:
        return None
    F = PERSON_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems) if keyed else None
    name = take(section, "name", F["name"], path, problems)
    email = take(section, "email", F["email"], path, problems)
    timezone = take(section, "timezone", F["timezone"], path, problems, "UTC")
    methods = _methods(section.get("contact_methods"), path + ("contact_methods",), problems)
    meta = take(section, "metadata", F["metadata"], path, problems, {})
    if len(problems.items) > before:
        return None
    return PersonSpec(key, name, email, timezone, tuple(methods), meta)


def parse_method(value: Any) -> dict[str, str]:
    """{channel: ref} | {email: address, via: ref?} | {apprise: url}."""
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping with one of {', '.join(METHODS)}, got {type_name(value)}")
    kinds = [name for name in METHODS if name in value]
    if len(kinds) != 1:
        raise Invalid(f"must have exactly one of {', '.join(METHODS)}, got "
                      f"{' and '.join(kinds) if kinds else 'none'}")
    kind = kinds[0]
    allowed = ("email", "via") if kind == "email" else (kind,)
    for extra in value:
        if extra not in allowed:
            hint = "'via' goes with 'email'" if extra == "via" else f"a {kind} method takes only {', '.join(allowed)}"
            raise Invalid(f"unknown key ({hint})", at=(extra,))
    if kind == "channel":
        return {"channel": _ref(value["channel"], ("channel",))}
    if kind == "apprise":
        try:
            return {"apprise": parse_apprise_url(value["apprise"])}
        except Invalid as exc:
            raise Invalid(str(exc), at=("apprise",)) from None
    try:
        out = {"email": parse_address(value["email"])}
    except Invalid as exc:
        raise Invalid(str(exc), at=("email",)) from None
    if value.get("via") is not None:
        out["via"] = _ref(value["via"], ("via",))
    return out


def _ref(value: Any, at: Path) -> str:
    if not isinstance(value, str) or not value or len(value) > 100:
        raise Invalid("must be an alert channel key (of this file) or id (ch_...) of 1 to 100 characters"
                      + ("" if isinstance(value, str) else f", got {type_name(value)}"), at=at)
    return value


def parse_methods(value: Any) -> list[dict[str, str]]:
    """The list alone; each method is checked by parse_method (_methods: every mistake said)."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of contact methods, got {type_name(value)}")
    if len(value) > MAX_METHODS:
        raise Invalid(f"must list at most {MAX_METHODS} contact methods, got {len(value)}")
    return value


def _methods(value: Any, path: Path, problems: Problems) -> list[dict[str, str]]:
    if value is None:
        return []
    try:
        items = parse_methods(value)
    except Invalid as exc:
        problems.add(path, str(exc))
        return []
    out = []
    for index, item in enumerate(items):
        try:
            out.append(parse_method(item))
        except Invalid as exc:
            problems.add(path + (index, *exc.at), str(exc))
    return out


_REF_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 100,
               "description": "An alert channel key (of this file) or id (ch_...)"}
parse_methods.schema = {"type": "array", "maxItems": MAX_METHODS, "items": {"oneOf": [
    {"type": "object", "additionalProperties": False, "required": ["channel"],
     "properties": {"channel": _REF_SCHEMA}},
    {"type": "object", "additionalProperties": False, "required": ["email"],
     "properties": {"email": parse_address.schema, "via": _REF_SCHEMA}},
    {"type": "object", "additionalProperties": False, "required": ["apprise"],
     "properties": {"apprise": parse_apprise_url.schema}},
]}}
PERSON_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "name": text(max_len=200),
    "email": parse_address,
    "timezone": time_zone,
    "contact_methods": parse_methods,
    "metadata": parse_metadata,
}
PERSON_KEYS = tuple(PERSON_FIELDS)


def check_method_refs(top: dict, problems: Problems) -> None:
    """A person's channel and via keys name channels of the file (via: an email one); an id
    (ch_...) names one made over the API (checked when the people are written)."""
    channels = top.get("alert_channels")
    types = {item.get("key"): item.get("type") for item in (channels if isinstance(channels, list) else ())
             if isinstance(item, dict)}
    emails = sorted(str(key) for key, kind in types.items() if kind == "email" and key)
    items = top.get("people")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        methods = item.get("contact_methods") if isinstance(item, dict) else None
        for at, method in enumerate(methods if isinstance(methods, list) else ()):
            if not isinstance(method, dict):
                continue
            for field in ("channel", "via"):
                ref = method.get(field)
                if not isinstance(ref, str) or not ref or ref.startswith("ch_"):
                    continue
                where = ("people", index, "contact_methods", at, field)
                if ref not in types:
                    known = ", ".join(sorted(str(key) for key in types if key)) or "none defined"
                    problems.add(where, f"no alert channel with key '{ref}' (alert_channels keys: {known}; "
                                        f"a channel made over the API is named by its id, ch_...)")
                elif field == "via" and types[ref] != "email":
                    problems.add(where, f"must name an email channel (its SMTP server sends the mail), but "
                                        f"'{ref}' is of type {types[ref]} (email channels: "
                                        f"{', '.join(emails) or 'none defined'})")
