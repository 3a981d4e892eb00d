"""The acknowledge and resolve links of alert messages: `/incident-links/{token}`.

Outside /api and without a bearer token: the token in the URL is the
credential (alerts/links.py: signed with the installation's link key, one
incident, one action, an expiry). Answers are small HTML pages for a person
who clicked a link in a mail or a chat, never the API's JSON envelope:

- GET (and HEAD) only shows a page: the incident (title, status, since) and a
  form whose button POSTs to the same URL. GET never acts: mail scanners and
  chat previews fetch links before anyone clicks them.
- POST acts through the incident commands, as the author "alert link" with a
  timeline message saying it was done through the link in an alert, then says
  what it did. An incident already in the state asked for (or past it) gets a
  page saying so, and nothing changes.
- A token that is malformed, not signed by this installation, or asks for an
  action links do not do, and one naming no incident: 404. An expired one: 410.
  The commands' refusals (upstatd/errors.py) are pages with their status too.

Every answer carries headers that keep the page (and so the token) out of
caches, referrers and frames, and a Content-Security-Policy that allows no
script and no external resource: the page has inline CSS and a form, nothing else.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import structlog
from aiohttp import web

from upstatd.alerts import links
from upstatd.alerts.message import utc
from upstatd.api import link_pages
from upstatd.errors import Conflict, DomainError, Forbidden, Malformed, NotFound
from upstatd.store.incidents import Incident
from upstatd.store.writer import Unavailable, patient

log = structlog.get_logger("upstatd.api")

CONTEXT = web.AppKey("incident_links", Any)  # the ApiContext: link_key, clock, writer, incident_commands
PATH = "/incident-links/{token}"
AUTHOR = "alert link"
NOTES = {"acknowledge": "Acknowledged through the link in an alert",
         "resolve": "Resolved through the link in an alert"}
PATIENCE = 4.0  # s, as the API's writes (api/server.py WRITE_PATIENCE): a job not started by then is a 503
# The statuses in which an action is done already (or can no longer be done): nothing to change.
ALREADY = {"acknowledge": ("acknowledged", "resolved", "closed"), "resolve": ("resolved", "closed")}
VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}
PAST = {"acknowledge": "acknowledged", "resolve": "resolved"}
HEADERS = link_pages.headers(form_action="'self'")
DOMAIN_STATUS = ((NotFound, 404), (Conflict, 409), (Forbidden, 403), (Malformed, 400), (DomainError, 422))

_TEMPLATE = link_pages.template(width="36rem", style="""
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1.25rem; }
dt { color: #5a6275; }
dd { margin: 0; }
button { font: inherit; font-weight: 600; padding: .6rem 1.5rem; border: 0; border-radius: 6px; color: #fff;
         background: #1f6feb; cursor: pointer; }
button.resolve { background: #1a7f37; }
""", main="""
{% for line in text %}<p>{{ line }}</p>
{% endfor %}
{%- if incident %}
<dl>
<dt>Incident</dt><dd>{{ incident.title }}</dd>
<dt>Status</dt><dd>{{ incident.status }}</dd>
<dt>Severity</dt><dd>{{ incident.severity }}</dd>
<dt>Since</dt><dd>{{ incident.since }}</dd>
{%- if incident.acknowledged_by %}
<dt>Acknowledged</dt><dd>by {{ incident.acknowledged_by }}, {{ incident.acknowledged }}</dd>
{%- endif %}
{%- if incident.resolved %}
<dt>Resolved</dt><dd>{{ incident.resolved }}</dd>
{%- endif %}
<dt>Id</dt><dd>{{ incident.id }}</dd>
</dl>
{%- endif %}
{%- if button %}
<form method="post"><button type="submit" class="{{ action }}">{{ button }}</button></form>
{%- endif %}
{%- if note %}
<p class="note">{{ note }}</p>
{%- endif %}
""")


def _ms(value: int | None) -> str | None:
    return None if value is None else utc(value / 1000)


def facts(incident: Incident) -> dict[str, Any]:
    return {"id": incident.id, "title": incident.title, "status": incident.status, "severity": incident.severity,
            "since": _ms(incident.started_at), "acknowledged_by": incident.acknowledged_by,
            "acknowledged": _ms(incident.acknowledged_at), "resolved": _ms(incident.resolved_at)}


def page(status: int, heading: str, *text: str, incident: Incident | None = None, action: str | None = None,
         button: str | None = None, note: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
    body = _TEMPLATE.render(heading=heading, text=text, incident=incident and facts(incident), action=action,
                            button=button, note=note)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8", headers=headers)


class Refusal(Exception):
    """An answer other than the page asked for, already made."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def handle(request: web.Request) -> web.Response:
    """One handler for every method of the route, so that every answer (a 405 too) is a page with the headers."""
    try:
        if request.method in ("GET", "HEAD"):
            response = await show(request)
        elif request.method == "POST":
            response = await act(request)
        else:
            response = page(405, "Not allowed", f"{request.method} is not how this link is used: open it in a "
                            f"browser.", headers={"Allow": "GET, HEAD, POST"})
    except Refusal as refusal:
        response = refusal.response
    except DomainError as exc:
        status = next(code for kind, code in DOMAIN_STATUS if isinstance(exc, kind))
        response = page(status, "This could not be done", exc.message, "Nothing was changed.")
    except (Unavailable, sqlite3.OperationalError) as exc:
        log.warning("incident_link.storage_failed", method=request.method, error=str(exc))
        response = page(503, "Try again in a moment", "The database cannot take the change now.",
                        "Nothing was changed.", headers={"Retry-After": "5"})
    except Exception as exc:  # a bug: say so without details, log them (never the token: it is a credential)
        log.error("incident_link.failed", method=request.method, exc_info=exc)
        response = page(500, "Something went wrong", "The link could not be followed; nothing was changed.",
                        "The daemon's log says more.")
    response.headers.update(HEADERS)
    return response


async def _open(request: web.Request) -> tuple[Any, links.Link, Incident]:
    """The link in the URL and its incident, or a Refusal (404, 410)."""
    context = request.app[CONTEXT]
    try:
        link = links.read(context.link_key, request.match_info["token"], context.clock.time())
    except links.LinkRefused as refused:
        if refused.reason == "expired":
            raise Refusal(page(410, "This link has expired",
                               f"Links in alerts work for {links.TTL // 86400} days. Use the link of a newer "
                               f"alert, or the API.", "Nothing was changed.")) from None
        raise Refusal(not_valid()) from None
    try:
        incident = await context.incident_commands.get(link.incident_id)
    except NotFound:
        raise Refusal(not_valid()) from None
    return context, link, incident


async def _author(context: Any, link: links.Link) -> str:
    """Who the timeline names: the person whose own channel got the alert, else "alert link"
    (no person in the link, or deleted since)."""
    if link.person_id is None:
        return AUTHOR
    from upstatd.store.on_call import names
    found = await context.read_conn.call(names, [link.person_id])
    return found.get(link.person_id) or AUTHOR


def not_valid() -> web.Response:
    return page(404, "This link is not valid",
                "It may be cut short or changed, or its incident no longer exists.", "Nothing was changed.")


def already(incident: Incident, action: str) -> web.Response:
    """The page for an action that is done already, or past: nothing changes."""
    if action == "acknowledge" and incident.status == "acknowledged":
        heading = "Already acknowledged"
        text = f"{incident.acknowledged_by or 'Someone'} acknowledged this incident at {_ms(incident.acknowledged_at)}."
    elif incident.status == "resolved":
        heading = "Already resolved"
        text = (f"This incident was resolved at {_ms(incident.resolved_at)}"
                + (": there is nothing to acknowledge." if action == "acknowledge" else "."))
    else:
        heading = "Already closed"
        text = f"This incident is closed: there is nothing to {action}."
    return page(200, heading, text, "Nothing was changed.", incident=incident)


async def show(request: web.Request) -> web.Response:
    """The confirmation page: what the incident is, and a button. Changes nothing."""
    _, link, incident = await _open(request)
    if incident.status in ALREADY[link.action]:
        return already(incident, link.action)
    verb = VERBS[link.action]
    return page(200, f"{verb} this incident?", incident=incident, action=link.action,
                button=f"{verb} the incident",
                note=f"The incident's timeline will say this was done through the link in an alert. "
                     f"This link works until {utc(link.expires_at)}.")


async def act(request: web.Request) -> web.Response:
    context, link, incident = await _open(request)
    if incident.status in ALREADY[link.action]:
        return already(incident, link.action)
    if context.writer.failing:
        raise Unavailable("the writer is failing")
    commands = context.incident_commands
    try:
        with patient(PATIENCE):
            changed = await commands.move(link.incident_id, link.action, await _author(context, link),
                                          NOTES[link.action])
    except Conflict:
        current = await commands.get(link.incident_id)  # someone else moved it a moment ago
        if current.status in ALREADY[link.action]:
            return already(current, link.action)
        raise
    log.info("incident_link.used", incident_id=changed.id, action=link.action, status=changed.status)
    return page(200, f"Incident {PAST[link.action]}",
                f"The incident is {changed.status} now. Its timeline records that this was done through the "
                f"link in an alert.", incident=changed)
