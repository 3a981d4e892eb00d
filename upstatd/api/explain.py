"""msgspec's decode errors in the API's own words.

msgspec says 'Expected `int | null`, got `str` - at `$.confirmation.failures`';
the API says "confirmation.failures must be an integer or null, got a string".
The words come from the Struct's declared field types (msgspec.inspect), so
every Struct is covered without a list of messages per route:

- a value of the wrong JSON type, an unknown or a missing parameter: 400
  (malformed), message "<param> must be <what>, got <what was sent>";
- a value of the right type outside its msgspec.Meta bounds (ge/le,
  min_length/max_length, pattern): 422 (fails validation), message
  "<param> must be between 1 and 100, got 0".

Units follow the API's: a `*_seconds` field (or one described as "seconds")
is "a number of seconds", a timestamp ("Unix seconds") an integer Unix time.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import msgspec.inspect as mi

from upstatd.api.errors import ApiError, invalid, unprocessable

_AT = re.compile(r" - at `\$([^`]*)`$")
_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]+)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`$")
_WRONG_TYPE = re.compile(r"^Expected `[^`]+`, got `[^`]+`$")
_OUT_OF_BOUNDS = re.compile(r"^Expected `[^`]+` (?:>|<|of length|matching|that is a multiple)")
_PLURAL = {"a string": "strings", "an integer": "integers", "a number": "numbers", "an object": "objects",
           "true or false": "true/false values", "a list": "lists"}
MISSING = object()  # the value at a path that the request does not hold
MAX_LISTED = 20  # a longer enum (time zones) is named by its type: "a string"


def validation_error(exc: msgspec.ValidationError, schema: type, sent: Any, *, query: bool) -> ApiError:
    """The ApiError for msgspec's ValidationError of decoding `sent` (the body as plain
    JSON data, or the query's dict of strings) into `schema`."""
    message = str(exc)
    parts: list[str | int] = []
    in_dict = False  # the error is in one of a dict's values: msgspec does not say which key
    at = _AT.search(message)
    if at:
        message = message[:at.start()]
        for name, index in _PART.findall(at.group(1)):
            if index == "...":
                in_dict = True
                break
            parts.append(name if name else int(index))
    param = ".".join(str(part) for part in parts) or None
    unknown = _UNKNOWN.match(message)
    if unknown:
        name = unknown.group(1)
        declared = type_at(schema, parts)
        where = f"{param}.{name}" if param else name
        # a field taken once: say what replaced it (a Struct's GONE: {name: message})
        gone = getattr(getattr(declared, "cls", None), "GONE", {}).get(name)
        if gone:
            return invalid(gone, where)
        known = field_names(declared)
        hint = f" (the parameters{f' of {param}' if param else ''} are: {', '.join(known)})" if known else ""
        return invalid(f"{where} is not a known parameter{hint}", where)
    missing = _MISSING.match(message)
    if missing:
        name = missing.group(1)
        return invalid(f"missing required field '{name}'", f"{param}.{name}" if param else name)
    declared = type_at(schema, parts)
    value = value_at(sent, parts)
    name = str(parts[-1]) if parts and isinstance(parts[-1], str) else ""
    if in_dict and param is not None:
        dicts = [_inner(member)[0] for member in _members(declared)]
        values = next((member.value_type for member in dicts if isinstance(member, mi.DictType)), None)
        return invalid(f"{param} must be an object whose values are each {expected(values)}", param)
    if declared is None:  # not reached with the API's Structs: still no msgspec wording
        return invalid(f"{param} is not valid", param)
    if param is None:
        return invalid(f"the body must be a JSON {expected(declared, name, query).removeprefix('an ')}, "
                       f"got {kind(value)}")
    if _OUT_OF_BOUNDS.match(message) and declared is not None:
        return unprocessable(f"{param} must be {bounds(declared, name)}{got_size(value, query)}", param)
    if _WRONG_TYPE.match(message) and declared is not None:
        got = f"'{_short(value)}'" if query and isinstance(value, str) else kind(value)
        wanted = expected(declared, name, query)
        return invalid(f"{param} must be {wanted}{'; ' if ', ' in wanted else ', '}got {got}", param)
    # anything else (an enum or literal value, a __post_init__ check): say what is wanted
    return invalid(f"{param} must be {expected(declared, name, query)}{got_size(value, query)}", param)


def decode_error(exc: msgspec.DecodeError) -> ApiError:
    """Broken JSON: where it broke, in bytes from the start of the body."""
    message = str(exc)
    if "truncated" in message:
        detail = "it ends before the JSON value is complete"
    else:
        where = re.search(r"\(byte (\d+)\)", message)
        reason = re.sub(r"^JSON is malformed: |\s*\(byte \d+\)$", "", message)
        detail = f"{reason} at byte {where.group(1)}" if where else "it is malformed"
    return ApiError(400, "invalid_request_error", "body_invalid_json", f"the body is not valid JSON: {detail}")


# -- the declared types -------------------------------------------------------------------

def _members(declared: Any) -> list[Any]:
    """The kinds a declared type accepts, unions flattened (msgspec.inspect leaves Unset out)."""
    if isinstance(declared, mi.UnionType):
        return [member for option in declared.types for member in _members(option)]
    return [] if declared is None else [declared]


def _inner(declared: Any) -> tuple[Any, dict]:
    """A Metadata-wrapped type and its extra JSON schema (enum, description)."""
    extra: dict = {}
    while isinstance(declared, mi.Metadata):
        extra = {**(declared.extra_json_schema or {}), **extra}
        declared = declared.type
    return declared, extra


def type_at(schema: Any, parts: list[str | int]) -> Any:
    """The declared type at a path of field names and list indexes (None if unknown)."""
    declared: Any = mi.type_info(schema)
    for part in parts:
        step = None
        for member in _members(declared):
            member, _ = _inner(member)
            if isinstance(part, str) and isinstance(member, (mi.StructType, mi.TypedDictType, mi.DataclassType)):
                step = next((field.type for field in member.fields if field.encode_name == part), None)
            elif isinstance(part, int) and isinstance(member, (mi.ListType, mi.SetType, mi.FrozenSetType,
                                                                 mi.VarTupleType)):
                step = member.item_type
            if step is not None:
                break
        if step is None:
            return None
        declared = step
    return declared


def field_names(declared: Any) -> list[str]:
    for member in _members(declared):
        member, _ = _inner(member)
        if isinstance(member, (mi.StructType, mi.TypedDictType, mi.DataclassType)):
            return [field.encode_name for field in member.fields]
    return []


def value_at(sent: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(part, str) and isinstance(sent, dict) and part in sent:
            sent = sent[part]
        elif isinstance(part, int) and isinstance(sent, list) and part < len(sent):
            sent = sent[part]
        else:
            return MISSING
    return sent


def _unit(name: str, extra: dict) -> str:
    description = str(extra.get("description", "")).lower()
    if "unix seconds" in description or name.endswith("_at"):
        return "unix"
    if description == "seconds" or name.endswith("_seconds"):
        return "seconds"
    return ""


def expected(declared: Any, name: str = "", query: bool = False) -> str:
    """What a declared type accepts, in words: "an integer number of seconds or null"."""
    words: list[str] = []
    nullable = False
    for member in _members(declared):
        member, extra = _inner(member)
        unit = _unit(name, extra)
        if isinstance(member, mi.NoneType):
            nullable = True
            continue
        if "enum" in extra and len(extra["enum"]) <= MAX_LISTED:
            word = "one of: " + ", ".join(str(option) for option in extra["enum"])
        elif isinstance(member, (mi.LiteralType, mi.EnumType)):
            values = member.values if isinstance(member, mi.LiteralType) else \
                [item.value for item in member.cls]
            word = "one of: " + ", ".join(str(option) for option in values)
        elif isinstance(member, mi.IntType):
            word = {"seconds": "an integer number of seconds",
                    "unix": "a Unix time in seconds (an integer)"}.get(unit, "an integer")
        elif isinstance(member, mi.FloatType):
            word = "a number of seconds" if unit == "seconds" else "a number"
        elif isinstance(member, mi.StrType):
            word = "a string"
        elif isinstance(member, mi.BoolType):
            word = "true or false"
        elif isinstance(member, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            item = expected(member.item_type)
            word = f"a list of {_PLURAL[item]}" if item in _PLURAL else f"a list (each item {item})"
        elif isinstance(member, (mi.DictType, mi.StructType, mi.TypedDictType, mi.DataclassType)):
            word = "an object"
        else:
            word = "a valid value"
        if word not in words:
            words.append(word)
    if "an integer" in words and "a number" in words:
        words.remove("an integer")
    if "an integer number of seconds" in words and "a number of seconds" in words:
        words.remove("an integer number of seconds")
    if nullable and not query:  # a query parameter is left out rather than null
        words.append("null")
    return " or ".join(words) or "null"


def bounds(declared: Any, name: str = "") -> str:
    """The Meta constraints of a declared type, in words: "between 1 and 100"."""
    for member in _members(declared):
        member, extra = _inner(member)
        if isinstance(member, (mi.IntType, mi.FloatType)):
            unit = {"seconds": " seconds", "unix": " (Unix seconds)"}.get(_unit(name, extra), "")
            low = member.ge if member.ge is not None else member.gt
            high = member.le if member.le is not None else member.lt
            if member.ge is not None and member.le is not None:
                text = f"between {low} and {high}"
            else:
                text = " and ".join(piece for piece in (
                    low is not None and (f"at least {low}" if member.ge is not None else f"more than {low}"),
                    high is not None and (f"at most {high}" if member.le is not None else f"less than {high}"),
                ) if piece)
            if member.multiple_of is not None:
                text = f"{text} and a multiple of {member.multiple_of}" if text else \
                    f"a multiple of {member.multiple_of}"
            return text + unit
        if isinstance(member, mi.StrType):
            if member.pattern is not None and member.min_length is None and member.max_length is None:
                return f"a string matching the pattern {member.pattern}"
            return _length(member.min_length, member.max_length, "characters")
        if isinstance(member, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType, mi.DictType)):
            return _length(member.min_length, member.max_length,
                           "keys" if isinstance(member, mi.DictType) else "items")
    return "a valid value"


def _length(low: int | None, high: int | None, what: str) -> str:
    if low == 1 and high is None:
        return "non-empty" if what != "characters" else "a non-empty string"
    if low is not None and high is not None:
        return f"{low}-{high} {what} long" if what == "characters" else f"{low}-{high} {what}"
    if low is not None:
        return f"at least {low} {what}" + (" long" if what == "characters" else "")
    return f"at most {high} {what}" + (" long" if what == "characters" else "")


# -- what was sent ------------------------------------------------------------------------

def kind(value: Any) -> str:
    if value is MISSING:
        return "nothing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def got_size(value: Any, query: bool) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return f", got '{_short(value)}'" if query else f", got {len(value)} characters"
    if isinstance(value, (list, dict)):
        return f", got {len(value)}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f", got {value}"
    return f", got {kind(value)}"


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
