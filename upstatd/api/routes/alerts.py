"""/api/alert-channels (where people are told) and /api/alerts (every
notification sent or attempted). Permission resource: `alert_channels`, for
both.

- Secrets in a channel's type block read as "********"; a PATCH that sends
  "********" back keeps them. Config channels (`managed_by: "config"`) can be
  read, tested, enabled and disabled; other changes answer 409.
- POST …/test sends a test message now and answers with the alert it made
  (reason test) and its attempt.
- Alerts: GET /api/alerts (incident_id, channel_id, status, created_gte/lte)
  and GET /api/incidents/{id}/alerts; a suppressed alert shows its digest's
  id and the digest's attempts.
- The use cases are alerts/commands.py, the shapes alerts/public.py.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web

from upstatd.alerts import public
from upstatd.alerts.commands import AlertChannelCommands, shown
from upstatd.alerts.public import Alert, AlertChannel, ChannelCreate, ChannelTest, ChannelUpdate, channel_object
from upstatd.api import pagination
from upstatd.api.bodies import read_query, respond
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource, route
from upstatd.api.routes import context as _context
from upstatd.config.alert_channels import TYPES
from upstatd.errors import NotFound
from upstatd.store import alerts as store
from upstatd.store import incidents as incident_store

Timestamp = pagination.Timestamp
PERMISSION = "alert_channels"


class ChannelListQuery(ListQuery, forbid_unknown_fields=True):
    enabled: bool | None = None
    type: Literal[TYPES] | None = None


class AlertListQuery(ListQuery, forbid_unknown_fields=True):
    incident_id: str | None = None
    channel_id: str | None = None
    status: Literal[store.STATUSES] | None = None
    created_gte: Timestamp | None = None
    created_lte: Timestamp | None = None


class IncidentAlertListQuery(ListQuery, forbid_unknown_fields=True):
    channel_id: str | None = None
    status: Literal[store.STATUSES] | None = None


ChannelList = pagination.list_of(AlertChannel, "AlertChannelList")
AlertList = pagination.list_of(Alert, "AlertList")


def _tested(context: Any, tested: Any) -> ChannelTest:
    return ChannelTest(object="alert_channel_test", ok=tested.result.ok,
                       alert=public.alert_object(tested.alert, tested.row, tested.attempts))


channels = Resource("/api/alert-channels", PERMISSION, lambda context: context.alert_channel_commands,
                    lambda context, row: channel_object(row))
channels.create("Create an alert channel (email, apprise, webhook or pagerduty)", body=ChannelCreate,
                response=AlertChannel)
channels.list("List alert channels, newest first", query=ChannelListQuery, response=ChannelList,
              page=store.list_page)
channels.retrieve("Retrieve an alert channel (its secrets masked)", response=AlertChannel)
channels.update("Update an alert channel: only the fields given change", body=ChannelUpdate, response=AlertChannel)
channels.delete("Delete an alert channel with its alerts")
channels.action("test", "Send a test message through the channel now; answers with the alert and its attempt",
                AlertChannelCommands.send_test, response=ChannelTest, answer=_tested)


def _page(conn: Any, filters: dict[str, Any], **owner: Any) -> tuple[list[Alert], bool]:
    channel_id = filters.pop("channel_id", None)
    channel_seq = None
    if channel_id is not None:
        row = store.get(conn, channel_id)
        channel_seq = row.seq if row is not None else -1
    rows, has_more = store.alerts_page(conn, channel_seq=channel_seq, **owner, **filters)
    return shown(conn, rows), has_more


@route("GET", "/api/alerts", PERMISSION, "read", "List alerts, newest first: each notification sent or attempted",
       query=AlertListQuery, response=AlertList)
async def list_alerts(request: web.Request) -> web.Response:
    filters = pagination.values(read_query(request, AlertListQuery))
    found, has_more = await _context(request).read_conn.call(lambda conn: _page(conn, filters))
    return respond(pagination.envelope(found, has_more, "/api/alerts"))


@route("GET", "/api/alerts/{id}", PERMISSION, "read", "Retrieve an alert with its attempts", response=Alert)
async def retrieve_alert(request: web.Request) -> web.Response:
    return respond(await _context(request).alert_channel_commands.alert(request.match_info["id"]))


@route("GET", "/api/incidents/{id}/alerts", PERMISSION, "read", "List an incident's alerts, newest first",
       query=IncidentAlertListQuery, response=AlertList)
async def list_incident_alerts(request: web.Request) -> web.Response:
    incident_id = request.match_info["id"]
    filters = pagination.values(read_query(request, IncidentAlertListQuery))

    def read(conn: Any) -> tuple[list[Alert], bool]:
        if incident_store.get(conn, incident_id) is None:
            raise NotFound(f"no incident with id '{incident_id}'")
        return _page(conn, filters, incident_id=incident_id)

    found, has_more = await _context(request).read_conn.call(read)
    return respond(pagination.envelope(found, has_more, f"/api/incidents/{incident_id}/alerts"))
