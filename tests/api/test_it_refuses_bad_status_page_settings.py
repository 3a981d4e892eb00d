"""A status page's settings are checked, each refusal naming its param: the
slug's form and the custom domain's, the accent colour (#rrggbb), the logo
URL, the time zone (IANA), a password shorter than 8 characters (422); an
unknown field (400); a slug or custom domain another page has (409, case
does not matter for a host name), on create and on update."""

from __future__ import annotations

import pytest

CASES = [
    ({"slug": "Acme"}, 422, "slug"),
    ({"slug": "-acme"}, 422, "slug"),
    ({"slug": "a" * 64}, 422, "slug"),
    ({"slug": "acme_eu"}, 422, "slug"),
    ({"name": ""}, 422, "name"),
    ({"custom_domain": "status"}, 422, "custom_domain"),
    ({"custom_domain": "status..example.com"}, 422, "custom_domain"),
    ({"custom_domain": "https://status.example.com"}, 422, "custom_domain"),
    ({"accent_color": "red"}, 422, "accent_color"),
    ({"accent_color": "#12345"}, 422, "accent_color"),
    ({"logo_url": "https://example.com/logo.png"}, 400, "logo_url"),  # read-only: PUT …/logo
    ({"timezone": "Mars/Olympus"}, 422, "timezone"),
    ({"password": "short"}, 422, "password"),
    ({"published": "yes"}, 400, "published"),
    ({"theme": "dark"}, 400, "theme"),
    ({"metadata": {"k": 1}}, 400, "metadata.k"),
]


@pytest.mark.parametrize("given, status, param", CASES, ids=[f"{case[2]}-{index}" for index, case in enumerate(CASES)])
async def test_it_names_the_bad_param(api, given, status, param):
    answer_status, _, answer = await api.request("POST", "/api/status-pages",
                                                 json={"name": "Acme", "slug": "acme", **given})
    assert answer_status == status, answer
    assert (answer["error"]["type"], answer["error"]["param"]) == ("invalid_request_error", param)
    # the same rules on update
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Ok", "slug": "ok"})
    answer_status, _, answer = await api.request("PATCH", f"/api/status-pages/{page['id']}", json=given)
    assert (answer_status, answer["error"]["param"]) == (status, param), answer


async def test_a_slug_and_a_custom_domain_name_one_page(api):
    status, _, first = await api.request("POST", "/api/status-pages", json={
        "name": "Acme", "slug": "acme", "custom_domain": "status.acme.example"})
    assert status == 201, first
    for body, param in (({"slug": "acme"}, "slug"),
                        ({"slug": "other", "custom_domain": "STATUS.acme.example"}, "custom_domain")):
        status, _, answer = await api.request("POST", "/api/status-pages", json={"name": "Other", **body})
        assert status == 409, answer
        assert (answer["error"]["code"], answer["error"]["param"]) == (f"{param}_taken", param)
        assert first["id"] in answer["error"]["message"]

    _, _, second = await api.request("POST", "/api/status-pages", json={"name": "Two", "slug": "two"})
    status, _, answer = await api.request("PATCH", f"/api/status-pages/{second['id']}", json={"slug": "acme"})
    assert (status, answer["error"]["param"]) == (409, "slug")
    # a page keeps its own slug and domain: no conflict with itself
    status, _, same = await api.request("PATCH", f"/api/status-pages/{first['id']}", json={
        "slug": "acme", "custom_domain": "status.acme.example", "name": "Acme Inc"})
    assert status == 200 and same["name"] == "Acme Inc", same
    # a domain let go is free again
    await api.request("PATCH", f"/api/status-pages/{first['id']}", json={"custom_domain": None})
    status, _, taken = await api.request("PATCH", f"/api/status-pages/{second['id']}", json={
        "custom_domain": "status.acme.example"})
    assert status == 200 and taken["custom_domain"] == "status.acme.example", taken
