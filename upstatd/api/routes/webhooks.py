"""/api/webhook-endpoints: where events are POSTed, and every attempt made.

- The secret (`whsec_…`) is in the answer to create (and rotate-secret) only;
  every other read shows it as "********" (idempotent replays: null).
- Endpoints from the config file (`managed_by: "config"`) can be read, tested,
  and enabled or disabled; other changes answer 409 naming the file and key.
- A change reaches the delivery task when it is committed: a new or re-enabled
  endpoint gets events from then on, not the history.
- POST …/test sends a `ping` event at once (not stored as an event; the
  attempt is recorded as a delivery) and answers with that delivery.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

import msgspec
from aiohttp import web

from upstatd import metadata
from upstatd.api import pagination
from upstatd.api.bodies import read_json, read_query, respond
from upstatd.api.errors import conflict, invalid, not_found
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import route
from upstatd.config.check import Invalid
from upstatd.config.webhooks import parse_events, parse_url
from upstatd.delivery.public import (EndpointCreate, EndpointUpdate, NoBody, WebhookDelivery, WebhookEndpoint,
                                     delivery_object, endpoint_object)
from upstatd.ids import new_id, parse_seq_id
from upstatd.store import webhooks as store
from upstatd.store.webhooks import EndpointRow

UNSET = msgspec.UNSET


# -- shapes -------------------------------------------------------------------------------

class DeletedWebhookEndpoint(msgspec.Struct):
    id: str
    object: Literal["webhook_endpoint"]
    deleted: bool


class EndpointListQuery(ListQuery, forbid_unknown_fields=True):
    enabled: bool | None = None


class DeliveryListQuery(ListQuery, forbid_unknown_fields=True):
    ok: bool | None = None
    event_id: str | None = None


EndpointList = pagination.list_of(WebhookEndpoint, "WebhookEndpointList")
DeliveryList = pagination.list_of(WebhookDelivery, "WebhookDeliveryList")


# -- helpers ---------------------------------------------------------------------------------

def _context(request: web.Request) -> Any:
    from upstatd.api.server import CONTEXT
    return request.app[CONTEXT]


def _check(parser: Any, value: Any, param: str) -> Any:
    try:
        return parser(value)
    except Invalid as exc:
        where = param + "".join(f".{part}" for part in exc.at)
        raise invalid(f"{where}: {exc}", where) from None


def _find(conn: sqlite3.Connection, endpoint_id: str) -> EndpointRow:
    row = store.get(conn, endpoint_id)
    if row is None:
        raise not_found(f"no webhook endpoint with id '{endpoint_id}'", "id")
    return row


def _editable(context: Any, row: EndpointRow, verb: str) -> None:
    if row.managed_by == "config":
        file = getattr(context.config, "file", "the config file")
        raise conflict(f"webhook endpoint {row.id} is managed by the config file {file} (webhooks entry with key "
                       f"'{row.key}'), so it cannot be {verb} over the API: change it in {file} and reload "
                       f"(systemctl reload upstatd); enabling and disabling work over the API",
                       "managed_by_config")


async def _sync(context: Any) -> None:
    if context.webhooks is not None:
        await context.webhooks.sync()


# -- routes ------------------------------------------------------------------------------------

@route("POST", "/api/webhook-endpoints", "webhooks", "create",
       "Create a webhook endpoint; the answer holds its signing secret, shown only once",
       body=EndpointCreate, response=WebhookEndpoint, status=201)
async def create(request: web.Request) -> web.Response:
    context = _context(request)
    body = await read_json(request, EndpointCreate)
    url = _check(parse_url, body.url, "url")
    events = _check(parse_events, body.events, "events")
    meta = metadata.merge({}, metadata.validate(body.metadata))
    secret = store.new_secret()
    endpoint_id = new_id("we")
    now_ms = context.now_ms()
    row = await context.writer.run(lambda conn: store.insert(
        conn, endpoint_id, url, events, secret, body.enabled, body.description, meta, now_ms))
    await _sync(context)
    return respond(endpoint_object(row, secret), status=201)


@route("GET", "/api/webhook-endpoints", "webhooks", "read", "List webhook endpoints, newest first",
       query=EndpointListQuery, response=EndpointList)
async def list_endpoints(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, EndpointListQuery)
    where, args = "1", ()
    if query.enabled is not None:
        where, args = "enabled = ?", (int(query.enabled),)
    rows, has_more = await context.read_conn.call(pagination.page, store.TABLE, store.COLUMNS, query, where, args)
    return respond(pagination.envelope([endpoint_object(store.from_row(row)) for row in rows], has_more,
                                       "/api/webhook-endpoints"))


@route("GET", "/api/webhook-endpoints/{id}", "webhooks", "read", "Retrieve a webhook endpoint (never its secret)",
       response=WebhookEndpoint)
async def retrieve(request: web.Request) -> web.Response:
    context = _context(request)
    return respond(endpoint_object(await context.read_conn.call(_find, request.match_info["id"])))


async def _update(request: web.Request) -> web.Response:
    context = _context(request)
    endpoint_id = request.match_info["id"]
    body = await read_json(request, EndpointUpdate)
    url = UNSET if body.url is UNSET else _check(parse_url, body.url, "url")
    events = UNSET if body.events is UNSET else _check(parse_events, body.events, "events")
    patch = None if body.metadata is UNSET else metadata.validate(body.metadata)
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> EndpointRow:
        row = _find(conn, endpoint_id)
        if any(value is not UNSET for value in (url, events, body.description, body.metadata)):
            _editable(context, row, "changed")
            merged = row.metadata if patch is None else metadata.merge(row.metadata, patch)
            store.update(conn, row, row.url if url is UNSET else url,
                               row.events if events is UNSET else events,
                               row.description if body.description is UNSET else body.description, merged, now_ms)
        if body.enabled is not UNSET:
            reason = None if row.managed_by == "api" or body.enabled else "disabled over the API"
            store.set_enabled(conn, row, body.enabled, now_ms, reason=reason)
        return store.by_seq(conn, row.seq)

    row = await context.writer.run(change)
    await _sync(context)
    return respond(endpoint_object(row))


@route("PATCH", "/api/webhook-endpoints/{id}", "webhooks", "update",
       "Update a webhook endpoint: only the fields given change; metadata merges", body=EndpointUpdate,
       response=WebhookEndpoint)
async def update(request: web.Request) -> web.Response:
    return await _update(request)


@route("DELETE", "/api/webhook-endpoints/{id}", "webhooks", "delete",
       "Delete a webhook endpoint with its delivery history", response=DeletedWebhookEndpoint)
async def delete(request: web.Request) -> web.Response:
    context = _context(request)
    endpoint_id = request.match_info["id"]
    row = await context.read_conn.call(_find, endpoint_id)
    _editable(context, row, "deleted")
    if context.webhooks is not None:
        await context.webhooks.remove(endpoint_id)  # stopped first: no attempt lands after its rows go

    def remove(conn: sqlite3.Connection) -> None:
        current = _find(conn, endpoint_id)
        store.delete(conn, [current.seq])

    try:
        await context.writer.run(remove)
    finally:
        await _sync(context)
    return respond(DeletedWebhookEndpoint(endpoint_id, "webhook_endpoint", True))


@route("POST", "/api/webhook-endpoints/{id}/test", "webhooks", "update",
       "Send a ping event to the endpoint now; answers with the delivery attempt", body=NoBody,
       response=WebhookDelivery)
async def send_test(request: web.Request) -> web.Response:
    context = _context(request)
    row = await context.read_conn.call(_find, request.match_info["id"])
    await read_json(request, NoBody)
    seq = await context.webhooks.send_test(row)
    found = await context.read_conn.execute_fetchall(
        f"SELECT {store.DELIVERY_COLUMNS} FROM webhook_deliveries WHERE seq = ?", (seq,))
    return respond(delivery_object(found[0], row.id))


@route("POST", "/api/webhook-endpoints/{id}/rotate-secret", "webhooks", "update",
       "Replace the signing secret; the answer holds the new one, shown only once", body=NoBody,
       response=WebhookEndpoint)
async def rotate_secret(request: web.Request) -> web.Response:
    context = _context(request)
    endpoint_id = request.match_info["id"]
    await read_json(request, NoBody)
    secret = store.new_secret()
    now_ms = context.now_ms()

    def change(conn: sqlite3.Connection) -> EndpointRow:
        row = _find(conn, endpoint_id)
        _editable(context, row, "given a new secret")
        store.set_secret(conn, row, secret, now_ms)
        return store.by_seq(conn, row.seq)

    row = await context.writer.run(change)
    await _sync(context)
    return respond(endpoint_object(row, secret))


@route("GET", "/api/webhook-endpoints/{id}/deliveries", "webhooks", "read",
       "List an endpoint's delivery attempts, newest first", query=DeliveryListQuery, response=DeliveryList)
async def list_deliveries(request: web.Request) -> web.Response:
    context = _context(request)
    conn = context.read_conn
    row = await conn.call(_find, request.match_info["id"])
    query = read_query(request, DeliveryListQuery)
    pagination.check(query)
    where, args = ["endpoint_seq = ?"], [row.seq]
    if query.ok is not None:
        where.append("ok = ?")
        args.append(int(query.ok))
    if query.event_id is not None:
        where.append("event_id = ?")
        args.append(query.event_id)

    def cursor_seq(db: sqlite3.Connection, cursor: str) -> int | None:
        seq = parse_seq_id("whd", cursor)
        found = seq is not None and db.execute(
            "SELECT 1 FROM webhook_deliveries WHERE seq = ? AND endpoint_seq = ?", (seq, row.seq)).fetchall()
        return seq if found else None

    rows, has_more = await conn.call(pagination.page, "webhook_deliveries", store.DELIVERY_COLUMNS, query,
                                           " AND ".join(where), tuple(args), cursor_seq)
    return respond(pagination.envelope([delivery_object(item, row.id) for item in rows], has_more,
                                       f"/api/webhook-endpoints/{row.id}/deliveries"))
