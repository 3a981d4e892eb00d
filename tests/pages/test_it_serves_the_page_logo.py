"""A status page's logo is an image the daemon keeps and serves: PUT
/api/status-pages/{id}/logo with the image as the body (PNG, SVG, WebP or
JPEG by Content-Type and first bytes, at most 256 KiB), served at
/status/<slug>/logo (and /logo on the custom domain) with an ETag and a long
Cache-Control behind a versioned URL, shown in the page's <img>; an SVG with
a CSP that runs nothing; DELETE removes it. The page's CSP loads images from
the daemon only, and logo_url can no longer be written."""

from __future__ import annotations

import base64
import re

import pytest

from upstatd.clock import FakeClock
from upstatd.errors import Invalid, Malformed
from upstatd.status_pages import logo

NOW = 1_800_000_000
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def make_page(api, **fields) -> str:
    status, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Example Shop", "slug": "shop", "published": True, **fields})
    assert status == 201, page
    return f"/api/status-pages/{page['id']}"


async def put(api, path: str, body: bytes, content_type: str):
    return await api.request("PUT", f"{path}/logo", data=body, headers={"Content-Type": content_type})


async def get(api, path: str, **headers):
    async with api.session.get(api.url + path, headers=headers) as answer:
        return answer.status, answer.headers, await answer.read()


async def test_it_serves_the_logo_it_was_given(api):
    path = await make_page(api)
    status, _, page = await put(api, path, PNG, "image/png")
    assert status == 200, page
    assert re.fullmatch(r"/status/shop/logo\?v=[0-9a-f]{16}", page["logo_url"]), page["logo_url"]
    _, _, read = await api.request("GET", path)
    assert read["logo_url"] == page["logo_url"]

    status, headers, body = await get(api, page["logo_url"])
    assert (status, body, headers["Content-Type"]) == (200, PNG, "image/png")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert (await get(api, "/status/shop/logo", **{"If-None-Match": headers["ETag"]}))[0] == 304

    status, headers, html = await get(api, "/status/shop")
    assert f'<img src="{api.url}{page["logo_url"]}"'.encode() in html
    assert "img-src 'self' data:;" in headers["Content-Security-Policy"]
    assert "https:" not in headers["Content-Security-Policy"]
    _, _, history = await get(api, "/status/shop/history")
    assert f'<img src="{api.url}{page["logo_url"]}"'.encode() in history

    # a new logo is a new URL
    status, _, changed = await put(api, path, SVG, "image/svg+xml")
    assert status == 200 and changed["logo_url"] != page["logo_url"]
    status, headers, body = await get(api, "/status/shop/logo")
    assert (body, headers["Content-Type"]) == (SVG, "image/svg+xml")
    assert "sandbox" in headers["Content-Security-Policy"] and "script" not in headers["Content-Security-Policy"]
    _, _, events = await api.request("GET", "/api/events?type=status_page.updated")
    assert [event["data"].get("reason") for event in events["data"]][:2] == ["logo.updated", "logo.updated"]


async def test_it_removes_the_logo(api):
    path = await make_page(api)
    await put(api, path, WEBP, "image/webp")
    status, _, body = await api.request("DELETE", f"{path}/logo")
    assert (status, body) == (204, None)
    _, _, page = await api.request("GET", path)
    assert page["logo_url"] is None
    assert (await get(api, "/status/shop/logo"))[0] == 404
    assert b"<img" not in (await get(api, "/status/shop"))[2]
    status, _, answer = await api.request("DELETE", f"{path}/logo")
    assert status == 404 and "no logo" in answer["error"]["message"]


async def test_it_serves_it_on_the_custom_domain_and_behind_the_password(api):
    path = await make_page(api, custom_domain="status.example.com")
    await put(api, path, JPEG, "image/jpeg")
    status, _, body = await get(api, "/logo", Host="status.example.com")
    assert (status, body) == (200, JPEG)
    _, _, html = await get(api, "/", Host="status.example.com")
    assert re.search(rb'<img src="http://status\.example\.com/logo\?v=[0-9a-f]{16}"', html)
    await api.request("PATCH", path, json={"password": "correct horse"})
    status, _, body = await get(api, "/status/shop/logo")
    assert status == 401 and JPEG not in body


@pytest.mark.parametrize("body, content_type, status, param", [
    (PNG, "image/gif", 400, "Content-Type"),
    (PNG, "application/json", 400, "Content-Type"),
    (PNG, "image/jpeg", 400, "body"),
    (b"<html><script>alert(1)</script></html>", "image/svg+xml", 400, "body"),
    (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>', "image/svg+xml", 400, "body"),
    (b"", "image/png", 400, "body"),
    (PNG + b"\x00" * (256 * 1024), "image/png", 422, "body"),
])
async def test_it_refuses_what_is_not_a_logo(api, body, content_type, status, param):
    path = await make_page(api)
    answer_status, _, answer = await put(api, path, body, content_type)
    assert (answer_status, answer["error"]["param"]) == (status, param), answer
    assert (await get(api, "/status/shop/logo"))[0] == 404


async def test_logo_url_is_read_only(api):
    path = await make_page(api)
    status, _, answer = await api.request("PATCH", path, json={"logo_url": "https://example.com/logo.png"})
    assert status == 400 and answer["error"]["param"] == "logo_url"
    assert "PUT the image" in answer["error"]["message"] and "/logo" in answer["error"]["message"]


@pytest.mark.parametrize("content_type, data, media", [
    ("image/png", PNG, "image/png"),
    ("IMAGE/PNG; charset=binary", PNG, "image/png"),
    ("image/svg+xml", SVG, "image/svg+xml"),
    ("image/svg+xml", b"\xef\xbb\xbf  <svg viewBox='0 0 1 1'/>", "image/svg+xml"),
    ("image/svg+xml", b"<!-- logo -->\n<svg>\n</svg>", "image/svg+xml"),
    ("image/webp", WEBP, "image/webp"),
    ("image/jpeg", JPEG, "image/jpeg"),
])
def test_it_takes_each_kind_of_image(content_type, data, media):
    taken, etag = logo.checked(content_type, data)
    assert taken == media and re.fullmatch("[0-9a-f]{32}", etag)


@pytest.mark.parametrize("content_type, data, error, param", [
    ("image/png", b"GIF89a", Malformed, "body"),
    ("image/webp", b"RIFF\x00\x00\x00\x00WAVE", Malformed, "body"),
    ("image/svg+xml", b"<svgx/>", Malformed, "body"),
    ("image/svg+xml", b"hello <svg/>", Malformed, "body"),
    ("", PNG, Malformed, "Content-Type"),
    ("image/png", PNG + b"\x00" * logo.MAX_BYTES, Invalid, "body"),
])
def test_it_names_what_is_wrong(content_type, data, error, param):
    with pytest.raises(error) as raised:
        logo.checked(content_type, data)
    assert raised.value.param == param
