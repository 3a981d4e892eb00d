"""/api/tokens: API tokens, managed by holders of `tokens:*` permissions.

- The secret (`upst_…`) is in the answer to POST /api/tokens and nowhere else, ever.
- Permissions are the object form {"monitors": ["read", "update"], "incidents": ["*"]}.
- A token cannot grant what it does not hold, and can only update or revoke tokens
  whose permissions it holds all of (403 permission_error naming the one it lacks).
- Permissions and expiry are fixed at creation: make a new token and revoke the old one.
- DELETE is the same as POST …/revoke: tokens are revoked, never erased, so their ids
  stay meaningful (who made that change) and their secrets can never come back.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
from aiohttp import web

from upstatd import metadata
from upstatd import permissions
from upstatd.api import pagination
from upstatd.api.bodies import future_ms, no_content, read_json, read_query, respond
from upstatd.tokens.admin import create_token
from upstatd.tokens.public import (CreatedToken, TokenCreate, TokenList, TokenObject, TokenUpdate,
                                   token_object)
from upstatd.api.errors import ApiError, invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import route
from upstatd.store import tokens as store
from upstatd.store.tokens import Token


class TokenListQuery(ListQuery, forbid_unknown_fields=False):
    revoked: bool | None = None  # true: only revoked tokens; false: only those not revoked



# -- helpers ----------------------------------------------------------------------

def _context(request: web.Request) -> Any:
    from upstatd.api.server import CONTEXT
    return request.app[CONTEXT]


def _caller(request: web.Request) -> Token:
    """The token the middleware authenticated."""
    from upstatd.api.server import TOKEN
    return request[TOKEN]


def _lacks(resource: str, action: str, why: str, param: str | None = None) -> ApiError:
    return ApiError(403, "permission_error", "missing_permission",
                    f"this token lacks the permission {resource}:{action}, {why}", param)


def _check_name(name: str) -> str:
    if not name.strip():
        raise invalid("name must not be blank", "name")
    return name


def _find(conn: sqlite3.Connection, token_id: str) -> Token:
    token = store.get(conn, token_id)
    if token is None:
        raise not_found(f"no token with id '{token_id}'", "id")
    return token


def _may_manage(caller: Token, target: Token, verb: str) -> None:
    """Only a token holding every permission of another may change or revoke it."""
    lacking = permissions.missing(caller.permissions, target.permissions)
    if lacking is not None:
        raise _lacks(*lacking, f"which token {target.id} holds, so it cannot {verb} it")


async def _write(request: web.Request, token_id: str, verb: str, change) -> Token:
    """Load, check the caller may manage it, change it: one transaction on the writer."""
    context, caller = _context(request), _caller(request)

    def run(conn: sqlite3.Connection) -> Token:
        target = _find(conn, token_id)
        _may_manage(caller, target, verb)
        return change(conn, target)

    return await context.writer.run(run)


# -- routes -----------------------------------------------------------------------

@route("POST", "/api/tokens", "tokens", "create", "Create a token; the answer holds its secret, shown only once",
       body=TokenCreate, response=CreatedToken, status=201)
async def create(request: web.Request) -> web.Response:
    context, caller = _context(request), _caller(request)
    body = await read_json(request, TokenCreate)
    name = _check_name(body.name)
    try:
        granted = permissions.parse_object(body.permissions)
    except permissions.PermissionSyntaxError as exc:
        raise invalid(str(exc), exc.param) from None
    lacking = permissions.missing(caller.permissions, granted)
    if lacking is not None:
        raise _lacks(*lacking, "so it cannot grant it", f"permissions.{lacking[0]}")
    now_ms = context.now_ms()
    expires_at_ms = future_ms(body.expires_at, now_ms, "expires_at")
    labels = metadata.merge({}, metadata.validate(body.metadata))

    token, secret = await context.writer.run(
        lambda conn: create_token(conn, name, granted, expires_at_ms, now_ms, labels))
    made = token_object(token)
    return respond(CreatedToken(**msgspec.structs.asdict(made), secret=secret), status=201)


@route("GET", "/api/tokens", "tokens", "read", "List tokens, newest first", query=TokenListQuery,
       response=TokenList)
async def list_tokens(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, TokenListQuery)
    where = "1" if query.revoked is None else (
        "revoked_at IS NOT NULL" if query.revoked else "revoked_at IS NULL")
    rows, has_more = await context.read_conn.call(pagination.page, store.TABLE, store.COLUMNS, query, where)
    return respond(pagination.envelope([token_object(store.from_row(row)) for row in rows], has_more,
                                       "/api/tokens"))


@route("GET", "/api/tokens/{id}", "tokens", "read", "Retrieve a token (never its secret)",
       response=TokenObject)
async def retrieve(request: web.Request) -> web.Response:
    token = await _context(request).read_conn.call(_find, request.match_info["id"])
    return respond(token_object(token))


@route("PATCH", "/api/tokens/{id}", "tokens", "update", "Rename a token or change its metadata",
       body=TokenUpdate, response=TokenObject)
async def update(request: web.Request) -> web.Response:
    body = await read_json(request, TokenUpdate)
    name = None if body.name is msgspec.UNSET else _check_name(body.name)
    patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)

    def change(conn: sqlite3.Connection, target: Token) -> Token:
        labels = target.metadata if patch is None else metadata.merge(target.metadata, patch)
        return store.update(conn, target.id, name or target.name, labels)

    token = await _write(request, request.match_info["id"], "update", change)
    return respond(token_object(token))


async def _revoke(request: web.Request) -> Token:
    now_ms = _context(request).now_ms()

    def change(conn: sqlite3.Connection, target: Token) -> Token:
        return store.revoke(conn, target.id, now_ms)

    return await _write(request, request.match_info["id"], "revoke", change)


@route("POST", "/api/tokens/{id}/revoke", "tokens", "delete",
       "Revoke a token: it stops working at once; revoking twice keeps the first revoked_at",
       response=TokenObject)
async def revoke(request: web.Request) -> web.Response:
    return respond(token_object(await _revoke(request)))


@route("DELETE", "/api/tokens/{id}", "tokens", "delete",
       "Revoke a token, as POST /api/tokens/{id}/revoke; no body", status=204)
async def delete(request: web.Request) -> web.Response:
    await _revoke(request)
    return no_content()
