"""Token permissions: resource -> actions, written `monitors:read,incidents:*`."""

from __future__ import annotations

RESOURCES = ("monitors", "incidents", "heartbeats", "catalog", "on_call", "runbooks", "status_pages",
             "maintenance", "webhooks", "tokens")
ACTIONS = ("read", "create", "update", "delete")

Permissions = dict[str, list[str]]


class PermissionSyntaxError(ValueError):
    pass


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


def text(permissions: Permissions) -> str:
    return ",".join(f"{resource}:{'*' if len(actions) == len(ACTIONS) else action}"
                    for resource, actions in permissions.items()
                    for action in (actions if len(actions) < len(ACTIONS) else ["*"]))
