"""A link that does not stand is a page, never the API's JSON and never a
change: expired (410, at the second it expires), changed, made with another
key, asking for an action links do not do, oversized, or naming no incident
(404). Every answer of the route, these included, carries the headers that
keep the token out of caches, referrers and frames, and a CSP allowing no script."""

from __future__ import annotations

import pytest
from linkkit import NOW, event_types, follow, incident, link, open_incident

from upstatd.alerts import links
from upstatd.clock import FakeClock

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


def assert_guarded(headers) -> None:
    for name, value in HEADERS.items():
        assert headers[name] == value, name
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'",
                      "frame-ancestors 'none'"):
        assert directive in csp
    assert "script-src" not in csp  # default-src 'none' covers scripts
    assert headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_expired_link_is_410_from_the_second_it_expires(api, method):
    made = await open_incident(api)
    expires = NOW + 60
    path = link(api, made["id"], "acknowledge", expires_at=expires)
    api.clock.advance(59)
    assert (await follow(api, "GET", path))[0] == 200  # a second before: still good
    api.clock.advance(1)
    status, headers, page = await follow(api, method, path)
    assert status == 410, page
    assert "This link has expired" in page and "7 days" in page and "Nothing was changed." in page
    assert_guarded(headers)
    assert (await incident(api, made["id"]))["status"] == "open"
    assert await event_types(api) == ["incident.created"]


def tampered(path: str) -> str:
    token = path.rsplit("/", 1)[1]
    swap = "A" if token[8] != "A" else "B"
    return "/incident-links/" + token[:8] + swap + token[9:]


BAD = [
    ("one character changed", lambda api, inc: tampered(link(api, inc, "acknowledge"))),
    ("another installation's key",
     lambda api, inc: "/incident-links/" + links.make(bytes(32), inc, "acknowledge", NOW + 3600)),
    ("an action links do not do",
     lambda api, inc: "/incident-links/" + links.seal(api.daemon.api.link_key, inc, "close", NOW + 3600)),
    ("no such incident", lambda api, inc: link(api, "inc_" + "0" * 22, "acknowledge")),
    ("cut short", lambda api, inc: link(api, inc, "acknowledge")[:-10]),
    ("not a token", lambda api, inc: "/incident-links/hello"),
    ("oversized", lambda api, inc: "/incident-links/" + "A" * 4000),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("what, make", BAD, ids=[case[0] for case in BAD])
async def test_a_link_that_does_not_stand_is_a_404_page(api, what, make, method):
    made = await open_incident(api)
    status, headers, page = await follow(api, method, make(api, made["id"]))
    assert status == 404, page
    assert "This link is not valid" in page and "Nothing was changed." in page
    assert "<form" not in page and "Checkout is slow" not in page
    assert_guarded(headers)
    assert (await incident(api, made["id"]))["status"] == "open"
    assert await event_types(api) == ["incident.created"]


@pytest.mark.parametrize("method, expected", [("GET", 200), ("POST", 200), ("HEAD", 200), ("PUT", 405),
                                              ("DELETE", 405)])
async def test_every_answer_carries_the_headers(api, method, expected):
    made = await open_incident(api)
    status, headers, page = await follow(api, method, link(api, made["id"], "acknowledge"))
    assert status == expected, page
    assert_guarded(headers)
    if expected == 405:
        assert headers["Allow"] == "GET, HEAD, POST"
        assert (await incident(api, made["id"]))["status"] == "open"
