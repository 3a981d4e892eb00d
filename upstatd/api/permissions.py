"""Token permissions: resource -> actions.

Two spellings of the same thing: the text form `monitors:read,incidents:*`
(the CLI) and the object form `{"monitors": ["read"], "incidents": ["*"]}`
(the API). Both come out normalized: resources and actions in the order of
RESOURCES and ACTIONS, `*` expanded, empty resources left out.
"""

from __future__ import annotations

from typing import Any

RESOURCES = ("monitors", "incidents", "heartbeats", "catalog", "on_call", "runbooks", "status_pages",
             "maintenance", "webhooks", "events", "tokens")
ACTIONS = ("read", "create", "update", "delete")

Permissions = dict[str, list[str]]


class PermissionSyntaxError(ValueError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param  # the API param the mistake is in: "permissions.monitors"


def parse(text: str) -> Permissions:
    """`monitors:read,incidents:*` or `*` (everything) -> {"monitors": ["read"], ...}."""
    out: dict[str, set[str]] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if item in ("*", "*:*"):
            return everything()
        resource, sep, action = item.partition(":")
        if not sep:
            raise PermissionSyntaxError(f"'{item}' must be resource:action, like monitors:read")
        check(resource, [action] if action != "*" else list(ACTIONS))
        out.setdefault(resource, set()).update(ACTIONS if action == "*" else (action,))
    if not out:
        raise PermissionSyntaxError("no permissions given")
    return normalize(out)


def parse_object(value: Any) -> Permissions:
    """The API form {"monitors": ["read", "update"], "incidents": ["*"]}; errors name their param."""
    if not isinstance(value, dict):
        raise PermissionSyntaxError("permissions must be an object of resource -> list of actions, "
                                    'like {"monitors": ["read"]}', "permissions")
    out: dict[str, set[str]] = {}
    for resource, actions in value.items():
        param = f"permissions.{resource}"
        if resource not in RESOURCES:
            raise PermissionSyntaxError(f"unknown resource '{resource}' (one of: {', '.join(RESOURCES)})", param)
        if not isinstance(actions, list) or not all(isinstance(action, str) for action in actions):
            raise PermissionSyntaxError(f"{param} must be a list of actions ({', '.join(ACTIONS)}, *)", param)
        for action in actions:
            if action != "*" and action not in ACTIONS:
                raise PermissionSyntaxError(f"unknown action '{action}' (one of: {', '.join(ACTIONS)}, *)", param)
        out[resource] = set(ACTIONS) if "*" in actions else set(actions)
    result = normalize(out)
    if not result:
        raise PermissionSyntaxError("a token needs at least one permission", "permissions")
    return result


def check(resource: str, actions: list[str]) -> None:
    if resource not in RESOURCES:
        raise PermissionSyntaxError(f"unknown resource '{resource}' (one of: {', '.join(RESOURCES)})")
    for action in actions:
        if action not in ACTIONS:
            raise PermissionSyntaxError(f"unknown action '{action}' (one of: {', '.join(ACTIONS)}, *)")


def normalize(permissions: dict[str, set[str] | list[str]]) -> Permissions:
    return {resource: [a for a in ACTIONS if a in actions]
            for resource, actions in sorted(permissions.items(), key=lambda kv: RESOURCES.index(kv[0]))
            if actions}


def everything() -> Permissions:
    return {resource: list(ACTIONS) for resource in RESOURCES}


def allows(permissions: Permissions, resource: str, action: str) -> bool:
    return action in permissions.get(resource, ())


def missing(held: Permissions, wanted: Permissions) -> tuple[str, str] | None:
    """The first (resource, action) of `wanted` that `held` lacks, or None if `held` covers it all."""
    for resource, actions in wanted.items():
        for action in actions:
            if not allows(held, resource, action):
                return resource, action
    return None


def text(permissions: Permissions) -> str:
    """The text form; every permission is `*`."""
    if permissions == everything():
        return "*"
    return ",".join(f"{resource}:{'*' if len(actions) == len(ACTIONS) else action}"
                    for resource, actions in permissions.items()
                    for action in (actions if len(actions) < len(ACTIONS) else ["*"]))
