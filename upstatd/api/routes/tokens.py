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

import msgspec
from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import future_ms, no_content, read_json, read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import route
from upstatd.store import tokens as store
from upstatd.store.tokens import Token
from upstatd.tokens.public import (CreatedToken, TokenCreate, TokenList, TokenObject, TokenUpdate,
                                   token_object)


class TokenListQuery(ListQuery, forbid_unknown_fields=False):
    revoked: bool | None = None  # true: only revoked tokens; false: only those not revoked


# -- helpers ----------------------------------------------------------------------


def _caller(request: web.Request) -> Token:
    """The token the middleware authenticated."""
    from upstatd.api.server import TOKEN
    return request[TOKEN]


# -- routes -----------------------------------------------------------------------

@route("POST", "/api/tokens", "tokens", "create", "Create a token; the answer holds its secret, shown only once",
       body=TokenCreate, response=CreatedToken, status=201)
async def create(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, TokenCreate)
    expires_at_ms = future_ms(body.expires_at, context.now_ms(), "expires_at")
    token, secret = await context.token_commands.create(_caller(request), body, expires_at_ms)
    made = token_object(token)
    return respond(CreatedToken(**msgspec.structs.asdict(made), secret=secret), status=201)


@route("GET", "/api/tokens", "tokens", "read", "List tokens, newest first", query=TokenListQuery,
       response=TokenList)
async def list_tokens(request: web.Request) -> web.Response:
    query = read_query(request, TokenListQuery)
    found, has_more = await pagination.fetch(_context(request).read_conn, store.list_page, query)
    return respond(pagination.envelope([token_object(token) for token in found], has_more, "/api/tokens"))


@route("GET", "/api/tokens/{id}", "tokens", "read", "Retrieve a token (never its secret)",
       response=TokenObject)
async def retrieve(request: web.Request) -> web.Response:
    return respond(token_object(await _context(request).token_commands.get(request.match_info["id"])))


@route("PATCH", "/api/tokens/{id}", "tokens", "update", "Rename a token or change its metadata",
       body=TokenUpdate, response=TokenObject)
async def update(request: web.Request) -> web.Response:
    body = await read_json(request, TokenUpdate)
    token = await _context(request).token_commands.update(_caller(request), request.match_info["id"], body)
    return respond(token_object(token))


async def _revoke(request: web.Request) -> Token:
    return await _context(request).token_commands.revoke(_caller(request), request.match_info["id"])


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
