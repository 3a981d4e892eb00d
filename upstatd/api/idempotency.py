"""Idempotency keys: a POST sent again with the same `Idempotency-Key` gets the
first answer back instead of running twice (Stripe's rules).

The middleware calls `run()` for a POST carrying the header, after
authentication, rate limit and permission, instead of calling the handler:

1. The key (1-255 characters) is claimed in one writer transaction: a row with
   `status NULL` ("running"), the token and a hash of the request (method, path
   with query string, body as canonical JSON). The single writer serializes
   claims, so of two requests racing on one key exactly one inserts the row;
   the other sees it.
2. A key that is already there answers without running anything:
   - another token's key                      -> 409 idempotency_error
   - other parameters (method, path or body)  -> 409 idempotency_error
   - the first request still running          -> 409 idempotency_error
   - the first request finished               -> its status and body again,
                                                 with `Idempotent-Replayed: true`
3. The handler's answer is stored in the row before it is sent, except:
   5xx answers (and a handler that crashed or was cancelled) and 400/422
   (the input was refused before anything ran) delete the row, so the same key
   can be retried and can succeed. Every other status (2xx, 404, 409, ...) is
   kept and replayed.

A token `secret` in a stored answer is replaced by null: the secret of a new
token is shown once, in the first answer, and never sits in the database. A
replay of `POST /api/tokens` therefore returns the same token with
`"secret": null`, which tells the client the first answer was the one to keep.

Keys live 24 hours from their first use (rows are in SQLite, so a restart does
not forget them); expired rows are deleted by the next claim. A row left
running by a daemon that died mid-request is taken over by the next request
with the same key, token and parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from upstatd.api import errors
from upstatd.api.bodies import read_body
from upstatd.store import idempotency as store

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
TTL_MS = 24 * 3600 * 1000
RELEASE_WAIT = 1.0  # s: how long a failed request waits for its key to be released
NOT_STORED = frozenset({400, 422})  # refused input: nothing ran, a corrected retry may use the key

_canonical = msgspec.json.Encoder(order="sorted")


def applies(request: web.Request) -> bool:
    """Only POST creates or acts; GET, PATCH and DELETE ignore the header (Stripe does the same)."""
    return request.method == "POST" and HEADER in request.headers


def check_key(key: str) -> str:
    if not key.strip():
        raise errors.invalid(f"{HEADER} must not be empty", HEADER)
    if len(key) > MAX_KEY_LENGTH:
        raise errors.invalid(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters, got {len(key)}", HEADER)
    return key


def request_hash(method: str, path_qs: str, body: bytes) -> str:
    """sha256 of method, path and body; the body as canonical JSON when it is JSON, so
    key order and whitespace do not make two equal requests differ."""
    if not body.strip():
        canonical = b"{}"  # read_json reads an empty body as {}
    else:
        try:
            canonical = _canonical.encode(msgspec.json.decode(body))
        except msgspec.DecodeError:
            canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path_qs.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def storable(body: bytes) -> bytes:
    """The answer as kept for replays, without a token `secret`: a secret is shown
    once, at creation, and never sits in the database, not even for 24 hours."""
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body
    if isinstance(document, dict) and document.get("secret") is not None:
        document["secret"] = None
        return msgspec.json.encode(document)
    return body


def claim(conn: sqlite3.Connection, key: str, token_id: str, hashed: str, now_ms: int,
          started_ms: int) -> tuple[int, bytes] | None:
    """In the writer's transaction: None when this request owns the key now; (status, body)
    to replay; raises the 409s."""
    store.delete_expired(conn, now_ms - TTL_MS)
    row = store.get(conn, key)
    if row is None:
        store.insert(conn, key, token_id, hashed, now_ms)
        return None
    if row.token_id != token_id:
        raise errors.idempotency(f"this {HEADER} was already used by another API token; "
                                 "each key belongs to the token that first sent it: use a new key",
                                 "idempotency_key_other_token")
    if row.request_hash != hashed:
        raise errors.idempotency(f"this {HEADER} was already used for a request with other parameters "
                                 "(method, path or body); use a new key for a new request",
                                 "idempotency_key_reused")
    if row.status is None:
        if row.created_at < started_ms:  # its request died with the daemon that ran it: take it over
            store.take_over(conn, key, now_ms)
            return None
        raise errors.idempotency("a request with this key is still in progress; retry after it finishes",
                                 "idempotency_key_in_progress")
    return row.status, bytes(row.body or b"")


async def run(request: web.Request, context: Any, token_id: str, started_ms: int,
              call: Callable[[], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Claim the key, run `call` (the handler, answering errors as responses) or replay."""
    key = check_key(request.headers[HEADER])
    body = await read_body(request)
    hashed = request_hash(request.method, request.rel_url.raw_path_qs, body)
    now_ms = context.now_ms()
    replay = await context.writer.run(lambda conn: claim(conn, key, token_id, hashed, now_ms, started_ms))
    if replay is not None:
        status, stored = replay
        return web.Response(body=stored, status=status, content_type="application/json",
                            headers={REPLAYED: "true"})
    done = False
    try:
        response = await call()
        payload = getattr(response, "body", None)
        if (response.status < 500 and response.status not in NOT_STORED
                and isinstance(payload, (bytes, bytearray))):
            kept = storable(bytes(payload))
            await context.writer.run(lambda conn: store.finish(conn, key, response.status, kept))
            done = True
        return response
    finally:
        if not done:
            # Queued, then waited for a moment at most, so a retry finds the key free: a
            # failing writer (disk full) must not hold the answer, which is a 503 then.
            context.writer.add(*store.release_statement(key))
            if not context.writer.failing:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(context.writer.flush(), RELEASE_WAIT)
