"""http.proxy over the API: the proxy's credentials are masked in every read
(`http://ana:********@127.0.0.1:3128`), a URL sent back as shown keeps them, and
the probe still sends them to the proxy; a bad proxy names its param."""

from __future__ import annotations

import pytest

from loopback import start_web
from proxy_server import start_proxy
from upstatd.clock import FakeClock

NOW = 1_800_000_000
CREDENTIALS = "Basic YW5hOnMzY3JldC1wdw=="  # ana:s3cret-pw


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_masks_the_credentials_and_keeps_them_when_sent_back(capfd, api):
    web, via = await start_web(), await start_proxy(credentials=CREDENTIALS)
    try:
        shown = f"http://ana:********@127.0.0.1:{via.port}"
        status, _, made = await api.request("POST", "/api/monitors", json={
            "type": "http", "url": web.url("/ok"), "http": {"proxy": via.url("ana:s3cret-pw")}})
        assert status == 201, made
        assert made["http"] == {"proxy": shown}
        path = f"/api/monitors/{made['id']}"
        status, _, patched = await api.request("PATCH", path, json={"http": {"proxy": shown, "max_redirects": 3}})
        assert (status, patched["http"]) == (200, {"proxy": shown, "max_redirects": 3}), patched
        for read in ("/api/monitors", path, "/api/events"):
            _, _, body = await api.request("GET", read)
            assert "s3cret" not in str(body)
        # ... and the probe still goes through the proxy with them.
        api.clock.advance(1)
        for _ in range(200):
            if web.seen:
                break
            await api.request("GET", "/api/monitors")
        assert [(p.headers["proxy-authorization"], p.answer) for p in via.seen][:1] == [(CREDENTIALS, 200)]
        out, err = capfd.readouterr()
        assert "daemon." in out + err and "s3cret" not in out + err
    finally:
        await web.close()
        await via.close()


async def test_the_mask_with_another_host_is_refused(api):
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": "http://127.0.0.1:1/", "http": {"proxy": "http://ana:s3cret-pw@127.0.0.1:3128"}})
    assert status == 201, made
    # the stored password must not follow the monitor to a proxy of the caller's choosing
    status, _, answer = await api.request("PATCH", f"/api/monitors/{made['id']}", json={
        "http": {"proxy": "http://ana:********@127.0.0.2:3128"}})
    assert (status, answer["error"]["param"]) == (422, "http.proxy"), answer
    assert answer["error"]["message"].startswith("http.proxy: the credentials are the '********' the API shows in their place")


@pytest.mark.parametrize("proxy, words", [
    ("http://ana:s3cret-pw@proxy.example", "must name the proxy's port, like http://proxy.example:3128, "
                                           "got 'http://ana:********@proxy.example'"),
    ("ftp://127.0.0.1:21", "an HTTP proxy; SOCKS is not supported"),
    ("https://127.0.0.1:3128", "an https:// proxy (TLS to the proxy) is not supported"),
])
async def test_a_bad_proxy_names_its_param(api, proxy, words):
    status, _, answer = await api.request("POST", "/api/monitors", json={
        "type": "http", "url": "http://127.0.0.1:1/", "http": {"proxy": proxy}})
    assert (status, answer["error"]["param"]) == (422, "http.proxy"), answer
    assert words in answer["error"]["message"] and "s3cret" not in str(answer)
