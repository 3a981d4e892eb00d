"""The `runbooks` section: procedures to follow when something fails, each a
markdown body with ordered steps, linked to what it is for (a mapping of key to
runbook, like `services`):

    runbooks:
      postgres-down:
        title: Postgres is down
        body: |
          The primary is in rack 3. Dashboards: https://grafana.example/d/pg
        steps:
          - Check the disk on db1 (df -h /var/lib/postgresql)
          - Fail over to db2 (patronictl failover)
        tags: [database]
        linked_to:
          services: [postgres]          # keys of this file's `services`
          monitors: [pg-tcp]            # and of `monitors`, `heartbeats`, `escalation_policies`

A linked key must name an entry of this file (one made over the API is named by
its id: svc_, mon_, hbt_, esc_); a key that names nothing is an error naming its
line. The daemon keeps every version: a reload that changes the title, body,
steps or tags writes a new one (author "config").
"""

from __future__ import annotations

from typing import Any

import msgspec

from upstatd.config.check import (
    Invalid, Path, Problems, Rule, block, parse_metadata, mapped, take, text, text_list, type_name,
)

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
MAX_STEPS = 100
MAX_STEP = 1000          # characters of one step
MAX_BODY = 100_000       # characters of the markdown body
MAX_LINKS = 100          # linked targets of one kind
# linked_to's kinds: (the section of this file whose keys they name, the id prefix of one made over the API)
LINK_KINDS = {"services": ("services", "svc_"), "monitors": ("monitors", "mon_"),
              "heartbeats": ("heartbeats", "hbt_"), "escalation_policies": ("escalation_policies", "esc_")}


class RunbookSpec(msgspec.Struct, frozen=True):
    key: str
    title: str
    body: str
    steps: tuple[str, ...]
    tags: tuple[str, ...] = ()
    metadata: dict[str, str] = {}
    linked_to: dict[str, tuple[str, ...]] = {}   # kind (LINK_KINDS) -> keys (or ids) as written


def parse_runbooks(value: Any, path: Path, problems: Problems) -> tuple[RunbookSpec, ...]:
    return mapped(value, path, problems, "runbook", "{title, steps, ...}", parse_runbook)


def parse_runbook(key: str, value: Any, path: Path, problems: Problems) -> RunbookSpec | None:
    section = block(value, path, problems, RUNBOOK_FIELDS, required=("title", "steps"))
    if section is None:
        return None
    F = RUNBOOK_FIELDS
    before = len(problems.items)
    title = take(section, "title", F["title"], path, problems)
    body = take(section, "body", F["body"], path, problems, "")
    steps = take(section, "steps", F["steps"], path, problems, [])
    tags = take(section, "tags", F["tags"], path, problems, [])
    meta = take(section, "metadata", F["metadata"], path, problems, {})
    linked = _linked_to(section.get("linked_to"), path + ("linked_to",), problems)
    if len(problems.items) > before or title is None:
        return None
    return RunbookSpec(key, title, body, tuple(steps), tuple(tags), meta, linked)


def parse_steps(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise Invalid(f"must be a list of 1 to {MAX_STEPS} steps (each a string), got "
                      f"{'an empty list' if value == [] else type_name(value)}")
    if len(value) > MAX_STEPS:
        raise Invalid(f"must list at most {MAX_STEPS} steps, got {len(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(f"a step must be a string, got {type_name(item)}", at=(index,))
        if not item.strip():
            raise Invalid("a step must not be empty", at=(index,))
        if len(item) > MAX_STEP:
            raise Invalid(f"a step must be at most {MAX_STEP} characters, got {len(item)}", at=(index,))
    return list(value)


parse_steps.schema = {"type": "array", "minItems": 1, "maxItems": MAX_STEPS,
                      "items": {"type": "string", "minLength": 1, "maxLength": MAX_STEP},
                      "description": "What to do, in order"}


def parse_body(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a string (markdown), got {type_name(value)}")
    if len(value) > MAX_BODY:
        raise Invalid(f"must be at most {MAX_BODY} characters, got {len(value)}")
    return value


parse_body.schema = {"type": "string", "maxLength": MAX_BODY, "description": "Markdown"}


def _linked_to(value: Any, path: Path, problems: Problems) -> dict[str, tuple[str, ...]]:
    section = block(value, path, problems, LINK_KINDS)
    if not section:
        return {}
    out = {}
    for kind in LINK_KINDS:
        refs = take(section, kind, text_list, path, problems, [])
        if len(refs) > MAX_LINKS:
            problems.add(path + (kind,), f"must list at most {MAX_LINKS} keys, got {len(refs)}")
        elif refs:
            out[kind] = tuple(dict.fromkeys(refs))
    return out


_LINK_LIST = {"type": "array", "maxItems": MAX_LINKS, "items": {"type": "string", "minLength": 1},
              "description": "Keys of this file's entries (or ids of ones made over the API)"}
RUNBOOK_FIELDS = {
    "title": text(max_len=200),
    "body": parse_body,
    "steps": parse_steps,
    "tags": text_list,
    "metadata": parse_metadata,
    "linked_to": Rule({"type": "object", "additionalProperties": False,
                       "properties": {kind: _LINK_LIST for kind in LINK_KINDS}}),
}


def file_keys(top: dict) -> dict[str, set[str]]:
    """The keys each linked kind may name in this file, as written (an entry with other mistakes
    still has its key: a link to it is not a second error). `services` is a mapping, the others
    lists of entries with `key`."""
    keys: dict[str, set[str]] = {}
    for kind, (section, _) in LINK_KINDS.items():
        value = top.get(section)
        if isinstance(value, dict):
            keys[kind] = {key for key in value if isinstance(key, str)}
        else:
            keys[kind] = {item.get("key") for item in value or () if isinstance(item, dict)} \
                if isinstance(value, list) else set()
    return keys


def check_runbook_links(top: dict, runbooks: tuple[RunbookSpec, ...], problems: Problems) -> None:
    """Every linked key names an entry of the file (or is an id of one made over the API)."""
    keys = file_keys(top)
    for spec in runbooks:
        for kind, refs in spec.linked_to.items():
            section, prefix = LINK_KINDS[kind]
            for index, ref in enumerate(refs):
                if ref in keys[kind] or ref.startswith(prefix):
                    continue
                shown = ", ".join(sorted(keys[kind])) or "none defined"
                problems.add(("runbooks", spec.key, "linked_to", kind, index),
                             f"no {section} entry with key '{ref}' ({section} keys: {shown}; one made over "
                             f"the API is named by its id, {prefix}...)")
