"""The `escalation_policies` section: who is paged when an incident stays open
(keyed like `alert_channels`). The pure core (oncall/escalation.py
check_policy) says what a usable policy is; this module reads the file's form
into it and names the file's key path of the core's complaint.

    escalation_policies:
      - key: default
        name: Ops default
        default: true                  # at most one: the policy of subjects that name none
        steps:
          - wait: 0s                   # after the step before (the first: after the incident opened)
            targets: [{current_on_call: ops}]
          - wait: 10m
            targets: [{schedule_members: ops}, {user: anna}, {channel: mail}]
        repeat: 2                      # two more rounds
        repeat_delay: 10m

Targets name people, schedules and channels by their key in this file, or by
id (usr_, sch_, ch_) when made over the API; monitors and heartbeats name a
policy by key or esc_ id in `escalation_policy`.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from upstatd.config.check import (
    Path, Problems, Rule, block, boolean, duration, integer, keyed, parse_metadata, take, text, type_name,
)
from upstatd.oncall.escalation import (
    MAX_REPEAT, MAX_STEPS, MAX_WAIT, TARGET_TYPES, EscalationError, Policy, Step, Target, check_policy,
)

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
MAX_TARGETS = 50
# where a target's reference points: (section of this file, id prefix of one made over the API)
REFERS_TO = {"current_on_call": ("on_call", "sch_"), "schedule_members": ("on_call", "sch_"),
             "user": ("people", "usr_"), "channel": ("alert_channels", "ch_")}
# the core's field names -> the file's
FILE_NAMES = {"wait_seconds": "wait", "repeat_delay_seconds": "repeat_delay"}


class PolicySpec(msgspec.Struct, frozen=True):
    key: str | None          # None: made over the API
    name: str
    policy: Policy           # checked; target ids as written (keys of the file, or ids)
    is_default: bool = False
    metadata: dict[str, str] = {}


def parse_escalation_policies(value: Any, path: Path, problems: Problems) -> tuple[PolicySpec, ...]:
    specs = keyed(value, path, problems, "escalation policies", lambda item, at: parse_policy(item, at, problems))
    defaults = [index for index, item in enumerate(value if isinstance(value, list) else ())
                if isinstance(item, dict) and item.get("default") is True]
    for index in defaults[1:]:
        problems.add(path + (index, "default"), f"only one policy can be the default (the first is "
                                                f"on line {problems.line(path + (defaults[0], 'default'))})")
    return specs


def parse_policy(value: Any, path: Path, problems: Problems) -> PolicySpec | None:
    section = block(value, path, problems, POLICY_FIELDS, required=("key", "steps"))
    if section is None:
        return None
    F = POLICY_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems)
    name = take(section, "name", F["name"], path, problems, key)
    steps = _steps(section.get("steps"), path + ("steps",), problems)
    repeat = take(section, "repeat", F["repeat"], path, problems, 0)
    delay = take(section, "repeat_delay", F["repeat_delay"], path, problems, 0.0)
    is_default = take(section, "default", F["default"], path, problems, False)
    meta = take(section, "metadata", F["metadata"], path, problems, {})
    if len(problems.items) > before or steps is None:
        return None
    try:
        policy = check_policy(Policy(steps, repeat, delay))
    except EscalationError as exc:
        message = str(exc).split(": ", 1)[1]
        for core, name in FILE_NAMES.items():
            message = message.replace(core, name)
        problems.add(path + file_path(exc.param), message)
        return None
    return PolicySpec(key, name, policy, is_default, meta)


def _steps(value: Any, path: Path, problems: Problems) -> tuple[Step, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        problems.add(path, f"must be a list of 1 to {MAX_STEPS} steps ({{wait: 10m, targets: [...]}}), "
                           f"got {'an empty list' if value == [] else type_name(value)}")
        return None
    out = []
    for index, item in enumerate(value):
        at = path + (index,)
        step = block(item, at, problems, STEP_FIELDS, required=("targets",))
        if step is None:
            return None
        wait = take(step, "wait", STEP_FIELDS["wait"], at, problems, 0.0)
        targets = _targets(step.get("targets"), at + ("targets",), problems)
        if targets is None:
            return None
        out.append(Step(wait, targets))
    return tuple(out)


def _targets(value: Any, path: Path, problems: Problems) -> tuple[Target, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        problems.add(path, "must be a list of one or more targets like {current_on_call: ops}, got "
                           f"{'an empty list' if value == [] else type_name(value)}")
        return None
    if len(value) > MAX_TARGETS:
        problems.add(path, f"must list at most {MAX_TARGETS} targets, got {len(value)}")
        return None
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or len(item) != 1:
            shown = f"{len(item)} keys" if isinstance(item, dict) else type_name(item)
            problems.add(path + (index,), f"must be a mapping of exactly one of {', '.join(TARGET_TYPES)} to a "
                                          f"key or id, like {{current_on_call: ops}}, got {shown}")
            return None
        (kind, ref), = item.items()
        if kind not in TARGET_TYPES:
            problems.add(path + (index, kind), f"unknown target (expected one of: {', '.join(TARGET_TYPES)})")
            return None
        if not isinstance(ref, str) or not ref or len(ref) > 100:
            problems.add(path + (index, kind), f"must be a key or id of 1 to 100 characters, got "
                                               f"{type_name(ref) if not isinstance(ref, str) else repr(ref)}")
            return None
        out.append(Target(kind, ref))
    return tuple(out)


def file_path(param: str) -> Path:
    """The core's param as the file's key path: `steps[1].wait_seconds` -> ("steps", 1, "wait");
    a target's `.type` or `.id` is the target's own entry."""
    out: list[str | int] = []
    for name, index in re.findall(r"([a-z_]+)(?:\[(\d+)\])?", param):
        out.append(FILE_NAMES.get(name, name))
        if index:
            out.append(int(index))
    if len(out) > 1 and out[-1] in ("type", "id"):
        out.pop()
    return tuple(out)


def api_param(param: str) -> str:
    """The core's param as the API's: `steps[1].wait_seconds` -> `steps.1.wait_seconds`."""
    return re.sub(r"\[(\d+)\]", r".\1", param)


_TARGET_SCHEMA = {"type": "object", "minProperties": 1, "maxProperties": 1,
                  "propertyNames": {"enum": list(TARGET_TYPES)},
                  "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
                  "description": "Exactly one of current_on_call or schedule_members (a schedule), user "
                                 "(a person), channel (an alert channel): a key of this file or an id"}
STEP_FIELDS = {
    "wait": duration(min=0, max=MAX_WAIT),
    "targets": Rule({"type": "array", "minItems": 1, "maxItems": MAX_TARGETS, "items": _TARGET_SCHEMA}),
}
POLICY_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "name": text(max_len=200),
    "steps": Rule(lambda: {"type": "array", "minItems": 1, "maxItems": MAX_STEPS, "items": _step_schema()}),
    "repeat": integer(0, MAX_REPEAT),
    "repeat_delay": duration(min=0, max=MAX_WAIT),
    "default": boolean,
    "metadata": parse_metadata,
}


def _step_schema() -> dict:
    from upstatd.config.json_schema import block_schema
    return block_schema(STEP_FIELDS)


def _entries(top: dict, section: str) -> list[dict]:
    items = top.get(section)
    return [item for item in (items if isinstance(items, list) else ()) if isinstance(item, dict)]


def check_policy_refs(top: dict, problems: Problems) -> None:
    """Targets name people, schedules and channels of the file by key (or API ones by id);
    monitors and heartbeats name a policy of the file by key (or an API one by esc_ id)."""
    known = {section: {item.get("key") for item in _entries(top, section)}
             for section in ("on_call", "people", "alert_channels", "escalation_policies")}
    for index, policy in enumerate(_entries(top, "escalation_policies")):
        steps = policy.get("steps")
        for number, step in enumerate(steps if isinstance(steps, list) else ()):
            targets = step.get("targets") if isinstance(step, dict) else None
            for at, target in enumerate(targets if isinstance(targets, list) else ()):
                if not isinstance(target, dict) or len(target) != 1:
                    continue
                (kind, ref), = target.items()
                if kind in REFERS_TO and isinstance(ref, str) and ref:
                    section, prefix = REFERS_TO[kind]
                    _check_ref(problems, ("escalation_policies", index, "steps", number, "targets", at, kind),
                               ref, known[section], section, prefix)
    for section in ("monitors", "heartbeats"):
        for index, item in enumerate(_entries(top, section)):
            ref = item.get("escalation_policy")
            if isinstance(ref, str) and ref:
                _check_ref(problems, (section, index, "escalation_policy"), ref, known["escalation_policies"],
                           "escalation_policies", "esc_")


def _check_ref(problems: Problems, path: Path, ref: str, keys: set, section: str, prefix: str) -> None:
    if ref in keys or ref.startswith(prefix):
        return
    shown = ", ".join(sorted(str(key) for key in keys if key)) or "none defined"
    problems.add(path, f"no {section} entry with key '{ref}' ({section} keys: {shown}; one made over the API "
                       f"is named by its id, {prefix}...)")


POLICY_REF = text(max_len=100)   # a monitor's or heartbeat's `escalation_policy`: a key or an esc_ id
