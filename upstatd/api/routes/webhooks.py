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

from typing import Any

from upstatd.api import pagination
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource
from upstatd.delivery import endpoints as commands
from upstatd.delivery.public import (EndpointCreate, EndpointUpdate, WebhookDelivery, WebhookEndpoint,
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


# -- routes ------------------------------------------------------------------------------------

def _with_secret(context: Any, changed: commands.Changed) -> WebhookEndpoint:
    """The endpoint with its new secret: shown in this answer only."""
    return endpoint_object(changed.row, changed.secret)


endpoints = Resource("/api/webhook-endpoints", "webhooks", lambda context: context.webhook_commands,
                     lambda context, row: endpoint_object(row))
endpoints.create("Create a webhook endpoint; the answer holds its signing secret, shown only once",
                 body=EndpointCreate, response=WebhookEndpoint, answer=_with_secret)
endpoints.list("List webhook endpoints, newest first", query=EndpointListQuery, response=EndpointList,
               page=store.list_page)
endpoints.retrieve("Retrieve a webhook endpoint (its secret masked)", response=WebhookEndpoint)
endpoints.update("Update a webhook endpoint: only the fields given change; metadata merges",
                 body=EndpointUpdate, response=WebhookEndpoint)
endpoints.delete("Delete a webhook endpoint with its delivery history")
endpoints.children("deliveries", "List an endpoint's delivery attempts, newest first", query=DeliveryListQuery,
                   response=DeliveryList, page=store.deliveries_page, show=delivery_object)
endpoints.action("test", "Send a ping event to the endpoint now; answers with the delivery attempt",
                 commands.WebhookEndpointCommands.send_test, response=WebhookDelivery,
                 answer=lambda context, sent: delivery_object(sent.delivery, sent.row.id))
endpoints.action("rotate-secret", "Replace the signing secret; the answer holds the new one, shown only once",
                 commands.WebhookEndpointCommands.rotate_secret, response=WebhookEndpoint, answer=_with_secret)
