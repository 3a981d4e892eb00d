"""Metadata, the free-form labels every API object carries (Stripe's rules):
at most 50 keys, a key 1-40 characters, a value a string of at most 500
characters. An update merges into what is there; a key set to "" is removed.

    from upstatd import metadata
    class MonitorCreate(msgspec.Struct):
        metadata: metadata.Metadata = {}
    ...
    stored = metadata.merge({}, metadata.validate(body.metadata))        # create
    stored = metadata.merge(old, metadata.validate(body.metadata))       # update

`Metadata` decodes any JSON object (so that validate() can name the exact
key that is wrong) and documents the rules in the JSON Schema / OpenAPI.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from upstatd.errors import Invalid, Malformed

MAX_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500

Metadata = Annotated[dict[str, Any], msgspec.Meta(
    description=f"String labels: at most {MAX_KEYS} keys of 1-{MAX_KEY_LENGTH} characters, values of at "
                f"most {MAX_VALUE_LENGTH} characters. An update merges; a value of \"\" removes the key.",
    extra_json_schema={"propertyNames": {"minLength": 1, "maxLength": MAX_KEY_LENGTH},
                       "additionalProperties": {"type": "string", "maxLength": MAX_VALUE_LENGTH},
                       "maxProperties": MAX_KEYS})]


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def validate(value: Any) -> dict[str, str]:
    """Check a metadata object from a request; returns it as a new dict, "" values
    (removals) included. Raises Malformed (400) for a wrong type, Invalid (422)
    for a broken rule, naming `metadata.<key>`."""
    if not isinstance(value, dict):
        raise Malformed("metadata must be an object of string values", "metadata")
    kept = 0
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise Invalid("metadata keys must be non-empty strings", "metadata")
        param = f"metadata.{key}"
        if len(key) > MAX_KEY_LENGTH:
            raise Invalid(f"metadata key '{_short(key)}' is {len(key)} characters long; "
                          f"the most is {MAX_KEY_LENGTH}", param)
        if not isinstance(item, str):
            kind = "null" if item is None else type(item).__name__
            raise Malformed(f"metadata values must be strings, got {kind} for '{key}' "
                          f"(send \"\" to remove a key)", param)
        if len(item) > MAX_VALUE_LENGTH:
            raise Invalid(f"the metadata value of '{key}' is {len(item)} characters long; "
                          f"the most is {MAX_VALUE_LENGTH}", param)
        kept += item != ""
    if kept > MAX_KEYS:
        raise Invalid(f"metadata can hold at most {MAX_KEYS} keys, got {kept}", "metadata")
    return dict(value)


def merge(old: dict[str, str], patch: dict[str, str]) -> dict[str, str]:
    """`old` updated by a validated `patch`: "" removes a key, anything else sets it.
    Raises Invalid if the result would hold more than MAX_KEYS keys."""
    merged = dict(old)
    for key, item in patch.items():
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > MAX_KEYS:
        raise Invalid(f"metadata can hold at most {MAX_KEYS} keys; this update would make {len(merged)} "
                      f"(remove keys by setting them to \"\")", "metadata")
    return merged
