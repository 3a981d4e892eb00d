"""The config file's JSON Schema (draft 2020-12): `upstatd schema`, for editors.

Built from the code that validates the file, not written beside it: each
section declares its keys once, each with its parser (SERVER_FIELDS,
MONITOR_FIELDS, ... in config/), and each parser carries the JSON Schema of
what it accepts (`.schema`, config/check.py). The probes' type blocks come
from their `options_schema()` and `URL_SCHEMA` (those of the OpenAPI document).

What JSON Schema cannot say stays with the loader alone, and `upstatd
check-config` is the last word: bounds of durations written as strings, cron
and OnCalendar expressions, time zones, a timeout longer than its interval,
channel references, duplicate keys, Apprise URLs, templates.

The file is validated as an editor reads it, before `${VAR}` expansion: where a
value is not any string, a string holding `${` is allowed too (`port: ${PORT}`).
"""

from __future__ import annotations

import json
from typing import Any

from upstatd.config.check import duration_schema, schema_of

DRAFT = "https://json-schema.org/draft/2020-12/schema"
PLACEHOLDER = {"type": "string", "pattern": r"\$\{", "description": "${VAR}: filled in from the environment"}
NULL = {"type": "null"}
# keywords whose subschemas are walked to add the ${VAR} alternative (not `if`, `not`,
# `propertyNames`: a placeholder there would turn their meaning around, and keys are not expanded)
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")
_SUBSCHEMAS = ("additionalProperties", "items", "then", "else")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCALAR_TYPES = {"string", "number", "integer", "boolean"}


def block_schema(fields: dict[str, Any], required: tuple[str, ...] = ()) -> dict:
    """A mapping with exactly these keys (block() in check.py), each value as its parser takes it."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "properties": {key: schema_of(parse) for key, parse in fields.items()}}
    if required:
        schema["required"] = list(required)
    return schema


def nullable(schema: dict) -> dict:
    """A block or section that may be left empty (`http:`): block() and entries() take null as none.
    (Its type widened, not an anyOf: a mistake inside it is then reported where it is.)"""
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, NULL]}


def entries(item: dict) -> dict:
    return nullable({"type": "array", "items": item})


def probe_block(kind: str) -> dict:
    """A monitor's type block: the probe's own schema (the OpenAPI one, in seconds), where the
    config file also takes durations as strings (`max_response_time: 500ms`)."""
    from upstatd.probes import PROBES
    schema = json.loads(json.dumps(PROBES[kind].options_schema()))  # a copy: the fragments are shared
    for key, item in schema.get("properties", {}).items():
        if item.get("type") == "number" and item.get("description") == "seconds":
            schema["properties"][key] = duration_schema(item.get("minimum"), item.get("maximum"))
    return schema


def monitor_schema() -> dict:
    from upstatd.config.schema import MONITOR_FIELDS, MONITOR_REQUIRED
    from upstatd.probes import PROBES
    schema = block_schema(MONITOR_FIELDS, MONITOR_REQUIRED)
    schema["properties"].update({kind: nullable(probe_block(kind)) for kind in PROBES})
    schema["allOf"] = [{  # the url in the form of the type, and no other type's block (parse_monitor)
        "if": {"required": ["type"], "properties": {"type": {"const": kind}}},
        "then": {"properties": {"url": {"type": "string", **(PROBES[kind].url_schema or {})},
                                **{other: False for other in PROBES if other != kind}}},
    } for kind in PROBES]
    return schema


def heartbeat_schema() -> dict:
    from upstatd.config.heartbeats import HEARTBEAT_FIELDS, HEARTBEAT_REQUIRED, SCHEDULES
    schema = block_schema(HEARTBEAT_FIELDS, HEARTBEAT_REQUIRED)
    schema["properties"]["body_keywords"] = nullable(schema["properties"]["body_keywords"])
    schema["oneOf"] = [{"required": [kind]} for kind in SCHEDULES]  # exactly one (parse_schedule)
    return schema


def channel_schema() -> dict:
    from upstatd.config.alert_channels import BLOCK_FIELDS, BLOCK_REQUIRED, CHANNEL_FIELDS, CHANNEL_REQUIRED
    schema = block_schema(CHANNEL_FIELDS, CHANNEL_REQUIRED)
    schema["properties"].update({kind: block_schema(fields, BLOCK_REQUIRED[kind])
                                 for kind, fields in BLOCK_FIELDS.items()})
    schema["allOf"] = [{  # its type's block, and no other (parse_channel)
        "if": {"required": ["type"], "properties": {"type": {"const": kind}}},
        "then": {"required": [kind], "properties": {other: False for other in BLOCK_FIELDS if other != kind}},
    } for kind in BLOCK_FIELDS]
    return schema


def maintenance_schema() -> dict:
    from upstatd.config.maintenance import RULES, WINDOW_FIELDS
    schema = block_schema(WINDOW_FIELDS, ("key", "title"))
    schema["oneOf"] = [  # a one-off's times, or one rule with its duration (parse_window)
        {"required": ["starts_at", "ends_at"], "properties": {name: False for name in (*RULES, "duration")}},
        *({"required": [kind, "duration"], "properties": {other: False for other in (*RULES, "starts_at", "ends_at")
                                                          if other != kind}} for kind in RULES)]
    return schema


def on_call_schema() -> dict:
    from upstatd.config.on_call import SCHEDULE_FIELDS
    return block_schema(SCHEDULE_FIELDS, ("key", "name"))


def policy_schema() -> dict:
    from upstatd.config.escalation_policies import POLICY_FIELDS
    return block_schema(POLICY_FIELDS, ("key", "steps"))


def services_schema() -> dict:
    from upstatd.config.catalog import services_schema
    return services_schema()


def runbooks_schema() -> dict:
    from upstatd.config.runbooks import KEY_PATTERN, RUNBOOK_FIELDS
    return nullable({"type": "object", "propertyNames": {"pattern": f"^({KEY_PATTERN})$"},
                     "additionalProperties": block_schema(RUNBOOK_FIELDS, ("title", "steps"))})


def regions_schema() -> dict:
    from upstatd.config.regions import regions_schema
    return regions_schema()


def section_schemas() -> dict[str, dict]:
    """The schema of each top-level section, in the order of SECTIONS."""
    from upstatd.config import heartbeats, incidents, people, schema, webhooks
    sections = {
        "server": nullable(block_schema(schema.SERVER_FIELDS)),
        "storage": nullable(block_schema(schema.STORAGE_FIELDS)),
        "scheduler": nullable(block_schema(schema.SCHEDULER_FIELDS)),
        "defaults": nullable(block_schema(schema.DEFAULTS_FIELDS)),
        "monitors": entries(monitor_schema()),
        "heartbeats": entries(heartbeat_schema()),
        "pings": nullable(block_schema(heartbeats.PINGS_FIELDS)),
        "incidents": nullable(block_schema(incidents.INCIDENTS_FIELDS)),
        "webhooks": entries(block_schema(webhooks.WEBHOOK_FIELDS, webhooks.WEBHOOK_REQUIRED)),
        "alert_channels": entries(channel_schema()),
        "retention": nullable(block_schema(schema.RETENTION_FIELDS)),
        "api": nullable(block_schema(schema.API_FIELDS)),
        "metrics": nullable(block_schema(schema.METRICS_FIELDS)),
        "maintenance": entries(maintenance_schema()),
        "people": entries(block_schema(people.PERSON_FIELDS, ("key", "name"))),
        "on_call": entries(on_call_schema()),
        "escalation_policies": entries(policy_schema()),
        "services": services_schema(),
        "runbooks": runbooks_schema(),
        "regions": regions_schema(),
    }
    if tuple(sections) != schema.SECTIONS:  # pragma: no cover - the tests say which
        raise AssertionError(f"sections {tuple(sections)} != {schema.SECTIONS}")
    return sections


def config_schema() -> dict:
    """The whole document, as `upstatd schema` prints it."""
    from upstatd import __version__
    document = {
        "$schema": DRAFT,
        "title": "upstatd configuration",
        "description": f"The config file of upstatd {__version__} (docs/configuration.md). Generated by "
                       "`upstatd schema` from the code that validates the file; `upstatd check-config` "
                       "checks what JSON Schema cannot say.",
        "type": "object",
        "additionalProperties": False,
        "properties": section_schemas(),
        # `x-` keys hold YAML anchors to reuse (`x-web: &web {...}`)
        "patternProperties": {"^x-": {}},
    }
    return with_placeholders(document)


def with_placeholders(schema: Any) -> Any:
    """The schema with a `${VAR}` alternative beside every scalar that is not just any string."""
    if not isinstance(schema, dict):
        return schema
    if _is_scalar(schema):
        return schema if _any_string(schema) else {"anyOf": [schema, PLACEHOLDER]}
    out = dict(schema)
    for word in _SUBSCHEMA_MAPS:
        if isinstance(out.get(word), dict):
            out[word] = {name: with_placeholders(item) for name, item in out[word].items()}
    for word in _SUBSCHEMAS:
        if word in out:
            out[word] = with_placeholders(out[word])
    if isinstance(out.get("anyOf"), list) and all(_is_scalar(item) for item in out["anyOf"]):
        if not any(_any_string(item) for item in out["anyOf"]):
            out["anyOf"] = [*out["anyOf"], PLACEHOLDER]
        return out
    for word in _SUBSCHEMA_LISTS:
        if isinstance(out.get(word), list):
            out[word] = [with_placeholders(item) for item in out[word]]
    return out


def _is_scalar(schema: Any) -> bool:
    """A schema of one scalar value (not null alone): its type, an enum, a pattern or bounds."""
    if not isinstance(schema, dict) or schema == NULL:
        return False
    kind = schema.get("type")
    kinds = set(kind if isinstance(kind, list) else [kind] if kind else [])
    if kinds and not kinds <= _SCALAR_TYPES | {"null"}:
        return False
    words = set(schema) - {"description", "title", "default", "examples", "format"}
    return bool(words) and words <= {"type", "enum", "const", "pattern", "minLength", "maxLength",
                                     "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


def _any_string(schema: dict) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return ("string" in kinds and not {"enum", "const", "pattern", "format"} & set(schema)
            and schema.get("minLength", 0) <= 1)
