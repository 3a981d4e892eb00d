"""API token use cases: create (never granting what the caller lacks), change
the name or metadata, revoke. Each runs one writer transaction; a token may
only change or revoke a token whose every permission it holds too. The
first start's token and the CLI's use tokens/admin.py directly (no caller).
"""

from __future__ import annotations

import sqlite3

import msgspec

from upstatd import metadata, permissions
from upstatd.commands import Commands
from upstatd.errors import Forbidden, Malformed, NotFound
from upstatd.store import tokens as store
from upstatd.store.tokens import Token
from upstatd.tokens.admin import create_token, revoke_token
from upstatd.tokens.public import TokenCreate, TokenUpdate


def lacks(resource: str, action: str, why: str, param: str | None = None) -> Forbidden:
    return Forbidden(f"this token lacks the permission {resource}:{action}, {why}", param)


def find(conn: sqlite3.Connection, token_id: str) -> Token:
    token = store.get(conn, token_id)
    if token is None:
        raise NotFound(f"no token with id '{token_id}'")
    return token


def check_name(name: str) -> str:
    if not name.strip():
        raise Malformed("name must not be blank", "name")
    return name


def may_manage(caller: Token, target: Token, verb: str) -> None:
    """Only a token holding every permission of another may change or revoke it."""
    lacking = permissions.missing(caller.permissions, target.permissions)
    if lacking is not None:
        raise lacks(*lacking, f"which token {target.id} holds, so it cannot {verb} it")


class TokenCommands(Commands):
    async def get(self, token_id: str) -> Token:
        return await self.read_db.call(find, token_id)

    async def create(self, caller: Token, body: TokenCreate, expires_at_ms: int | None) -> tuple[Token, str]:
        """The token and its secret (shown in this answer only)."""
        name = check_name(body.name)
        try:
            granted = permissions.parse_object(body.permissions)
        except permissions.PermissionSyntaxError as exc:
            raise Malformed(str(exc), exc.param) from None
        lacking = permissions.missing(caller.permissions, granted)
        if lacking is not None:
            raise lacks(*lacking, "so it cannot grant it", f"permissions.{lacking[0]}")
        labels = metadata.merge({}, metadata.validate(body.metadata))
        now_ms = self._now_ms()
        return await self.writer.run(lambda conn: create_token(conn, name, granted, expires_at_ms, now_ms, labels))

    async def update(self, caller: Token, token_id: str, body: TokenUpdate) -> Token:
        """A change that changes nothing writes nothing."""
        name = None if body.name is msgspec.UNSET else check_name(body.name)
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)

        def change(conn: sqlite3.Connection) -> Token:
            target = find(conn, token_id)
            may_manage(caller, target, "update")
            labels = target.metadata if patch is None else metadata.merge(target.metadata, patch)
            if (name or target.name, labels) == (target.name, target.metadata):
                return target
            return store.update(conn, target.id, name or target.name, labels)

        return await self.writer.run(change)

    async def revoke(self, caller: Token, token_id: str) -> Token:
        """It stops working at once; revoking twice keeps the first revoked_at."""
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> Token:
            may_manage(caller, find(conn, token_id), "revoke")
            return revoke_token(conn, token_id, now_ms)[0]

        return await self.writer.run(change)

