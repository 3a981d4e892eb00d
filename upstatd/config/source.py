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
from collections.abc import Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from upstatd.config.check import Path, Problems, dotted

# `$$`, `${...}`, or a `${` that is never closed
_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# libyaml's parser when PyYAML was built with it: twice as fast on large files.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
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


def read_yaml(text: str, problems: Problems, environ: Mapping[str, str]) -> Any:
    """Parse `text`; fills problems.lines and files every error in problems.

    Returns None when nothing could be read (empty file or a syntax error);
    otherwise the data, with every readable part in place even if some
    errors were filed, so that validation can report the rest at once.
    """
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        line, message = describe_syntax_error(exc, text)
        problems.add_file_error(line, f"YAML syntax error: {message}")
        return None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problems.add_file_error(line, f"YAML syntax error: character #x{code:04x} is not allowed in YAML")
        return None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises the two above
        problems.add_file_error(1, f"YAML syntax error: {exc}")
        return None
    if root is None:
        return None
    try:
        return _Builder(problems, environ).build(root, (), frozenset())
    except _TooBig:
        problems.add_file_error(1, f"the file expands to more than {MAX_VALUES:,} values "
                                   "(aliases of aliases?); refusing to build it")
        return None


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError:
        if _COMPOSER is yaml.SafeLoader:
            raise
    # pure-Python PyYAML says what is wrong more precisely than libyaml
    return yaml.compose(text, Loader=yaml.SafeLoader)


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


# Aliases are expanded into copies: a "billion laughs" file must not eat the memory.
MAX_VALUES = 1_000_000


class _TooBig(Exception):
    pass


class _Builder:
    def __init__(self, problems: Problems, environ: Mapping[str, str]) -> None:
        self.problems = problems
        self.environ = environ
        self.constructor = yaml.SafeLoader("")  # constructor + resolver, no stream
        self.lines = problems.lines
        self.values = 0

    def build(self, node: Node, path: Path, inside: frozenset[int]) -> Any:
        """`inside`: ids of the collection nodes being built around this one."""
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooBig
        line = node.start_mark.line + 1
        self.lines.setdefault(path, line)
        if id(node) in inside:
            self.fail(line, path, "an alias refers to a collection that contains it; "
                                  "recursive YAML structures are not allowed")
            return None
        if isinstance(node, (MappingNode, SequenceNode)) and node.tag not in _COLLECTION_TAGS:
            self.fail(line, path, f"unsupported YAML tag '{_shown_tag(node.tag)}'", settle=False)
        if isinstance(node, MappingNode):
            return self.build_mapping(node, path, inside | {id(node)})
        if isinstance(node, SequenceNode):
            inside = inside | {id(node)}
            return [self.build(item, path + (index,), inside) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        written = node.value
        if "$" in written and node.tag in _IMPLICIT_TAGS:
            expanded = self.expand(written, path)
            if expanded is None:  # an error is filed; keep the text as written
                return written
            tag = node.tag
            if not node.style:  # plain scalar (libyaml says ''): type it by its expanded text
                tag = self.constructor.resolve(ScalarNode, expanded, (True, False))
            if expanded != written:
                self.problems.written.append((path, expanded, written))
            node = ScalarNode(tag, expanded, node.start_mark, node.end_mark, node.style)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # PyYAML leaves a failed node marked as "being built"; unmark it so
            # that another alias of it gets the same message, not a recursion error
            self.constructor.recursive_objects.pop(node, None)
            self.fail(line, path, describe_construct_error(node, exc))
            return written

    def build_mapping(self, node: MappingNode, path: Path, inside: frozenset[int]) -> dict[str, Any]:
        winners: dict[str, tuple[Node, Node]] = {}  # key -> (key node, value node); last one wins
        written_at: dict[str, int] = {}             # keys written in this mapping -> line
        for key_node, value_node, merged in self.entries(node, path, inside):
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or not key_node.value:
                self.fail(line, path, "keys must be plain names, "
                          f"got {'an empty key' if isinstance(key_node, ScalarNode) else 'a ' + _kind(key_node)}",
                          settle=False)
                continue
            key = key_node.value
            if not merged:
                if key in written_at:
                    self.fail(line, path + (key,), f"duplicate key (first given on line {written_at[key]})",
                              settle=False)
                    continue
                written_at[key] = line
            winners[key] = (key_node, value_node)
        out: dict[str, Any] = {}
        for key, (key_node, value_node) in winners.items():
            key_path = path + (key,)
            self.lines[key_path] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, key_path, inside)
        return out

    def entries(self, node: MappingNode, path: Path, inside: frozenset[int]) -> list[tuple[Node, Node, bool]]:
        """The mapping's (key, value, merged) pairs, lowest priority first: keys
        merged with `<<` (an earlier source wins over a later one), then the
        keys written in the mapping itself."""
        merged: list[tuple[Node, Node, bool]] = []
        written: list[tuple[Node, Node, bool]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                written.append((key_node, value_node, False))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            if not sources or not all(isinstance(source, MappingNode) for source in sources):
                shown = ("an empty list" if not sources else f"'{value_node.value}'"
                         if isinstance(value_node, ScalarNode) else "a list with other things than mappings")
                self.fail(key_node.start_mark.line + 1, path + ("<<",),
                          f"must be an alias of a mapping (<<: *name) or a list of them, got {shown}",
                          settle=False)
                continue
            for source in reversed(sources):
                if id(source) in inside:
                    self.fail(key_node.start_mark.line + 1, path + ("<<",),
                              "merges a mapping into itself; recursive YAML structures are not allowed",
                              settle=False)
                    continue
                merged += [(k, v, True) for k, v, _ in self.entries(source, path, inside | {id(source)})]
        return merged + written

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

