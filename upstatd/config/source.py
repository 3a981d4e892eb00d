"""Reads a YAML file into plain Python values plus the line of every key path,
expanding `${VAR}` from the environment (`$$` is a literal `$`).

Expansion happens per scalar after parsing, so line numbers stay exact, and a
plain (unquoted) scalar is re-typed afterwards: `port: ${PORT}` is a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from upstatd.config.check import Path, Problems, dotted

_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_yaml(text: str, problems: Problems, environ: Mapping[str, str]) -> Any:
    """Parse `text`; fills problems.lines and files every error in problems."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.add_file_error(line, f"YAML syntax error: {exc.problem or exc.context}")
        return None
    if root is None:
        return None
    builder = _Builder(problems, environ)
    return builder.build(root, ())


class _Builder:
    def __init__(self, problems: Problems, environ: Mapping[str, str]) -> None:
        self.problems = problems
        self.environ = environ
        self.constructor = yaml.SafeLoader("")  # constructor + resolver, no stream
        self.lines = problems.lines

    def build(self, node: Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            self.constructor.flatten_mapping(node)  # applies `<<` merge keys
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.constructor.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    self.problems.add_file_error(key_node.start_mark.line + 1,
                                                 f"{path_text(path)}: keys must be plain names")
                    continue
                key_path = path + (key,)
                if key in out:
                    self.problems.add_file_error(
                        key_node.start_mark.line + 1,
                        f"{path_text(key_path)}: duplicate key (first given on line {self.lines[key_path]})")
                    continue
                self.lines[key_path] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, key_path)
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if "$" in node.value and node.tag in ("tag:yaml.org,2002:str", *_IMPLICIT_TAGS):
            expanded = self.expand(node.value, path)
            tag = node.tag
            if node.style is None:  # plain scalar: type it by its expanded text
                tag = self.constructor.resolve(ScalarNode, expanded, (True, False))
            node = ScalarNode(tag, expanded, node.start_mark, node.end_mark, node.style)
        return self.constructor.construct_object(node, deep=True)

    def expand(self, value: str, path: Path) -> str:
        def replace(match: re.Match) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group(1)
            if not _NAME.fullmatch(name):
                self.problems.add(path, f"'${{{name}}}' is not a valid environment variable reference")
                return ""
            if name not in self.environ:
                self.problems.add(path, f"environment variable {name} is not set")
                return ""
            return self.environ[name]
        return _REFERENCE.sub(replace, value)


_IMPLICIT_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                  "tag:yaml.org,2002:null")


def path_text(path: Path) -> str:
    return dotted(path) or "(top level)"
