"""The public status pages, outside /api and without a token:

- `/status/{slug}` (HTML), `/status/{slug}/feed.rss`, `/status/{slug}/summary.json`,
  `/status/{slug}/history` (the archive of resolved reports, 20 a page, `?before=` /
  `?after=` a report id), `/status/{slug}/logo` (the page's own image), and `/`,
  `/history`, `/logo` for a page's `custom_domain` (the Host header, behind a reverse proxy);
- `/badge/{monitor id or key}/status.svg`, `/uptime.svg` (30 days) and `/shields.json`,
  answered only for monitors shown on a published page without a password: a
  badge tells the public nothing a page does not.

Only published pages are served (an unknown or unpublished one is a 404). A
page with a password asks for it in a form; the right one sets a cookie signed
with the installation's link key (and the password's hash: a new password ends
every visitor's cookie); wrong passwords are limited per client address and
page (status_pages/attempts.py: 429 with Retry-After). What a page shows is made at most every CACHE_SECONDS
(sooner when the page, or the state of a catalog service its resources need, changed: `_version`)
and answered with an ETag (If-None-Match: 304) and Cache-Control, so a busy
page costs a dictionary lookup.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from upstatd.metrics import accepts_gzip
from upstatd.pages import badge, render, view
from upstatd.pages.banner import public_state
from upstatd.pages.summary import summary
from upstatd.status_pages import password
from upstatd.status_pages.attempts import Attempts, client_key
from upstatd.store import catalog as catalog_store, status_page_view, status_pages
from upstatd.store import uptime

CONTEXT = web.AppKey("status_pages", Any)  # the ApiContext: read_conn, clock, link_key
CACHE = web.AppKey("status_pages_cache", dict)
MAKING = web.AppKey("status_pages_making", dict)  # (address, version, base) -> the render in flight
ATTEMPTS = web.AppKey("status_pages_attempts", Attempts)
CACHE_SECONDS = 30
GZIP_LEVEL = 6  # a 100-resource page: 647 kB of HTML -> 34 kB, compressed once per render
ARCHIVE_PAGE = 20  # resolved reports on a page of the archive
LOGO_SECONDS = 365 * 86400  # a logo's URL carries its version (?v=): a new logo is a new URL
# images only from the daemon itself (the logo); data: for the empty favicon
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}
# a logo opened by itself (an SVG may hold scripts): nothing runs, nothing loads
LOGO_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"}
LOGIN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Password</title>
<style>body{font:15px system-ui,sans-serif;max-width:360px;margin:64px auto;padding:0 16px}
input,button{font:inherit;padding:8px;width:100%;box-sizing:border-box;margin-top:8px}</style></head>
<body><form method="post"><label>This status page asks for a password<input type="password"
name="password" autocomplete="current-password" required></label><button>Show the page</button>
{note}</form></body></html>"""


def _cookie(context: Any, page: status_pages.PageRow) -> tuple[str, str]:
    digest = hmac.new(context.link_key, f"{page.id}:{page.password_hash}".encode(), hashlib.sha256).hexdigest()
    return f"upstatd_page_{page.id}", digest


def _version(conn: Any, address: str, watched: Sequence[str] = ()) -> tuple[Any, tuple | None]:
    """The page's row and when it or anything on it last changed (indexed reads), with the
    state of the catalog services its resources need (`watched`: their members, from the last
    render): a dependency that goes down changes the page though nothing on it did."""
    row = status_pages.by_address(conn, address)
    if row is None:
        return None, None
    changed = conn.execute(
        "SELECT (SELECT max(updated_at) FROM status_reports WHERE page_seq = ?1), "
        "(SELECT max(updated_at) FROM status_page_sections WHERE page_seq = ?1), "
        "(SELECT max(updated_at) FROM status_page_resources WHERE page_seq = ?1), "
        "(SELECT count(*) FROM status_page_resources WHERE page_seq = ?1), "
        "(SELECT max(u.seq) FROM status_report_updates AS u JOIN status_reports AS r ON r.seq = u.report_seq "
        "WHERE r.page_seq = ?1)", (row.seq,)).fetchone()
    return row, (row.updated_at, *changed, *_windows_version(conn), *status_pages.group_members_version(conn, row.seq),
                 status_page_view.catalog_version(conn, list(watched)))


def _windows_version(conn: Any) -> tuple:
    """Every maintenance window's last change, the set of them, and which are on (`active`,
    flipped by the window's timer): a window made, edited, deleted, started or ended shows at
    once. All windows, not only a page's: they are few, and `covers` stays in one place."""
    return conn.execute("SELECT count(*), max(updated_at), total(seq), group_concat(CASE WHEN active THEN seq END) "
                        "FROM maintenance_windows").fetchone()


async def _made(request: web.Request, address: str) -> tuple[Any, dict] | None:
    """(the page's row, {html, feed, summary, etag}); None: no published page there. The row is
    read every time (one indexed read: a new password or report applies at once); what it
    shows is made again when the row changed or CACHE_SECONDS passed."""
    context = request.app[CONTEXT]
    cache = request.app[CACHE]
    watched = cache[address][3] if address in cache else []
    row, version = await context.read_conn.call(_version, address, watched)
    if row is None or not row.published:
        cache.pop(address, None)
        return None
    kept = cache.get(address)  # again: a render may have been kept meanwhile
    now = context.clock.monotonic()
    if kept is not None and kept[0] > now and kept[1] == version:
        return row, kept[2]
    now_ms = context.now_ms()
    base = f"{request.scheme}://{request.host}"

    def make(conn: Any) -> tuple[Any, dict, list[str], tuple] | None:
        # rendered here, on the read thread, and encoded once: a 100-resource page's HTML
        # takes tens of ms that the event loop (the probes' timers) would otherwise wait
        found = status_page_view.page_view(conn, address, now_ms)
        if found is None:
            return None
        url = base if found.page.custom_domain == address else f"{base}/status/{found.page.slug}"
        graph = catalog_store.graph(conn)
        watching = view.watched(found, graph)
        # the version this render is kept under: the request's (read before the page's rows), its
        # catalog part read again for the members this render watches, before their states are
        # read; a change in between makes the next request render again, never keeps a stale page
        kept_version = (*version[:-1], status_page_view.catalog_version(conn, watching))
        shown = view.build(conn, found, now_ms, url, view.read_catalog(conn, graph))
        html = render.page_html(shown).encode()
        return found.page, watching, kept_version, {"html": html, "html.gz": gzip.compress(html, GZIP_LEVEL),
                            "feed": render.feed_rss(shown).encode(),
                            "summary": json.dumps(summary(shown), separators=(",", ":")).encode(),
                            "etag": '"' + hashlib.sha256(html).hexdigest()[:32] + '"'}

    # one render per change: the visitors who come while it is made wait for it
    making = request.app[MAKING]
    key = (address, version, base)
    pending = making.get(key)
    if pending is None:
        pending = making[key] = asyncio.ensure_future(context.read_conn.call(make))
        pending.add_done_callback(lambda _: making.pop(key, None))
    result = await asyncio.shield(pending)  # a visitor who leaves does not cancel the others' render
    if result is None:
        return None
    page, watching, kept_version, bodies = result
    if len(cache) > 1000:  # pages are few; addresses that named none are not kept
        cache.clear()
    cache[address] = (now + CACHE_SECONDS, kept_version, bodies, watching)
    return page, bodies


def _not_found() -> web.HTTPNotFound:
    return web.HTTPNotFound(text="no status page here\n", headers=HEADERS)


async def _gate(request: web.Request, page: Any, base: dict[str, str] = HEADERS
                ) -> tuple[dict[str, str] | None, web.StreamResponse | None]:
    """(the answer's headers, None) for a visitor who may see the page; (None, the password
    form's answer) for one who must give its password first."""
    headers = dict(base)
    if page.password_hash is not None:
        name, value = _cookie(request.app[CONTEXT], page)
        if not hmac.compare_digest(request.cookies.get(name, ""), value):
            return None, await _login(request, page, name, value)
        headers["Cache-Control"] = "private, no-store"
    else:
        headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return headers, None


def _html(request: web.Request, html: str | bytes, etag: str, headers: dict[str, str]) -> web.Response:
    headers["ETag"] = etag
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    body = html.encode() if isinstance(html, str) else html
    return web.Response(body=body, content_type="text/html", charset="utf-8", headers=headers)


async def _serve(request: web.Request, address: str, part: str) -> web.StreamResponse:
    made = await _made(request, address)
    if made is None:
        raise _not_found()
    page, bodies = made
    headers, login = await _gate(request, page)
    if login is not None:
        return login
    if part == "html":
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request.headers.get("Accept-Encoding")):  # each representation its own ETag
            headers["Content-Encoding"] = "gzip"
            return _html(request, bodies["html.gz"], bodies["etag"][:-1] + '-gzip"', headers)
        return _html(request, bodies["html"], bodies["etag"], headers)
    if part == "feed":
        return web.Response(body=bodies["feed"], content_type="application/rss+xml", charset="utf-8",
                            headers=headers)
    return web.Response(body=bodies["summary"], content_type="application/json", charset="utf-8", headers=headers)


async def _login(request: web.Request, page: Any, name: str, value: str) -> web.StreamResponse:
    headers = {**HEADERS, "Cache-Control": "no-store"}
    if request.method == "POST":
        attempts, key = request.app[ATTEMPTS], (client_key(request.remote), page.id)
        wait = attempts.take(key, request.app[CONTEXT].clock.monotonic())
        if wait:  # refused before scrypt runs: guessing costs the daemon nothing
            return web.Response(status=429, text=LOGIN.replace("{note}", (
                f"<p>Too many wrong passwords from your address. Wait {wait} seconds, then try again.</p>")),
                content_type="text/html", headers={**headers, "Retry-After": str(wait)})
        form = await request.post()
        given = str(form.get("password", ""))[:200]
        if await asyncio.to_thread(password.verify, given, page.password_hash):  # scrypt: off the loop
            attempts.forget(key)
            answer = web.HTTPSeeOther(request.path_qs, headers=headers)
            answer.set_cookie(name, value, httponly=True, samesite="Lax", path="/",
                              secure=request.scheme == "https")
            raise answer
        return web.Response(status=401, text=LOGIN.replace("{note}", "<p>That is not the password.</p>"), content_type="text/html",
                            headers=headers)
    return web.Response(status=401, text=LOGIN.replace("{note}", ""), content_type="text/html", headers=headers)


async def page(request: web.Request) -> web.StreamResponse:
    return await _serve(request, request.match_info["slug"], "html")


def _host(request: web.Request) -> str:
    return (request.host or "").split(":")[0].lower()


async def domain(request: web.Request) -> web.StreamResponse:
    return await _serve(request, _host(request), "html")


# -- the archive and the logo --------------------------------------------------------------------

async def _published(request: web.Request, address: str) -> Any:
    """The published page at this address (its row), else a 404."""
    row = await request.app[CONTEXT].read_conn.call(status_pages.by_address, address)
    if row is None or not row.published:
        raise _not_found()
    return row


def _page_url(request: web.Request, page: Any, address: str) -> str:
    base = f"{request.scheme}://{request.host}"
    return base if page.custom_domain == address else f"{base}/status/{page.slug}"


async def _history(request: web.Request, address: str) -> web.StreamResponse:
    """One page of the archive: read each time (two indexed reads and the reports' updates),
    answered with an ETag of what it shows."""
    page = await _published(request, address)
    headers, login = await _gate(request, page)
    if login is not None:
        return login
    cursors = {name: request.query.getone(name) for name in ("before", "after") if name in request.query}
    unknown = sorted(set(request.query) - {"before", "after"})
    if unknown or len(cursors) > 1:
        param = unknown[0] if unknown else "after"
        why = f"{param}: not a parameter here (before= or after= a report id)" if unknown else \
            "after: give before= or after=, not both"
        return web.Response(status=400, text=f"{why}\n", headers=headers)
    context = request.app[CONTEXT]
    try:
        archive = await context.read_conn.call(lambda conn: status_page_view.report_archive(
            conn, page.seq, limit=ARCHIVE_PAGE, **cursors))
    except status_page_view.BadCursor as exc:
        return web.Response(status=400, text=f"{exc}\n", headers=headers)
    html = render.history_html(view.history(page, archive, _page_url(request, page, address), context.now_ms()))
    etag = '"' + hashlib.sha256(html.encode()).hexdigest()[:32] + '"'
    return _html(request, html, etag, headers)


async def _logo(request: web.Request, address: str) -> web.StreamResponse:
    page = await _published(request, address)
    headers, login = await _gate(request, page, LOGO_HEADERS)
    if login is not None:
        return login
    if page.logo_etag is None:
        raise web.HTTPNotFound(text="this status page has no logo\n", headers=HEADERS)
    scope = "private" if page.password_hash is not None else "public"
    headers.update({"Cache-Control": f"{scope}, max-age={LOGO_SECONDS}, immutable", "ETag": f'"{page.logo_etag}"'})
    if request.headers.get("If-None-Match") == headers["ETag"]:  # known from the page's row: no image read
        return web.Response(status=304, headers=headers)
    found = await request.app[CONTEXT].read_conn.call(status_pages.logo, page.seq)
    if found is None:  # removed since the row was read
        raise web.HTTPNotFound(text="this status page has no logo\n", headers=HEADERS)
    headers["ETag"] = f'"{found.etag}"'
    return web.Response(body=found.body, content_type=found.content_type, headers=headers)


async def history(request: web.Request) -> web.StreamResponse:
    return await _history(request, request.match_info["slug"])


async def domain_history(request: web.Request) -> web.StreamResponse:
    return await _history(request, _host(request))


async def logo(request: web.Request) -> web.StreamResponse:
    return await _logo(request, request.match_info["slug"])


async def domain_logo(request: web.Request) -> web.StreamResponse:
    return await _logo(request, _host(request))


# -- badges ------------------------------------------------------------------------------------

def _badge_subject(conn: Any, ref: str, now_ms: int) -> tuple[str, str, float | None] | None:
    """(public name, public state, 30-day uptime) of a monitor shown on a public page, by id or key."""
    row = conn.execute(
        "SELECT m.seq, m.created_at, m.status, m.current_state, r.public_name FROM monitors AS m "
        "JOIN status_page_resources AS r ON r.kind = 'monitor' AND r.subject_seq = m.seq "
        "JOIN status_pages AS p ON p.seq = r.page_seq AND p.published = 1 AND p.password_hash IS NULL "
        "WHERE m.id = ? OR m.key = ? LIMIT 1", (ref, ref)).fetchone()
    if row is None:
        return None
    seq, created, status, state, name = row
    return name, public_state("monitor", state, status), uptime.uptimes(conn, seq, created, now_ms)["30d"]


async def _badge(request: web.Request, kind: str, as_json: bool) -> web.Response:
    context = request.app[CONTEXT]
    found = await context.read_conn.call(_badge_subject, request.match_info["ref"], context.now_ms())
    if found is None:
        raise web.HTTPNotFound(text="no public monitor with this id or key\n", headers=HEADERS)
    name, state, percent = found
    drawn = badge.state_badge(name, state) if kind == "status" else badge.uptime_badge(f"{name} 30d", percent)
    headers = {**HEADERS, "Cache-Control": "public, max-age=60"}
    if as_json:
        return web.json_response(badge.shields(drawn), headers=headers)
    return web.Response(text=badge.svg(drawn), content_type="image/svg+xml", headers=headers)


async def status_badge(request: web.Request) -> web.Response:
    return await _badge(request, "status", False)


async def uptime_badge(request: web.Request) -> web.Response:
    return await _badge(request, "uptime", False)


async def shields_badge(request: web.Request) -> web.Response:
    """The Shields.io endpoint JSON of the uptime badge."""
    return await _badge(request, "uptime", True)


def add_routes(app: web.Application, context: Any) -> None:
    app[CONTEXT] = context
    app[CACHE] = {}
    app[MAKING] = {}
    app[ATTEMPTS] = Attempts()
    app.router.add_route("GET", "/status/{slug}", page)
    app.router.add_route("POST", "/status/{slug}", page)  # the password form
    app.router.add_route("GET", "/status/{slug}/feed.rss", feed)
    app.router.add_route("GET", "/status/{slug}/summary.json", summary_json)
    app.router.add_route("GET", "/status/{slug}/history", history)
    app.router.add_route("POST", "/status/{slug}/history", history)  # the password form
    app.router.add_route("GET", "/status/{slug}/logo", logo)
    app.router.add_route("GET", "/badge/{ref}/status.svg", status_badge)
    app.router.add_route("GET", "/badge/{ref}/uptime.svg", uptime_badge)
    app.router.add_route("GET", "/badge/{ref}/shields.json", shields_badge)
    app.router.add_route("GET", "/", domain)
    app.router.add_route("POST", "/", domain)
    app.router.add_route("GET", "/history", domain_history)
    app.router.add_route("POST", "/history", domain_history)
    app.router.add_route("GET", "/logo", domain_logo)


async def feed(request: web.Request) -> web.StreamResponse:
    return await _serve(request, request.match_info["slug"], "feed")


async def summary_json(request: web.Request) -> web.StreamResponse:
    return await _serve(request, request.match_info["slug"], "summary")
