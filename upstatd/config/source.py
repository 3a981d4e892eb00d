"""Reads a YAML file into plain Python values plus the line of every key path,
expanding `${VAR}` from the environment (`$$` is a literal `$`).

Expansion happens per scalar after parsing, so line numbers stay exact, and a
plain (unquoted) scalar is re-typed afterwards: `port: ${PORT}` is a number.
Mapping keys are names: a plain key is taken as the text written (`on:` is
"on", not true). Merge keys (`<<: *anchor`) are applied here, so values from
an anchor keep the anchor's lines; keys written beside `<<` override them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from yaml.events import ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from upstatd.config.check import Path, Problems, dotted

# `$$`, `${...}`, or a `${` that is never closed
_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# libyaml's parser when PyYAML was built with it: twice as fast on large files.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML = "tag:yaml.org,2002:"
_MERGE = _YAML + "merge"
_IMPLICIT_TAGS = (_YAML + "str", _YAML + "int", _YAML + "float", _YAML + "bool", _YAML + "null")
_COLLECTION_TAGS = (_YAML + "map", _YAML + "seq")
_HINTS = (  # (text in PyYAML's problem, advice)
    ("'\\t'", "indent with spaces, not tabs"),
    ("<block end>", "check the indentation"),
    ("mapping values are not allowed here", "quote values that contain ': '"),
    ("character '@'", "quote values that start with @ or `"),
    ("character '`'", "quote values that start with @ or `"),
)


def read_yaml(text: str, problems: Problems, environ: Mapping[str, str], lines: bool = True) -> Any:
    """Parse `text`; fills problems.lines (unless `lines` is false: a pass whose
    messages are not shown) and files every error in problems.

    Returns None when nothing could be read (empty file or a syntax error);
    otherwise the data, with every readable part in place even if some
    errors were filed, so that validation can report the rest at once.
    """
    before = len(problems.items)
    builder = _Builder(problems, environ, lines)
    try:
        return builder.document(yaml.parse(text, Loader=_PARSER))
    except yaml.YAMLError as exc:
        del problems.items[before:]  # what was built before the syntax error does not count
        exc = _clearest_error(text, exc)
        if isinstance(exc, yaml.MarkedYAMLError):
            line, message = describe_syntax_error(exc, text)
            problems.add_file_error(line, f"YAML syntax error: {message}")
        elif isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
            line = text.count("\n", 0, exc.position) + 1
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            problems.add_file_error(line, f"YAML syntax error: character #x{code:04x} is not allowed in YAML")
        else:  # pragma: no cover - PyYAML raises the two above
            problems.add_file_error(1, f"YAML syntax error: {exc}")
        return None
    except _TooBig:
        problems.add_file_error(1, f"the file expands to more than {MAX_VALUES:,} values "
                                   "(aliases of aliases?); refusing to build it")
        return None
    except RecursionError:
        problems.add_file_error(1, "the file nests too deeply to read")
        return None


def _clearest_error(text: str, error: yaml.YAMLError) -> yaml.YAMLError:
    """libyaml's error, or the pure-Python parser's, which says what is wrong more precisely."""
    if _PARSER is yaml.SafeLoader:
        return error
    try:
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
    except yaml.YAMLError as exc:
        return exc
    return error


def describe_syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    problem = exc.problem or exc.context or "invalid YAML"
    problem = problem.removeprefix("but ")
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark else None
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    line = problem_line or context_line or 1
    if context_line and ("end of stream" in problem or "<stream end>" in problem):
        line = context_line  # the file ended inside something opened here
    last_line = max(1, len(text.rstrip().splitlines()))
    line = min(line, last_line)
    message = problem
    if exc.problem and exc.context and exc.context != "while scanning for the next token":
        context_line = min(context_line or line, last_line)
        where = f" on line {context_line}" if context_line != line else ""
        message += f" ({exc.context}{where})"
    for needle, hint in _HINTS:
        if needle in problem:
            message += f"; {hint}"
            break
    return line, message


# An alias reuses the anchored value, but its lines are copied under every
# path that refers to it: a "billion laughs" file must not eat the memory.
MAX_VALUES = 1_000_000

_BOOLEAN_TEXT = {True: "true", False: "false"}


class _TooBig(Exception):
    pass


class _Builder:
    """Builds values straight from the parser's events: no node tree, so a file
    of 100,000 monitors is read in seconds and without a memory peak."""

    def __init__(self, problems: Problems, environ: Mapping[str, str], lines: bool = True) -> None:
        self.problems = problems
        self.environ = environ
        self.constructor = yaml.SafeLoader("")  # constructor + resolver, no stream
        self.lines = problems.lines
        self.values = 0
        # name -> (value, path, (start, end) of its lines in the log, (start, end) of its problems)
        self.anchors: dict[str, tuple[Any, Path, tuple[int, int], tuple[int, int]]] = {}
        self.building: list[str] = []                   # anchors still open, innermost last
        self.log: list[tuple[Path, int]] = []           # lines set while an anchor is open
        self.events: Iterator[yaml.Event] = iter(())
        self.texts: dict[str, str] = {}  # each distinct string value read, once
        self.with_lines = lines
        if not lines:
            self.set_line = _no_line  # type: ignore[method-assign]

    def document(self, events: Iterator[yaml.Event]) -> Any:
        self.events = events
        next(events)  # StreamStart
        event = next(events)
        if isinstance(event, yaml.StreamEndEvent):
            return None
        root = self.value(next(events), ())  # after DocumentStart
        next(events)  # DocumentEnd
        event = next(events)
        if not isinstance(event, yaml.StreamEndEvent):
            self.fail(event.start_mark.line + 1, (), "the file holds more than one YAML document "
                      "(a line with ---); keep one", settle=False)
        return root

    def set_line(self, path: Path, line: int, replace: bool = False) -> None:
        if replace or path not in self.lines:
            self.lines[path] = line
            if self.building:
                self.log.append((path, line))

    def value(self, event: yaml.Event, path: Path) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooBig
        line = event.start_mark.line + 1
        self.set_line(path, line)
        if isinstance(event, yaml.AliasEvent):
            return self.alias(event.anchor, path, line)
        anchor = event.anchor
        if anchor is not None:
            self.building.append(anchor)
            start, problems_start = len(self.log), len(self.problems.items)
        if isinstance(event, yaml.MappingStartEvent):
            self.check_collection_tag(event, _YAML + "map", path, line)
            value = self.mapping(path)
        elif isinstance(event, yaml.SequenceStartEvent):
            self.check_collection_tag(event, _YAML + "seq", path, line)
            value = self.sequence(path)
        else:
            value = self.scalar(event, path, line)
        if anchor is not None:
            self.building.pop()
            self.anchors[anchor] = (value, path, (start, len(self.log)),
                                    (problems_start, len(self.problems.items)))
        return value

    def alias(self, name: str, path: Path, line: int) -> Any:
        if name in self.building:
            self.fail(line, path, "an alias refers to a collection that contains it; "
                                  "recursive YAML structures are not allowed")
            return None
        if name not in self.anchors:
            self.fail(line, path, f"found undefined alias '*{name}'")
            return None
        self.copy_lines(name, path)
        return self.anchors[name][0]

    def copy_lines(self, name: str, path: Path) -> None:
        """The anchored value's lines and problems, under `path` too: each use of
        an anchor is reported, at the anchor's lines."""
        _, anchor_path, (start, end), (first, last) = self.anchors[name]
        depth = len(anchor_path)
        for logged_path, logged_line in self.log[start:end]:
            if len(logged_path) > depth and logged_path[:depth] == anchor_path:
                self.values += 1
                if self.values > MAX_VALUES:
                    raise _TooBig
                self.set_line(path + logged_path[depth:], logged_line)
        problems = self.problems
        for index in range(first, last):
            line, _, message, item_path = problems.items[index]
            if item_path[:depth] == anchor_path:
                settled = problems.settled.get(item_path) == index
                problems.add_at(line, path + item_path[depth:], message, settle=settled)

    def check_collection_tag(self, event: yaml.Event, expected: str, path: Path, line: int) -> None:
        if event.tag not in (None, "!", expected):
            self.fail(line, path, f"unsupported YAML tag '{_shown_tag(event.tag)}'", settle=False)

    def sequence(self, path: Path) -> list[Any]:
        out = []
        for event in self.events:
            if isinstance(event, yaml.SequenceEndEvent):
                return out
            out.append(self.value(event, path + (len(out),)))
        return out

    def mapping(self, path: Path) -> dict[str, Any]:
        written: dict[str, Any] = {}
        written_at: dict[str, int] = {}
        merged: dict[str, Any] = {}
        fast = not self.with_lines
        texts = self.texts
        for key_event in self.events:
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            line = key_event.start_mark.line + 1
            if not isinstance(key_event, yaml.ScalarEvent) or not key_event.value:
                kind = ("an empty key" if isinstance(key_event, yaml.ScalarEvent) else "an alias"
                        if isinstance(key_event, yaml.AliasEvent) else "a " + _kind(key_event))
                self.fail(line, path, f"keys must be plain names, got {kind}", settle=False)
                if not isinstance(key_event, (yaml.ScalarEvent, yaml.AliasEvent)):
                    self.value(key_event, path + ("?",))  # read past it
                self.value(next(self.events), path + ("?",))
                continue
            key = sys.intern(key_event.value)  # the same few names in every entry
            if key == "<<" and key_event.tag is None and key_event.implicit[0]:
                self.merge(next(self.events), path, line, merged)
                continue
            if key in written_at:
                self.fail(line, path + (key,), f"duplicate key (first given on line {written_at[key]})",
                          settle=False)
                self.value(next(self.events), path + ("?",))
                continue
            written_at[key] = line
            event = next(self.events)
            if fast and type(event) is ScalarEvent and event.tag is None and event.anchor is None \
                    and not event.implicit[0] and "$" not in event.value:
                # a quoted text, read without lines: what value() and scalar() would give, without
                # their calls (most of a large file's values)
                self.values += 1
                if self.values > MAX_VALUES:
                    raise _TooBig
                written[key] = texts.setdefault(event.value, event.value)
                continue
            if not fast:
                self.set_line(path + (key,), line, replace=True)  # the key's line names the entry
            written[key] = self.value(event, path + (key,))
        return {**merged, **written} if merged else written

    def merge(self, event: yaml.Event, path: Path, line: int, merged: dict[str, Any]) -> None:
        """`<<: *name` or `<<: [*a, *b]`: keys of earlier sources win, written keys win over all."""
        here = path + ("<<",)
        names = []
        if isinstance(event, yaml.AliasEvent):
            names = [event.anchor]
        elif isinstance(event, yaml.SequenceStartEvent):
            items = []
            for item in self.events:
                if isinstance(item, yaml.SequenceEndEvent):
                    break
                items.append(item)
                if not isinstance(item, yaml.AliasEvent):
                    self.value(item, here)  # read past it
            names = [item.anchor for item in items if isinstance(item, yaml.AliasEvent)]
            if not items or len(names) != len(items):
                shown = "an empty list" if not items else "a list with other things than aliases of mappings"
                self.fail(line, here, f"must be an alias of a mapping (<<: *name) or a list of them, got {shown}",
                          settle=False)
                return
        else:
            self.building.append("")  # not an anchor: only makes the lines of what is merged logged
            start = len(self.log)
            value = self.value(event, here)
            self.building.pop()
            if isinstance(value, dict):
                for logged_path, logged_line in self.log[start:]:
                    if len(logged_path) > len(here) and logged_path[:len(here)] == here:
                        self.set_line(path + logged_path[len(here):], logged_line)
            shown = (f"'{_BOOLEAN_TEXT.get(value, value)}'" if not isinstance(value, (dict, list))
                     else "a mapping written in place" if isinstance(value, dict) else "a list")
            if isinstance(value, dict):
                merged.update({k: v for k, v in value.items() if k not in merged})
                return
            self.fail(line, here, f"must be an alias of a mapping (<<: *name) or a list of them, got {shown}",
                      settle=False)
            return
        for name in names:
            if name in self.building:
                self.fail(line, here, "merges a mapping into itself; recursive YAML structures are not allowed",
                          settle=False)
                continue
            if name not in self.anchors:
                self.fail(line, here, f"found undefined alias '*{name}'", settle=False)
                continue
            value = self.anchors[name][0]
            if not isinstance(value, dict):
                self.fail(line, here, "must be an alias of a mapping (<<: *name) or a list of them, "
                                      f"got an alias of {'a list' if isinstance(value, list) else 'a value'}",
                          settle=False)
                continue
            self.copy_lines(name, path)
            for key, item in value.items():
                merged.setdefault(key, item)

    def scalar(self, event: yaml.ScalarEvent, path: Path, line: int) -> Any:
        written = event.value
        tag = event.tag
        if tag is None and not event.implicit[0] and "$" not in written:
            return self.texts.setdefault(written, written)  # quoted: a string, as resolve() would say
        if tag is None or tag == "!":
            tag = self.constructor.resolve(ScalarNode, written, event.implicit)
        if tag == _YAML + "str" and "$" not in written:
            # the common case, without the constructor's overhead; one object per distinct
            # text: 100,000 monitors share a few types and URLs, and the specs keep them
            return self.texts.setdefault(written, written)
        value = written
        if "$" in written and tag in _IMPLICIT_TAGS:
            expanded = self.expand(written, path)
            if expanded is None:  # an error is filed; keep the text as written
                return written
            if event.implicit[0]:  # plain scalar: type it by its expanded text
                tag = self.constructor.resolve(ScalarNode, expanded, (True, False))
            if expanded != written:
                self.problems.written.append((path, expanded, written))
            value = expanded
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        constructor = self.constructor.yaml_constructors.get(tag)
        try:
            if constructor is None:
                raise yaml.constructor.ConstructorError(None, None, "could not determine a constructor")
            return constructor(self.constructor, node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            self.fail(line, path, describe_construct_error(node, exc))
            return written

    def expand(self, value: str, path: Path) -> str | None:
        """`value` with every reference replaced; None (and an error filed) if one cannot be."""
        failed = False

        def replace(match: re.Match) -> str:
            nonlocal failed
            if match.group(0) == "$$":
                return "$"
            name = match.group(1)
            if name is None:
                failed = True
                self.fail(None, path, "'${' is not closed; write ${NAME}, or $$ for a literal $")
            elif not _NAME.fullmatch(name):
                failed = True
                self.fail(None, path, f"'${{{name}}}' is not a valid environment variable reference "
                                      "(names are letters, digits and '_'; write $$ for a literal $)")
            elif name not in self.environ:
                failed = True
                self.fail(None, path, f"environment variable {name} is not set")
            else:
                return self.environ[name]
            return ""
        expanded = _REFERENCE.sub(replace, value)
        return None if failed else expanded

    def fail(self, line: int | None, path: Path, message: str, settle: bool = True) -> None:
        """File an error found while reading. `settle`: the value at `path` could
        not be read as written, so later errors at or under it follow from this
        one and are not reported."""
        self.problems.add_at(self.problems.line(path) if line is None else line, path, message, settle)


def _no_line(path: Path, line: int, replace: bool = False) -> None:
    pass


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


def describe_construct_error(node: ScalarNode, exc: Exception) -> str:
    shown = _shown_tag(node.tag)
    if isinstance(exc, yaml.constructor.ConstructorError) and "could not determine a constructor" in str(exc):
        return f"unsupported YAML tag '{shown}'"
    return f"'{node.value}' is not a valid {shown} value"


def _kind(node: Node) -> str:
    return {MappingNode: "mapping", SequenceNode: "list"}.get(type(node), "value")


def path_text(path: Path) -> str:
    return dotted(path) or "(top level)"

