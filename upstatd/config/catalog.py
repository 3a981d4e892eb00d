"""The `services` section: the catalog's services, a mapping of service key to
what the service is, who owns it and what it needs.

    services:
      postgres:
        name: PostgreSQL
        owner: {schedule: ops}         # a schedule of on_call, or {user: anna} (a person of people)
        tier: 1                        # 1 (most critical) .. 4
        links: [{title: Dashboard, url: "https://grafana.example.com/d/pg"}]
      api:
        name: Public API
        depends_on: [postgres]         # keys of this section; a cycle is refused naming it

Monitors and heartbeats join a service with `service: <key>` (or a svc_ id of
one made over the API). Owners name a person or schedule of this file by key,
or one made over the API by id (usr_, sch_).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from upstatd.catalog import graph
from upstatd.config.check import (
    Invalid, Path, Problems, block, integer, parse_metadata, mapped, take, text, text_list, type_name,
)

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
OWNER_TYPES = ("user", "schedule")
# where an owner's key points: (section of this file, id prefix of one made over the API)
OWNER_REFERS_TO = {"user": ("people", "usr_"), "schedule": ("on_call", "sch_")}
MAX_LINKS = 20
MAX_DEPENDS_ON = 100
URL_PATTERN = re.compile(r"https?://", re.IGNORECASE)   # the scheme: a link a browser opens


class Link(msgspec.Struct, frozen=True):
    title: str
    url: str


class ServiceSpec(msgspec.Struct, frozen=True):
    key: str
    name: str
    description: str = ""
    owner: tuple[str, str] | None = None     # (user | schedule, a key of the file or an id)
    tier: int | None = None
    links: tuple[Link, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: dict[str, str] = {}
    depends_on: tuple[str, ...] = ()         # keys of this section


def parse_owner(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict) or len(value) != 1:
        shown = f"{len(value)} keys" if isinstance(value, dict) else type_name(value)
        raise Invalid(f"must be a mapping of exactly one of user, schedule to a key or id, like "
                      f"{{schedule: ops}}, got {shown}")
    (kind, ref), = value.items()
    if kind not in OWNER_TYPES:
        raise Invalid("unknown owner type (expected one of: user, schedule)", at=(kind,))
    if not isinstance(ref, str) or not 1 <= len(ref) <= 100:
        shown = repr(ref) if isinstance(ref, str) else type_name(ref)
        raise Invalid(f"must be a key or id of 1 to 100 characters, got {shown}", at=(kind,))
    return kind, ref


parse_owner.schema = {"type": "object", "minProperties": 1, "maxProperties": 1,
                      "propertyNames": {"enum": list(OWNER_TYPES)},
                      "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
                      "description": "Exactly one of user (a person) or schedule (an on-call schedule): "
                                     "a key of this file or an id"}


def check_url(url: Any) -> str:
    """An http(s) URL (a link a responder opens): other schemes are refused."""
    if not isinstance(url, str) or not URL_PATTERN.match(url) or len(url) > 2000:
        shown = repr(url) if isinstance(url, str) else type_name(url)
        raise Invalid(f"must be an http:// or https:// URL like https://grafana.example.com/d/pg, got {shown}")
    return url


def parse_links(value: Any) -> tuple[Link, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of {{title, url}}, got {type_name(value)}")
    if len(value) > MAX_LINKS:
        raise Invalid(f"must list at most {MAX_LINKS} links, got {len(value)}")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise Invalid(f"must be a mapping {{title, url}}, got {type_name(item)}", at=(index,))
        for key in item:
            if key not in ("title", "url"):
                raise Invalid("unknown key (expected one of: title, url)", at=(index, key))
        title = item.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 200:
            raise Invalid("must be a string of 1 to 200 characters", at=(index, "title"))
        try:
            url = check_url(item.get("url"))
        except Invalid as exc:
            raise Invalid(str(exc), at=(index, "url")) from None
        out.append(Link(title, url))
    return tuple(out)


parse_links.schema = {"type": "array", "maxItems": MAX_LINKS, "items": {
    "type": "object", "additionalProperties": False, "required": ["title", "url"],
    "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200},
                   "url": {"type": "string", "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://", "maxLength": 2000}}}}


def parse_depends_on(value: Any) -> list[str]:
    keys = text_list(value)
    if len(keys) > MAX_DEPENDS_ON:
        raise Invalid(f"must list at most {MAX_DEPENDS_ON} services, got {len(keys)}")
    return keys


parse_depends_on.schema = {"type": "array", "maxItems": MAX_DEPENDS_ON,
                           "items": {"type": "string", "minLength": 1, "maxLength": 100},
                           "description": "keys of services of this section that this one needs"}

SERVICE_FIELDS = {
    "name": text(max_len=200),
    "description": text(max_len=2000),
    "owner": parse_owner,
    "tier": integer(1, 4),
    "links": parse_links,
    "tags": text_list,
    "metadata": parse_metadata,
    "depends_on": parse_depends_on,
}
SERVICE_REF = text(max_len=100)    # a monitor's or heartbeat's `service`: a key or a svc_ id


def parse_services(value: Any, path: Path, problems: Problems) -> tuple[ServiceSpec, ...]:
    specs = mapped(value, path, problems, "service", "{postgres: {name: PostgreSQL}}", parse_service)
    if specs:
        _check_graph(value, specs, path, problems)
    return specs


def parse_service(key: str, value: Any, path: Path, problems: Problems) -> ServiceSpec | None:
    section = block(value, path, problems, SERVICE_FIELDS)
    if section is None:
        return None
    F = SERVICE_FIELDS
    before = len(problems.items)
    name = take(section, "name", F["name"], path, problems, key)
    description = take(section, "description", F["description"], path, problems, "")
    owner = take(section, "owner", F["owner"], path, problems)
    tier = take(section, "tier", F["tier"], path, problems)
    links = take(section, "links", F["links"], path, problems, ())
    tags = take(section, "tags", F["tags"], path, problems, [])
    meta = take(section, "metadata", F["metadata"], path, problems, {})
    depends_on = take(section, "depends_on", F["depends_on"], path, problems, [])
    if len(problems.items) > before:
        return None
    return ServiceSpec(key, name, description, owner, tier, links, tuple(tags), meta,
                       tuple(dict.fromkeys(depends_on)))


def _check_graph(value: dict, specs: tuple[ServiceSpec, ...], path: Path, problems: Problems) -> None:
    """Each depends_on names a service of the section; the edges make no cycle (named by keys)."""
    keys = [key for key in value if isinstance(key, str)]
    shown = ", ".join(keys) or "none defined"
    needs: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        for index, target in enumerate(spec.depends_on):
            if target not in value:
                problems.add(path + (spec.key, "depends_on", index),
                             f"no service with key '{target}' in services (keys: {shown})")
        needs[spec.key] = tuple(target for target in spec.depends_on if target in value)
    found = graph.first_cycle(needs)
    if found is None:
        return
    # the cycle told from the service of it written first, on that service's depends_on
    ring = found[:-1]
    start = min(range(len(ring)), key=lambda index: keys.index(ring[index]))
    ring = ring[start:] + ring[:start]
    problems.add(path + (ring[0], "depends_on"), f"cycle {' -> '.join([*ring, ring[0]])} (a service cannot "
                                                 f"need itself, directly or through others)")


def _entries(top: dict, section: str) -> list[dict]:
    items = top.get(section)
    return [item for item in (items if isinstance(items, list) else ()) if isinstance(item, dict)]


def check_service_refs(top: dict, problems: Problems) -> None:
    """Owners name a person or schedule of the file by key (or one made over the API by id);
    monitors' and heartbeats' `service` names a service of the file (or a svc_ id)."""
    services = top.get("services") if isinstance(top.get("services"), dict) else {}
    known = {section: {item.get("key") for item in _entries(top, section)} for section in ("people", "on_call")}
    for key, item in services.items():
        owner = item.get("owner") if isinstance(item, dict) else None
        if isinstance(owner, dict) and len(owner) == 1:
            (kind, ref), = owner.items()
            if kind in OWNER_REFERS_TO and isinstance(ref, str) and ref:
                section, prefix = OWNER_REFERS_TO[kind]
                _check_ref(problems, ("services", key, "owner", kind), ref, known[section], section, prefix)
    keys = {key for key in services if isinstance(key, str)}
    for section in ("monitors", "heartbeats"):
        for index, item in enumerate(_entries(top, section)):
            ref = item.get("service")
            if isinstance(ref, str) and ref:
                _check_ref(problems, (section, index, "service"), ref, keys, "services", "svc_")


def _check_ref(problems: Problems, path: Path, ref: str, keys: set, section: str, prefix: str) -> None:
    if ref in keys or ref.startswith(prefix):
        return
    shown = ", ".join(sorted(str(key) for key in keys if key)) or "none defined"
    problems.add(path, f"no {section} entry with key '{ref}' ({section} keys: {shown}; one made over the API "
                       f"is named by its id, {prefix}...)")


def services_schema() -> dict:
    from upstatd.config.json_schema import block_schema, nullable
    return nullable({"type": "object", "propertyNames": {"pattern": f"^({KEY_PATTERN})$"},
                     "additionalProperties": block_schema(SERVICE_FIELDS),
                     "description": "The catalog's services by key (docs/catalog-services.md)"})
