"""The runbook page an alert links to: `GET /runbooks/{runbook_id}?t={token}`.

Outside /api and without a bearer token: the signed token in the query
(alerts/runbook_links.py: one runbook, one incident, an expiry) is the
credential, so a responder opens it from the mail on any device. The page is
read-only: the runbook's current version, as the incident shows it
(store/runbook_reads.for_incident): its title, its markdown body rendered to
safe HTML (api/markdown.py), its steps as an ordered list with those marked done
on this incident, and which incident the link came from. Marking a step done
is the API's (it needs to know who).

Every refusal is the same 404 page: a token that is malformed, too long,
signed by another key, changed, expired, for another runbook than the path's,
and a runbook the incident no longer shows (deleted, unlinked) or an incident
that is gone. A guessed or edited URL learns nothing, not even whether the
runbook exists.

Every answer carries the headers of the incident links' pages (api/link_pages.py:
no cache, no referrer, no frames) and a Content-Security-Policy that allows no
script and no external resource at all: inline CSS only.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import structlog
from aiohttp import web
from markupsafe import Markup

from upstatd.alerts import runbook_links
from upstatd.alerts.message import utc
from upstatd.api import link_pages, markdown
from upstatd.store import incidents as incident_store
from upstatd.store import runbook_reads

log = structlog.get_logger("upstatd.api")

CONTEXT = web.AppKey("runbook_page", Any)  # the ApiContext: link_key, clock, read_conn
PATH = "/runbooks/{runbook_id}"
HEADERS = link_pages.headers(form_action="'none'")

_TEMPLATE = link_pages.template(width="48rem", style="""
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
.incident { color: #5a6275; margin: 0 0 1.25rem; }
ol.steps li { margin: .35rem 0; }
.done { color: #1a7f37; }
pre { background: #f4f5f7; padding: .75rem; overflow-x: auto; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
""", main="""
{%- if text %}
<p>{{ text }}</p>
{%- endif %}
{%- if runbook %}
<p class="incident">For incident {{ incident.title }} ({{ incident.id }}), {{ incident.status }} since {{ incident.since }}.
Version {{ runbook.version }}.</p>
{%- if runbook.steps %}
<h2>Steps</h2>
<ol class="steps">
{%- for step in runbook.steps %}
<li>{{ step.text }}{% if step.done %} <span class="done">(done by {{ step.done.done_by }}, {{ step.done.at }})</span>{% endif %}</li>
{%- endfor %}
</ol>
{%- endif %}
{%- if body %}
<h2>Details</h2>
<div class="body">
{{ body }}
</div>
{%- endif %}
{%- if cut %}
<p class="note">The text is cut here: the whole runbook is in the API ({{ api_path }}).</p>
{%- endif %}
<p class="note">A read-only copy for the link in an alert; mark steps done through the API. This link works until {{ expires }}.</p>
{%- endif %}
""")


def page(status: int, heading: str, text: str | None = None, **values: Any) -> web.Response:
    body = _TEMPLATE.render(heading=heading, text=text, runbook=None, **values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def not_found() -> web.Response:
    return page(404, "This link is not valid",
                "It may be cut short, changed or expired, or the runbook is no longer linked to its incident. "
                "The incident's latest alert has a fresh link.")


async def handle(request: web.Request) -> web.Response:
    """GET and HEAD show the page; any other method is a 405 page. Every answer has HEADERS."""
    try:
        if request.method in ("GET", "HEAD"):
            response = await show(request)
        else:
            response = page(405, "Not allowed", f"{request.method} is not how this link is used: open it in a "
                                                f"browser.")
            response.headers["Allow"] = "GET, HEAD"
    except sqlite3.OperationalError as exc:
        log.warning("runbook_page.storage_failed", error=str(exc))
        response = page(503, "Try again in a moment", "The database cannot be read now.")
        response.headers["Retry-After"] = "5"
    except Exception as exc:  # a bug: say so without details, log them (never the token: it is a credential)
        log.error("runbook_page.failed", exc_info=exc)
        response = page(500, "Something went wrong", "The daemon's log says more.")
    response.headers.update(HEADERS)
    return response


def _read(conn: sqlite3.Connection, incident_id: str, runbook_id: str):
    """(the runbook as the incident shows it, the incident), or None."""
    incident = incident_store.get(conn, incident_id)
    if incident is None:
        return None
    found = [r for r in runbook_reads.for_incident(conn, incident_id) if r.id == runbook_id]
    return (found[0], incident) if found else None


async def show(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    tokens = request.query.getall("t", [])
    if len(tokens) != 1:
        return not_found()
    try:
        link = runbook_links.read(context.link_key, tokens[0], context.clock.time())
    except runbook_links.LinkRefused:
        return not_found()
    if link.runbook_id != request.match_info["runbook_id"]:
        return not_found()
    found = await context.read_conn.call(_read, link.incident_id, link.runbook_id)
    if found is None:
        return not_found()
    runbook, incident = found
    done = {mark["step"]: mark for mark in runbook.steps_done if mark["version"] == runbook.version}
    steps = [{"text": text, "done": done.get(number) and {"done_by": done[number]["done_by"],
                                                        "at": utc(done[number]["done_at"] / 1000)}}
             for number, text in enumerate(runbook.steps, 1)]
    rendered = markdown.render(runbook.body)
    body = _TEMPLATE.render(
        heading=runbook.title, text=None, runbook={"version": runbook.version, "steps": steps},
        incident={"id": incident.id, "title": incident.title, "status": incident.status,
                  "since": utc(incident.started_at / 1000)},
        body=Markup(rendered.html) if runbook.body.strip() else None,  # safe: api/markdown.py escapes
        cut=rendered.cut, api_path=f"/api/runbooks/{runbook.id}", expires=utc(link.expires_at))
    return web.Response(text=body, content_type="text/html", charset="utf-8")
