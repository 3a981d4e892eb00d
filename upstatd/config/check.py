"""Validation primitives: a straight chain of small parsers with precise errors.

A parser takes a raw YAML value and returns the parsed value or raises
Invalid with a message; `take` runs one on a key of a mapping and files the
message under that key's path. Problems knows the line of every path, so an
error reads `config.yaml:14: monitors[2].interval: must be >= 1s`.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

Path = tuple[str | int, ...]
SEVERITIES = ("critical", "major", "minor", "warning")  # of monitors and heartbeats

# JSON Schema (draft 2020-12) of what the parsers below accept, as far as JSON Schema can
# say it: each parser carries its fragment as `.schema` (a dict, or a function giving one),
# next to the code that checks, and config/json_schema.py builds `upstatd schema` from them.
# The fragments describe the value after ${VAR} expansion; the document adds the ${...}
# alternative an editor needs, as it sees the file before expansion.
DURATION_PATTERN = r"^\s*(-?[0-9]+(\.[0-9]+)?|([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+)\s*$"


def with_schema(parse: Any, schema: dict | Callable[[], dict]) -> Any:
    """`parse` with its JSON Schema fragment attached (`parse.schema`)."""
    parse.schema = schema
    return parse


class Rule:
    """A key its section checks in its own code (it depends on other keys, or is a nested
    block): only its JSON Schema fragment, so the section still declares it once."""

    def __init__(self, schema: dict | Callable[[], dict]) -> None:
        self.schema = schema


def schema_of(parse: Any) -> dict:
    schema = getattr(parse, "schema", None)
    if schema is None:
        raise TypeError(f"{parse!r} has no JSON Schema fragment (.schema)")
    return schema() if callable(schema) else schema


class Invalid(Exception):
    """A parser's complaint; `at` is the key path inside the value it is about
    (a list index, a mapping key), so the error names that item's line."""

    def __init__(self, message: str, at: Path = ()) -> None:
        super().__init__(message)
        self.at = at


class Problems:
    """Every error found in one file, with its line."""

    def __init__(self, file: str, lines: dict[Path, int] | None = None) -> None:
        self.file = file
        self.lines = lines or {}
        self.items: list[tuple[int, str, str, Path]] = []  # line, dotted path, message, path
        # path -> index of an item saying its value could not be read as written
        # (an unset ${VAR}, a bad tag); later errors at or under it follow from
        # that one and are left out of messages()
        self.settled: dict[Path, int] = {}
        # (path, value after ${VAR} expansion, value as written): messages quote
        # the value as written, so a secret from the environment is not shown
        self.written: list[tuple[Path, str, str]] = []

    def add(self, path: Path, message: str) -> None:
        self.add_at(self.line(path), path, message)

    def add_at(self, line: int, path: Path, message: str, settle: bool = False) -> None:
        self.items.append((line, dotted(path), message, path))
        if settle:
            self.settled.setdefault(path, len(self.items) - 1)

    def _follows(self, index: int, path: Path) -> bool:
        return any(self.settled.get(path[:end], index) < index for end in range(len(path) + 1))

    def add_file_error(self, line: int, message: str) -> None:
        self.items.append((line, "", message, ()))

    def line(self, path: Path) -> int:
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def messages(self) -> list[str]:
        out = []
        items = [item for index, item in enumerate(self.items) if not self._follows(index, item[3])]
        for line, where, message, path in sorted(items, key=lambda item: item[0]):
            for value_path, expanded, written in self.written:
                if value_path[:len(path)] == path:
                    message = message.replace(f"'{expanded}'", f"'{written}'")
            out.append(f"{self.file}:{line}: {where}: {message}" if where else f"{self.file}:{line}: {message}")
        return out


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a mapping", bytes: "binary data"}.get(type(value), type(value).__name__)


# -- mappings ---------------------------------------------------------------

def block(value: Any, path: Path, problems: Problems, known: Iterable[str],
          required: Iterable[str] = ()) -> dict | None:
    """Check that value is a mapping with only known keys; None means empty."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping, got {type_name(value)}")
        return None
    if not isinstance(known, (tuple, frozenset)):
        known = tuple(known)
    for key in value:
        if key not in known:
            problems.add(path + (key,), f"unknown key ({unknown_hint(key, tuple(known))})")
    for key in required:
        if value.get(key) is None:
            problems.add(path, f"missing required key '{key}'")
    return value


def unknown_hint(key: Any, known: tuple[str, ...]) -> str:
    """`did you mean 'interval'? expected one of: ...` for a key not in `known`."""
    if not known:
        return "this block takes no keys yet"
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.7) if isinstance(key, str) else []
    guess = f"did you mean '{close[0]}'? " if close else ""
    return f"{guess}expected one of: {', '.join(sorted(known))}"


def take(mapping: dict, key: str, parser: Callable[[Any], Any], path: Path,
         problems: Problems, default: Any = None) -> Any:
    """Parse mapping[key]; an absent or null key gives the default."""
    value = mapping.get(key)
    if value is None:
        return default
    try:
        return parser(value)
    except Invalid as exc:
        problems.add(path + (key,) + exc.at, str(exc))
        return default


# -- scalars ----------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_SECONDS = re.compile(r"-?\d+(?:\.\d+)?")  # a quoted plain number: "30"
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_HINT = "must be a duration like 30s, 5m or 1h30m"


# text -> seconds of every duration text read so far: a file of 100,000 monitors
# writes the same few ("300s", "10s") again and again. Bounded, as a file is not.
_DURATIONS: dict[str, float] = {}
_DURATIONS_KEPT = 4096


def parse_duration(value: Any) -> float:
    if type(value) is str:
        seconds = _DURATIONS.get(value)
        if seconds is None:
            seconds = _parse_duration(value)
            if len(_DURATIONS) < _DURATIONS_KEPT:
                _DURATIONS[value] = seconds
        return seconds
    return _parse_duration(value)


def _parse_duration(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Invalid(f"{_DURATION_HINT}, got {type_name(value)}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise Invalid(f"{_DURATION_HINT}, got {value}")
        return float(value)
    text = value.strip()
    if not text:
        raise Invalid(f"{_DURATION_HINT}, got an empty string")
    if _SECONDS.fullmatch(text):
        return float(text)
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise Invalid(f"{_DURATION_HINT}, got '{value}'")
    return total


def format_duration(seconds: float) -> str:
    if seconds < 1 and seconds != 0:
        return f"{seconds * 1000:g}ms"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def duration(min: float | None = None, max: float | None = None) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        seconds = parse_duration(value)
        if min is not None and seconds < min:
            raise Invalid(f"must be >= {format_duration(min)}")
        if max is not None and seconds > max:
            raise Invalid(f"must be <= {format_duration(max)}")
        return seconds
    return with_schema(parse, duration_schema(min, max))


def duration_schema(min: float | None = None, max: float | None = None) -> dict:
    """A number of seconds (within the bounds) or a duration string (bounds unchecked)."""
    number: dict[str, Any] = {"type": "number"}
    if min is not None:
        number["minimum"] = min
    if max is not None:
        number["maximum"] = max
    bounds = [f">= {format_duration(min)}"] if min is not None else []
    bounds += [f"<= {format_duration(max)}"] if max is not None else []
    return {"anyOf": [number, {"type": "string", "pattern": DURATION_PATTERN}],
            "description": "A duration like 30s, 5m or 1h30m, or a number of seconds"
                           + (f" ({', '.join(bounds)})" if bounds else "")}


def integer(min: int | None = None, max: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, float) and math.isfinite(value):
            raise Invalid(f"must be a whole number, got {value:g}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number, got {type_name(value)}")
        if min is not None and value < min:
            raise Invalid(f"must be >= {min}")
        if max is not None and value > max:
            raise Invalid(f"must be <= {max}")
        return value
    schema: dict[str, Any] = {"type": "integer"}
    if min is not None:
        schema["minimum"] = min
    if max is not None:
        schema["maximum"] = max
    return with_schema(parse, schema)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {type_name(value)}")
    return value


boolean.schema = {"type": "boolean"}


def text(pattern: str | None = None, max_len: int = 1000, hint: str = "") -> Callable[[Any], str]:
    compiled = re.compile(pattern) if pattern else None

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"must be a string, got {type_name(value)}")
        if not value:
            raise Invalid("must not be empty")
        if len(value) > max_len:
            raise Invalid(f"must be at most {max_len} characters")
        if compiled and not compiled.fullmatch(value):
            raise Invalid(f"'{value}' is not valid{': ' + hint if hint else ''}")
        return value
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_len}
    if pattern:
        schema["pattern"] = f"^({pattern})$"
    return with_schema(parse, schema)


def choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            shown = f"'{value}'" if isinstance(value, str) else type_name(value)
            raise Invalid(f"must be one of {', '.join(options)}, got {shown}")
        return value
    return with_schema(parse, {"enum": list(options)})


def scalar_text(value: Any) -> str:
    """A string, or a number/boolean written without quotes (header values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise Invalid(f"must be a string, got {type_name(value)}")


scalar_text.schema = {"type": ["string", "number", "boolean"]}


def text_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of strings, got {type_name(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(f"must be a string, got {type_name(item)}", at=(index,))
        if not item:
            raise Invalid("must not be empty", at=(index,))
    return list(value)


text_list.schema = {"type": "array", "items": {"type": "string", "minLength": 1}}


def text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping of names to strings, got {type_name(value)}")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise Invalid(f"keys must be non-empty strings, found {type_name(key)}")
        try:
            out[key] = scalar_text(item)
        except Invalid as exc:
            raise Invalid(str(exc), at=(key,)) from None
    return out


text_map.schema = {"type": "object", "propertyNames": {"minLength": 1},
                   "additionalProperties": scalar_text.schema}


_SIZE = re.compile(r"(\d+)\s*(B|KiB|MiB|kB|MB)?")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024 * 1024, "kB": 1000, "MB": 1000 * 1000}


def byte_size(min: int = 0, max: int | None = None) -> Callable[[Any], int]:
    """A size in bytes: 1024, "100KiB", "1MiB", "10kB"."""
    def parse(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            size = value
        else:
            match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
            if match is None:
                shown = f"'{value}'" if isinstance(value, str) else type_name(value)
                raise Invalid(f"must be a size like 100KiB, 1MiB or 4096 (bytes), got {shown}")
            size = int(match.group(1)) * _SIZE_UNITS[match.group(2)]
        if size < min:
            raise Invalid(f"must be at least {min} bytes")
        if max is not None and size > max:
            raise Invalid(f"must be at most {max} bytes ({max // 1024} KiB)")
        return size
    number: dict[str, Any] = {"type": "integer", "minimum": min}
    if max is not None:
        number["maximum"] = max
    return with_schema(parse, {"anyOf": [number, {"type": "string", "pattern": r"^\s*[0-9]+\s*(B|KiB|MiB|kB|MB)?\s*$"}],
                               "description": "A size like 100KiB, 1MiB or 4096 (bytes)"})


def parse_metadata(value: Any) -> dict[str, str]:
    """API rules (DESIGN.md): at most 50 keys, keys up to 40 characters, values up to 500."""
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping of keys to strings, got {type_name(value)}")
    if len(value) > 50:
        raise Invalid(f"must have at most 50 keys, got {len(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise Invalid(f"keys must be non-empty strings, got {type_name(key)}")
        if len(key) > 40:
            raise Invalid(f"keys must be at most 40 characters, got {len(key)}", at=(key,))
        if not isinstance(item, str):
            raise Invalid(f"must be a string, got {type_name(item)}", at=(key,))
        if len(item) > 500:
            raise Invalid(f"must be at most 500 characters, got {len(item)}", at=(key,))
    return dict(value)


parse_metadata.schema = {"type": "object", "maxProperties": 50,
                         "propertyNames": {"minLength": 1, "maxLength": 40},
                         "additionalProperties": {"type": "string", "maxLength": 500}}


def keyed(value: Any, path: Path, problems: Problems, noun: str, parse: Callable[[Any, Path], Any]) -> tuple:
    """A section that is a list of entries with a unique `key` (monitors, webhooks, alert
    channels): each parsed by `parse(item, path)`; a repeated key is reported on its line
    even when either entry has other errors."""
    out = []
    first: dict[str, int] = {}  # key -> index of the entry first using it (its line looked up when repeated)
    for index, item in enumerate(entries(value, path, problems, noun)):
        spec = parse(item, path + (index,))
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key:
            if key in first:
                problems.add(path + (index, "key"), f"duplicate key '{key}' "
                                                    f"(first used on line {problems.line(path + (first[key], 'key'))})")
                continue
            first[key] = index
        if spec is not None:
            out.append(spec)
    return tuple(out)


_MAP_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def mapped(value: Any, path: Path, problems: Problems, noun: str, example: str,
           parse: Callable[[str, Any, Path], Any]) -> tuple:
    """A section that maps keys to entries (services, runbooks: read as a graph or by name):
    each parsed by `parse(key, item, path)`; absent is none. `noun` is one entry's name."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping of {noun} keys to {noun}s ({example}), got {type_name(value)}")
        return ()
    out = []
    for key, item in value.items():
        at = path + (key,)
        if not isinstance(key, str) or not _MAP_KEY.fullmatch(key):
            problems.add(at, f"'{key}' is not a valid {noun} key: use letters, digits, '-', '_' and '.'")
            continue
        spec = parse(key, item, at, problems)
        if spec is not None:
            out.append(spec)
    return tuple(out)


def entries(value: Any, path: Path, problems: Problems, noun: str) -> list:
    """A section that is a list of entries (monitors, heartbeats, webhooks): absent is none."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, f"must be a list of {noun}, got {type_name(value)}")
        return []
    return value
