"""Token permissions: resource -> actions.

Two spellings of the same thing: the text form `monitors:read,incidents:*`
(the CLI) and the object form `{"monitors": ["read"], "incidents": ["*"]}`
(the API). Both come out normalized: resources and actions in the order of
resources() and ACTIONS, `*` expanded, empty resources left out.

The resources are those the route table declares: each API route declares
its resource here as it is registered (upstatd.api.routes.route), so a token
can only be granted what some route checks, and the list is the route table's
(sorted: not the order modules happen to be imported in). Adapters that need
the list (the CLI) load the routes first (upstatd.app does). The API refuses
an unknown resource or action with a 422 (well-formed, unknown name, a domain
Invalid); a wrong shape is a 400 (PermissionSyntaxError, the CLI's error too).
"""

from __future__ import annotations

from typing import Any

from upstatd import errors as domain

ACTIONS = ("read", "create", "update", "delete")
# For the OpenAPI document: the permissions object; openapi.py adds PermissionResource from the route table.
# Every resource named holds at least one action: parse_object refuses a token left with none, and a
# client that sends each resource with an action never meets that refusal.
JSON_SCHEMA = {"propertyNames": {"$ref": "#/components/schemas/PermissionResource"},
               "additionalProperties": {"type": "array", "items": {"enum": [*ACTIONS, "*"]}, "minItems": 1},
               "minProperties": 1}

Permissions = dict[str, list[str]]
_declared: set[str] = set()


class PermissionSyntaxError(ValueError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param  # the API param the mistake is in: "permissions.monitors"


def declare(resource: str) -> None:
    """A route checks `resource` (called as each route is registered)."""
    _declared.add(resource)


def resources() -> tuple[str, ...]:
    """The permission resources: those of the route table, sorted."""
    if not _declared:
        raise RuntimeError("no API routes are registered yet: import upstatd.app (or upstatd.api.routes.all)")
    return tuple(sorted(_declared))


def of_routes(routes: Any) -> tuple[str, ...]:
    return tuple(sorted({route.resource for route in routes if route.resource}))


def _unknown_resource(resource: str) -> str:
    return f"unknown resource '{resource}' (one of: {', '.join(resources())})"


def _unknown_action(action: str) -> str:
    return f"unknown action '{action}' (one of: {', '.join(ACTIONS)}, *)"


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
        if not isinstance(actions, list) or not all(isinstance(action, str) for action in actions):
            raise PermissionSyntaxError(f"{param} must be a list of actions ({', '.join(ACTIONS)}, *)", param)
        if resource not in resources():
            raise domain.Invalid(_unknown_resource(resource), param)
        for action in actions:
            if action != "*" and action not in ACTIONS:
                raise domain.Invalid(_unknown_action(action), param)
        out[resource] = set(ACTIONS) if "*" in actions else set(actions)
    result = normalize(out)
    if not result:
        raise domain.Invalid("a token needs at least one permission", "permissions")
    return result


def check(resource: str, actions: list[str]) -> None:
    if resource not in resources():
        raise PermissionSyntaxError(_unknown_resource(resource))
    for action in actions:
        if action not in ACTIONS:
            raise PermissionSyntaxError(_unknown_action(action))


def normalize(permissions: dict[str, set[str] | list[str]]) -> Permissions:
    order = resources()

    def place(item: tuple[str, Any]) -> tuple[int, str]:
        # a resource no route has (left in a token made by an older version) goes last
        return (order.index(item[0]) if item[0] in order else len(order), item[0])

    return {resource: [a for a in ACTIONS if a in actions]
            for resource, actions in sorted(permissions.items(), key=place) if actions}


def everything() -> Permissions:
    """Every action on every resource the routes declare: the admin token's permissions."""
    return {resource: list(ACTIONS) for resource in resources()}


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
