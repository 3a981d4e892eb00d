"""/api/webhook-endpoints: where events are POSTed, and every attempt made.

- The secret (`whsec_…`) is in the answer to create (and rotate-secret) only;
  every other read shows it as "********" (idempotent replays: null).
- Endpoints from the config file (`managed_by: "config"`) can be read, tested,
  and enabled or disabled; other changes answer 409 naming the file and key.
- A change reaches the delivery task when it is committed: a new or re-enabled
  endpoint gets events from then on, not the history.
- POST …/test sends a `ping` event at once (not stored as an event; the
  attempt is recorded as a delivery) and answers with that delivery.
- DELETE answers 204; a PATCH/PUT that changes nothing writes nothing.
- The use cases are delivery/endpoints.py, the shapes delivery/public.py.
"""

from __future__ import annotations


from aiohttp import web

from upstatd.api import pagination
from upstatd.api.bodies import no_content, read_json, read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import context as _context
from upstatd.api.routes import partial_update, route
from upstatd.delivery import endpoints as commands
from upstatd.delivery.public import (EndpointCreate, EndpointUpdate, NoBody, WebhookDelivery, WebhookEndpoint,
                                     delivery_object, endpoint_object)
from upstatd.store import webhooks as store


# -- shapes -------------------------------------------------------------------------------

class EndpointListQuery(ListQuery, forbid_unknown_fields=True):
    enabled: bool | None = None


class DeliveryListQuery(ListQuery, forbid_unknown_fields=True):
    ok: bool | None = None
    event_id: str | None = None


EndpointList = pagination.list_of(WebhookEndpoint, "WebhookEndpointList")
DeliveryList = pagination.list_of(WebhookDelivery, "WebhookDeliveryList")


# -- helpers ---------------------------------------------------------------------------------


def _commands(request: web.Request) -> commands.WebhookEndpointCommands:
    return _context(request).webhook_commands


# -- routes ------------------------------------------------------------------------------------

@route("POST", "/api/webhook-endpoints", "webhooks", "create",
       "Create a webhook endpoint; the answer holds its signing secret, shown only once",
       body=EndpointCreate, response=WebhookEndpoint, status=201)
async def create(request: web.Request) -> web.Response:
    body = await read_json(request, EndpointCreate)
    changed = await _commands(request).create(body)
    return respond(endpoint_object(changed.row, changed.secret), status=201)


@route("GET", "/api/webhook-endpoints", "webhooks", "read", "List webhook endpoints, newest first",
       query=EndpointListQuery, response=EndpointList)
async def list_endpoints(request: web.Request) -> web.Response:
    context = _context(request)
    query = read_query(request, EndpointListQuery)
    where, args = store.endpoints_where(query.enabled)
    rows, has_more = await context.read_conn.call(pagination.page, store.TABLE, store.COLUMNS, query, where, args)
    return respond(pagination.envelope([endpoint_object(store.from_row(row)) for row in rows], has_more,
                                       "/api/webhook-endpoints"))


@route("GET", "/api/webhook-endpoints/{id}", "webhooks", "read",
       "Retrieve a webhook endpoint (its secret masked)", response=WebhookEndpoint)
async def retrieve(request: web.Request) -> web.Response:
    return respond(endpoint_object(await _commands(request).get(request.match_info["id"])))


@partial_update("/api/webhook-endpoints/{id}", "webhooks",
                "Update a webhook endpoint: only the fields given change; metadata merges",
                body=EndpointUpdate, response=WebhookEndpoint)
async def update(request: web.Request) -> web.Response:
    body = await read_json(request, EndpointUpdate)
    changed = await _commands(request).update(request.match_info["id"], body)
    return respond(endpoint_object(changed.row))


@route("DELETE", "/api/webhook-endpoints/{id}", "webhooks", "delete",
       "Delete a webhook endpoint with its delivery history", status=204)
async def delete(request: web.Request) -> web.Response:
    await _commands(request).delete(request.match_info["id"])
    return no_content()


@route("POST", "/api/webhook-endpoints/{id}/test", "webhooks", "update",
       "Send a ping event to the endpoint now; answers with the delivery attempt", body=NoBody,
       response=WebhookDelivery)
async def send_test(request: web.Request) -> web.Response:
    await read_json(request, NoBody)
    sent = await _commands(request).send_test(request.match_info["id"])
    return respond(delivery_object(sent.delivery, sent.row.id))


@route("POST", "/api/webhook-endpoints/{id}/rotate-secret", "webhooks", "update",
       "Replace the signing secret; the answer holds the new one, shown only once", body=NoBody,
       response=WebhookEndpoint)
async def rotate_secret(request: web.Request) -> web.Response:
    await read_json(request, NoBody)
    changed = await _commands(request).rotate_secret(request.match_info["id"])
    return respond(endpoint_object(changed.row, changed.secret))


@route("GET", "/api/webhook-endpoints/{id}/deliveries", "webhooks", "read",
       "List an endpoint's delivery attempts, newest first", query=DeliveryListQuery, response=DeliveryList)
async def list_deliveries(request: web.Request) -> web.Response:
    context = _context(request)
    row = await _commands(request).get(request.match_info["id"])
    query = read_query(request, DeliveryListQuery)
    where, args = store.deliveries_where(row.seq, query.ok, query.event_id)
    rows, has_more = await context.read_conn.call(pagination.page, store.DELIVERY_TABLE, store.DELIVERY_COLUMNS,
                                                  query, where, args, store.delivery_cursor(row.seq))
    return respond(pagination.envelope([delivery_object(item, row.id) for item in rows], has_more,
                                       f"/api/webhook-endpoints/{row.id}/deliveries"))
