"""The public shape of an API token: one serializer, used for API answers, the
CLI's `token list --json` and the OpenAPI document; and the shapes the API
accepts. A secret is only ever in the answer that made it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata, permissions
from upstatd.api.bodies import MAX_TIMESTAMP
from upstatd.shapes import seconds
from upstatd.store.tokens import Token


# not blank: tokens/commands.check_name (400, its message), so only documented here
NOT_BLANK = r"[^\s\x1c-\x1f]"  # a character str.strip() keeps
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1-100 characters, not all blank",
                                   extra_json_schema={"pattern": NOT_BLANK})]
PermissionsIn = Annotated[dict[str, Any], msgspec.Meta(
    description='resource -> actions, like {"monitors": ["read"], "incidents": ["*"]}; "*" is every action',
    extra_json_schema=permissions.JSON_SCHEMA)]  # the resources: the route table's, filled in by openapi.py
PermissionsOut = Annotated[dict[str, list[str]], msgspec.Meta(
    description="resource -> actions held, in a fixed order; resources with none are left out")]


# -- shapes ---------------------------------------------------------------------

class TokenObject(msgspec.Struct):
    id: str
    object: Literal["token"]
    name: str
    permissions: PermissionsOut
    metadata: dict[str, str]
    expires_at: int | None     # Unix seconds
    last_used_at: int | None   # Unix seconds, updated at most once a minute
    revoked_at: int | None
    created_at: int


class CreatedToken(TokenObject):
    # upst_…, in this answer only; null in an idempotent replay of it (api/idempotency.py)
    secret: Annotated[str | None, msgspec.Meta(
        description="The secret (upst_…), in the answer to the create request only; null when that answer "
                    "is replayed for the same Idempotency-Key")]


class TokenList(msgspec.Struct):
    object: Literal["list"]
    data: list[TokenObject]
    has_more: bool
    url: str


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    permissions: PermissionsIn
    # Unix seconds, in the future (api/bodies.future_ms: 422); null: never
    expires_at: Annotated[int, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": MAX_TIMESTAMP},
                                            description="Unix seconds, in the future; null: never")] | None = None
    metadata: metadata.Metadata = {}


class TokenUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    metadata: metadata.Metadata | msgspec.UnsetType = msgspec.UNSET



def token_object(token: Token) -> TokenObject:
    return TokenObject(token.id, "token", token.name, token.permissions, token.metadata,
                       seconds(token.expires_at), seconds(token.last_used_at), seconds(token.revoked_at),
                       seconds(token.created_at))


def public(token: Token) -> dict:
    """The token as the API shows it, as plain data (the CLI's `token list --json`)."""
    return msgspec.to_builtins(token_object(token))
