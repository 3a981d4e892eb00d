"""Upstat-Version: a request may choose among the supported date versions; without
the header it gets the version the installation was pinned to when its first
token was made; every answer says which version it used; an unknown version is
a 400 listing the supported ones."""

from __future__ import annotations

import pytest

import upstatd

FIRST, NEXT = "2026-11-01", "2027-06-01"


async def stop_for_restart(daemon) -> None:
    await daemon.stop()

    async def already_stopped() -> None:
        return None

    daemon.stop = already_stopped


async def pinned(api) -> list:
    return [tuple(row) for row in await api.daemon.read_db.execute_fetchall(
        "SELECT key, value FROM settings WHERE key = 'api_version'")]


async def test_every_answer_carries_the_version_it_used(api):
    assert upstatd.API_VERSIONS[0] == FIRST  # one version to start with
    for method, path, token in (("GET", "/api/tokens", api.admin_token), ("GET", "/api/nothing", api.admin_token),
                                ("GET", "/api/tokens", None), ("PUT", "/api/tokens", api.admin_token),
                                ("GET", "/api/openapi.json", None)):
        _, headers, _ = await api.request(method, path, token=token)
        assert headers["Upstat-Version"] == upstatd.API_VERSIONS[-1], (method, path)
    status, headers, _ = await api.request("GET", "/api/tokens", headers={"Upstat-Version": FIRST})
    assert status == 200 and headers["Upstat-Version"] == FIRST


@pytest.mark.parametrize("asked", ["1999-01-01", "latest", "", "2026-11-01 "])
async def test_an_unknown_version_is_a_400_listing_the_supported_ones(api, asked):
    status, headers, body = await api.request("GET", "/api/tokens", headers={"Upstat-Version": asked})
    if asked.strip() == FIRST:  # HTTP strips the spaces around a header value
        assert status == 200
        return
    assert status == 400, body
    error = body["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "version_invalid",
                                                              "Upstat-Version")
    assert f"supported: {', '.join(upstatd.API_VERSIONS)}" in error["message"]
    assert headers["Upstat-Version"] == upstatd.API_VERSIONS[-1]  # the version the error itself is in


async def test_the_installation_is_pinned_when_its_first_token_is_made(start_api, monkeypatch):
    api = await start_api()
    assert await pinned(api) == [("api_version", FIRST)]

    # A later upstatd knows a newer version; this installation keeps its own by default.
    await stop_for_restart(api.daemon)
    monkeypatch.setattr(upstatd, "API_VERSIONS", (FIRST, NEXT))
    upgraded = await start_api(f'storage: {{path: "{api.db_path}"}}')
    assert await pinned(upgraded) == [("api_version", FIRST)]
    _, headers, _ = await upgraded.request("GET", "/api/tokens")
    assert headers["Upstat-Version"] == FIRST
    status, headers, _ = await upgraded.request("GET", "/api/tokens", headers={"Upstat-Version": NEXT})
    assert status == 200 and headers["Upstat-Version"] == NEXT
    _, _, body = await upgraded.request("GET", "/api/tokens", headers={"Upstat-Version": "2020-01-01"})
    assert f"supported: {FIRST}, {NEXT}" in body["error"]["message"]
    # the OpenAPI document describes the version asked for
    _, _, document = await upgraded.request("GET", "/api/openapi.json", token=None,
                                            headers={"Upstat-Version": NEXT})
    assert document["info"]["version"] == NEXT

    # A new installation of that upstatd starts on the newest version.
    fresh = await start_api()
    assert await pinned(fresh) == [("api_version", NEXT)]
    _, headers, _ = await fresh.request("GET", "/api/tokens")
    assert headers["Upstat-Version"] == NEXT
