"""`regions:` (the places agents probe from, each with the agents allowed for it),
`server.region` (the daemon's own) and a monitor's `regions` and `quorum`.

An agent's token is read here (from `token` or a 0600 `token_file`) and only its
SHA-256 is kept: the Config never holds an agent's secret (docs/regions.md).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path as FilePath
from typing import Any

import msgspec

from upstatd import token_file
from upstatd.config.check import Invalid, Path, Problems, Rule, block, mapped, take, text, type_name

REGION_PATTERN = r"[a-z0-9][a-z0-9-]{0,31}"
_REGION = re.compile(REGION_PATTERN)
REGION_HINT = "a region name is 1-32 lowercase letters, digits and '-', starting with a letter or digit"
LOCAL = "local"
TOKEN_MIN = 32
MAX_REGIONS = 64             # on one monitor
MAX_AGENTS = 256             # in one region


class AgentSpec(msgspec.Struct, frozen=True):
    key: str
    region: str
    token_hash: str          # sha256 hex of the token (as API tokens are kept)


class RegionSpec(msgspec.Struct, frozen=True):
    name: str
    agents: tuple[AgentSpec, ...] = ()


def region_name(value: Any) -> str:
    if not isinstance(value, str) or not _REGION.fullmatch(value):
        shown = f"'{value}'" if isinstance(value, str) else type_name(value)
        raise Invalid(f"{REGION_HINT}, got {shown}")
    return value


region_name.schema = {"type": "string", "pattern": f"^{REGION_PATTERN}$"}


def own_region(value: Any) -> str | None:
    """`server.region`: a name, or false (`off` in YAML 1.1 reads as false) for none."""
    if value is False:
        return None
    return region_name(value)


own_region.schema = {"oneOf": [region_name.schema, {"const": False}],
                     "description": "the daemon's own region (default local); false: it probes nothing itself"}


def region_list(value: Any) -> tuple[str, ...]:
    """A monitor's `regions`: at least one name, each once."""
    if not isinstance(value, list) or not value:
        raise Invalid(f"must be a list of region names like [local, eu-west], got "
                      f"{'an empty list' if value == [] else type_name(value)}")
    if len(value) > MAX_REGIONS:
        raise Invalid(f"must list at most {MAX_REGIONS} regions, got {len(value)}")
    names: list[str] = []
    for index, item in enumerate(value):
        try:
            name = region_name(item)
        except Invalid as exc:
            raise Invalid(str(exc), at=(index,)) from None
        if name in names:
            raise Invalid(f"'{name}' is listed twice", at=(index,))
        names.append(name)
    return tuple(names)


region_list.schema = {"type": "array", "minItems": 1, "maxItems": MAX_REGIONS, "uniqueItems": True,
                      "items": region_name.schema}


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def read_token_file(file: str) -> str:
    """The secret in a file only its owner may read (upstatd/token_file.py)."""
    try:
        return token_file.read_token_file(file, file)
    except token_file.TokenFileError as exc:
        raise Invalid(str(exc)) from None


def check_token(secret: str) -> str:
    if len(secret) < TOKEN_MIN or any(char.isspace() for char in secret):
        raise Invalid(f"an agent token must be at least {TOKEN_MIN} characters without blanks "
                      f"(make one with: upstatd agent-token)")
    return secret


AGENT_FIELDS = {"key": text(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", hint="use letters, digits, '-', '_' and '.'"),
                "token": text(max_len=500), "token_file": text(max_len=4096)}
REGION_FIELDS = {"agents": Rule(lambda: _agents_schema())}


def _agents_schema() -> dict:
    from upstatd.config.json_schema import block_schema, nullable
    agent = block_schema(AGENT_FIELDS, ("key",))
    agent["oneOf"] = [{"required": ["token"]}, {"required": ["token_file"]}]  # exactly one (_secret)
    return nullable({"type": "array", "maxItems": MAX_AGENTS, "items": agent})


def regions_schema() -> dict:
    from upstatd.config.json_schema import block_schema, nullable
    return nullable({"type": "object", "propertyNames": {"pattern": f"^{REGION_PATTERN}$"},
                     "additionalProperties": nullable(block_schema(REGION_FIELDS)),
                     "description": "The regions agents probe from, by name (docs/regions.md)"})


def parse_regions(value: Any, path: Path, problems: Problems, file: str,
                  own: str | None) -> tuple[RegionSpec, ...]:
    """`regions:` maps names to {agents: [...]}; `own` is server.region (not declared here)."""
    def parse(name: str, item: Any, at: Path, problems: Problems) -> RegionSpec | None:
        try:
            region_name(name)
        except Invalid as exc:
            problems.add(at, str(exc))
            return None
        if name == own:
            problems.add(at, f"'{name}' is the daemon's own region (server.region): agents probe other regions; "
                             f"to let agents probe it instead, set server.region to false")
            return None
        section = block(item, at, problems, REGION_FIELDS)
        if section is None:
            return None
        agents = _agents(section.get("agents"), at + ("agents",), problems, file, name)
        return RegionSpec(name, agents)

    regions = mapped(value, path, problems, "region", "{eu-west: {agents: [...]}}", parse)
    _no_shared_agents(regions, path, problems)
    return regions


def _agents(value: Any, path: Path, problems: Problems, file: str, region: str) -> tuple[AgentSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(path, f"must be a list of agents ({{key, token_file}}), got {type_name(value)}")
        return ()
    if len(value) > MAX_AGENTS:
        problems.add(path, f"must list at most {MAX_AGENTS} agents, got {len(value)}")
        return ()
    out: list[AgentSpec] = []
    for index, item in enumerate(value):
        at = path + (index,)
        section = block(item, at, problems, AGENT_FIELDS, required=("key",))
        if section is None:
            continue
        before = len(problems.items)
        key = take(section, "key", AGENT_FIELDS["key"], at, problems)
        secret = _secret(section, at, problems, file)
        if len(problems.items) == before and key is not None and secret is not None:
            out.append(AgentSpec(key, region, token_hash(secret)))
    return tuple(out)


def _secret(section: dict, path: Path, problems: Problems, file: str) -> str | None:
    given = [name for name in ("token", "token_file") if section.get(name) is not None]
    if len(given) != 1:
        problems.add(path, "give the agent's token as exactly one of token (e.g. ${EU_WEST_1_TOKEN}) or "
                           "token_file (a file only its owner may read)")
        return None
    try:
        if given == ["token"]:
            raw = take(section, "token", AGENT_FIELDS["token"], path, problems)
            return None if raw is None else check_token(raw)
        name = take(section, "token_file", AGENT_FIELDS["token_file"], path, problems)
        if name is None:
            return None
        return check_token(read_token_file(str(FilePath(file).resolve().parent / name)))
    except Invalid as exc:
        problems.add(path + (given[0],), str(exc))
        return None


def _no_shared_agents(regions: tuple[RegionSpec, ...], path: Path, problems: Problems) -> None:
    """An agent key, and a token, belong to one agent: a token names its agent and so its region."""
    keys: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for region in regions:
        for index, agent in enumerate(region.agents):
            at = path + (region.name, "agents", index)
            if agent.key in keys:
                problems.add(at + ("key",), f"agent key '{agent.key}' is already used in region {keys[agent.key]}")
            elif agent.token_hash in tokens:
                problems.add(at, f"this token is already agent {tokens[agent.token_hash]}'s: give each agent "
                                 f"its own token")
            keys.setdefault(agent.key, region.name)
            tokens.setdefault(agent.token_hash, agent.key)


def declared_regions(own: str | None, regions: tuple[RegionSpec, ...]) -> tuple[str, ...]:
    """Every region a monitor may name: the daemon's own (unless it is off) and the agents'."""
    return (*(() if own is None else (own,)), *(region.name for region in regions))


def check_region_refs(top: dict, own: str | None, regions: tuple[RegionSpec, ...], problems: Problems) -> None:
    """Every `regions` entry of defaults and monitors is a region this file declares (or the
    daemon's own); a monitor with none left to default to is an error."""
    known = declared_regions(own, regions)
    shown = ", ".join(known) or "none: server.region is false and regions: declares none"
    defaults = top.get("defaults") if isinstance(top.get("defaults"), dict) else {}
    places: list[tuple[Path, Any]] = [(("defaults", "regions"), defaults.get("regions"))]
    items = top.get("monitors")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if isinstance(item, dict):
            places.append((("monitors", index, "regions"), item.get("regions")))
            if own is None and item.get("regions") is None and defaults.get("regions") is None:
                problems.add(("monitors", index), "probed from no region: server.region is false, so give "
                                                  "regions (or defaults.regions)")
    for path, names in places:
        for index, name in enumerate(names if isinstance(names, list) else ()):
            if isinstance(name, str) and _REGION.fullmatch(name) and name not in known:
                problems.add(path + (index,), f"no region '{name}' (regions: {shown})")
