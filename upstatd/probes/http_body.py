"""What an HTTP answer's body must say: keyword, regex and JSON checks, parsed
at config time and judged per probe.

`_body_checks` reads `keyword`, `keyword_absent`, `regex` and `json` from a
monitor's `http:` block into a frozen BodyChecks (None when there are none:
then the probe does not keep the body at all). `judge_body` holds the body
the probe read -- at most MAX_BODY bytes, already gzip/deflate-decoded by
http.py's Response -- against them and returns None or the first failure's
message (the probe reports it as keyword_missing).
"""

from __future__ import annotations

import codecs
import math
import re
from typing import Any

import msgspec

from upstatd.config.check import Invalid, Path, Problems, take, text, type_name

# body bytes read (and, decoded, kept); reading stops once more arrived. Enforced by
# http.py's Response, defined here because the failure messages name the limit.
MAX_BODY = 1024 * 1024
BODY_CHECKS = ("keyword", "keyword_absent", "regex", "json")
SNIPPET = 80  # characters of a body or value quoted in a failure message


class JsonCheck(msgspec.Struct, frozen=True):
    """One `json:` item: the value at `path` equals / does not equal a value, or exists / not."""
    path_text: str                       # as written, for messages: $.items[0].name
    path: tuple[str | int, ...]          # parsed: ("items", 0, "name")
    op: str                              # equals, not_equals, exists, absent
    expected: str = ""                   # canonical JSON of the value (hashable, shown in messages)


class BodyChecks(msgspec.Struct, frozen=True):
    keyword: str | None = None
    keyword_absent: str | None = None
    regex: Any = None                    # a compiled re.Pattern (hashable, comparable)
    json: tuple[JsonCheck, ...] = ()


# -- config ----------------------------------------------------------------------

def _body_checks(opts: dict, where: Path, problems: Problems) -> BodyChecks | None:
    keyword = take(opts, "keyword", text(max_len=1000), where, problems)
    keyword_absent = take(opts, "keyword_absent", text(max_len=1000), where, problems)
    regex = take(opts, "regex", _regex, where, problems)
    json_checks = take(opts, "json", _json_checks, where, problems, ())
    if keyword is None and keyword_absent is None and regex is None and not json_checks:
        return None
    return BodyChecks(keyword, keyword_absent, regex, json_checks)


def _regex(value: Any) -> re.Pattern:
    pattern = text(max_len=1000)(value)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise Invalid(f"is not a valid regular expression: {exc}") from None


_JSON_FORM = 'like {path: "$.status", equals: "ok"}'
_JSON_OPS = ("equals", "not_equals", "exists")


def _json_checks(value: Any) -> tuple[JsonCheck, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of checks {_JSON_FORM}, got {type_name(value)}")
    if not value:
        raise Invalid("must not be empty")
    return tuple(_json_check(item, index) for index, item in enumerate(value))


def _json_check(item: Any, index: int) -> JsonCheck:
    if not isinstance(item, dict):
        raise Invalid(f"must be a mapping {_JSON_FORM}, got {type_name(item)}", at=(index,))
    for key in item:
        if key not in ("path",) + _JSON_OPS:
            raise Invalid("unknown key (expected one of: equals, exists, not_equals, path)", at=(index, key))
    if item.get("path") is None:
        raise Invalid("missing required key 'path'", at=(index,))
    path_text = item["path"]
    if not isinstance(path_text, str):
        raise Invalid(f"must be a string, got {type_name(path_text)}", at=(index, "path"))
    try:
        path = parse_json_path(path_text)
    except Invalid as exc:
        raise Invalid(str(exc), at=(index, "path")) from None
    ops = [key for key in _JSON_OPS if key in item]  # `equals: null` is a check for null
    if len(ops) != 1:
        given = f"has {' and '.join(ops)}; " if ops else ""
        raise Invalid(f"{given}needs exactly one of equals, not_equals, exists", at=(index,))
    op = ops[0]
    if op == "exists":
        if not isinstance(item["exists"], bool):
            raise Invalid(f"must be true or false, got {type_name(item['exists'])}", at=(index, "exists"))
        return JsonCheck(path_text, path, "exists" if item["exists"] else "absent")
    try:
        expected = msgspec.json.encode(_json_value(item[op]), order="sorted").decode()
    except Invalid as exc:
        raise Invalid(str(exc), at=(index, op) + exc.at) from None
    return JsonCheck(path_text, path, op, expected)


def _json_value(value: Any) -> Any:
    """A YAML value that has a JSON twin: string, number, boolean, null, list, mapping."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid(f"must be a finite number, got {value}")
        return value
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise Invalid(f"mapping keys must be strings (JSON), got {type_name(key)}")
        return {key: _json_value(item) for key, item in value.items()}
    raise Invalid(f"must be a JSON value (string, number, true/false, null, list, mapping), "
                  f"got {type_name(value)}; quote it to compare as a string")


# $ then .name, [0], [-1] or ["any key"] / ['any key'], repeated
_PATH_STEP = re.compile(r"""\.([^.\[\]\s"']+)|\[(-?\d+)\]|\["([^"]*)"\]|\['([^']*)'\]""")
JSON_PATH_PATTERN = "^\\$(" + _PATH_STEP.pattern + ")*$"  # for the OpenAPI document


def parse_json_path(path: str) -> tuple[str | int, ...]:
    if not path.startswith("$"):
        raise Invalid(f"'{path}' must start with $, like $.status or $.items[0].name")
    steps: list[str | int] = []
    pos = 1
    while pos < len(path):
        match = _PATH_STEP.match(path, pos)
        if match is None:
            raise Invalid(f"'{path}' is not a valid path at character {pos + 1}: "
                          f"steps are .name, [0] or [\"name\"]")
        name, index, quoted, single = match.groups()
        steps.append(int(index) if index is not None else
                     name if name is not None else quoted if quoted is not None else single)
        pos = match.end()
    return tuple(steps)


# -- body assertions ---------------------------------------------------------------

_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_MISSING = object()


def judge_body(checks: BodyChecks, body: bytes, content_type: bytes, truncated: bool) -> str | None:
    """None when every assertion holds, else the first failure's message."""
    within = f" in its first {MAX_BODY // (1024 * 1024)} MiB" if truncated else ""
    if checks.keyword is not None or checks.keyword_absent is not None or checks.regex is not None:
        text = decode_text(body, content_type)
        if checks.keyword is not None and checks.keyword not in text:
            return f"body does not contain {_quote(checks.keyword)}{within}; {_starts(text)}"
        if checks.keyword_absent is not None and (at := text.find(checks.keyword_absent)) >= 0:
            context = text[max(0, at - 30):at + len(checks.keyword_absent) + 30]
            cut = ("…" if at > 30 else "", "…" if at + len(checks.keyword_absent) + 30 < len(text) else "")
            return f"body contains {_quote(checks.keyword_absent)}: '{cut[0]}{_printable(context, 160)}{cut[1]}'"
        if checks.regex is not None and checks.regex.search(text) is None:
            return f"body does not match the regex {_quote(checks.regex.pattern)}{within}; {_starts(text)}"
    if checks.json:
        if truncated:
            return f"body is not JSON: cut off at the {MAX_BODY // (1024 * 1024)} MiB limit"
        try:
            document = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            reason = str(exc).removeprefix("JSON is malformed: ")
            return f"body is not JSON: {reason[:1].lower()}{reason[1:]}" if body else "body is not JSON: it is empty"
        except RecursionError:
            return "body is not JSON upstatd can read: nested too deeply"
        for check in checks.json:
            failed = judge_json(check, document)
            if failed is not None:
                return failed
    return None


def judge_json(check: JsonCheck, document: Any) -> str | None:
    node = document
    for step in check.path:
        if isinstance(step, int):
            if type(node) is not list or not -len(node) <= step < len(node):
                node = _MISSING
                break
        elif type(node) is not dict or step not in node:
            node = _MISSING
            break
        node = node[step]
    where = check.path_text
    if check.op == "exists":
        return f"{where} not found" if node is _MISSING else None
    if check.op == "absent":
        return None if node is _MISSING else f"{where} is present ({_show(node)}), expected it absent"
    expected = _short(check.expected)
    if node is _MISSING:
        return f"{where} not found, expected {expected}" if check.op == "equals" else f"{where} not found"
    same = json_equal(node, msgspec.json.decode(check.expected))
    if check.op == "equals" and not same:
        return f"{where} is {_show(node)}, expected {expected}"
    if check.op == "not_equals" and same:
        return f"{where} is {_show(node)}, expected anything but {expected}"
    return None


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 and "1" != 1; lists and objects compared deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    return type(a) is type(b) and a == b


def decode_text(body: bytes, content_type: bytes) -> str:
    charset = "utf-8"
    if match := _CHARSET.search(content_type):
        try:
            charset = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            pass
    return body.decode(charset, "replace")


def _printable(text: str, limit: int = SNIPPET) -> str:
    shown = " ".join("".join(c if c.isprintable() else " " for c in text[:limit * 4]).split())
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _quote(text: str) -> str:
    return f"'{_printable(text)}'"


def _starts(text: str) -> str:
    shown = _printable(text)
    return f"it starts with '{shown}'" if shown else ("it is empty" if not text else "it is blank")


def _short(json_text: str) -> str:
    return json_text if len(json_text) <= SNIPPET else json_text[:SNIPPET - 1] + "…"


def _show(value: Any) -> str:
    return _short(msgspec.json.encode(value).decode())
