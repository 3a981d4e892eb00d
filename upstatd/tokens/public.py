"""The public shape of an API token: one serializer, used for API answers, the
CLI's `token list --json` and the OpenAPI document; and the shapes the API
accepts. A secret is only ever in the answer that made it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata, permissions
from upstatd.shapes import seconds
from upstatd.store.tokens import Token


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="1-100 characters")]
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
    secret: str                # upst_…, in this answer only


class TokenList(msgspec.Struct):
    object: Literal["list"]
    data: list[TokenObject]
    has_more: bool
    url: str


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    permissions: PermissionsIn
    expires_at: int | None = None  # Unix seconds, in the future; null: never
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
