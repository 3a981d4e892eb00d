"""`regions` on the dialects' monitors (api/dialects/regions.py): names as given, each one
the config declares (else a 422 naming regions), set on the monitor; Better Stack and
UptimeGuard show a monitor's regions as upstatd runs them."""

from __future__ import annotations

import pytest

from regionkit import monitor, start_regions
from upstatd.api.dialects import regions
from upstatd.errors import Invalid

KNOWN = ("local", "eu", "us")


@pytest.mark.parametrize("names, expected", [
    (["eu"], ["eu"]),
    (["eu", "local", "eu"], ["eu", "local"]),  # each once, in the order given
])
def test_declared_names_pass(names, expected):
    assert regions.checked(names, KNOWN) == expected


@pytest.mark.parametrize("names, words", [
    ([], "non-empty list"),
    ("eu", "non-empty list"),
    ([1], "non-empty list"),
    (["au"], "no region named 'au'; the regions are local, eu, us"),
    (["eu", "as", "au"], "no region named 'as', 'au'"),
])
def test_other_names_are_refused_naming_regions(names, words):
    with pytest.raises(Invalid) as refused:
        regions.checked(names, KNOWN)
    assert words in str(refused.value) and refused.value.param == "regions"


def test_uptimeguard_passes_them_on_as_the_monitor_bodys_field():
    assert regions.passed(["eu", "us"], KNOWN) == {"regions": ["eu", "us"]}
    assert regions.passed(regions.UNSET, KNOWN) == {}
    with pytest.raises(Invalid):
        regions.passed(["us-east-1"], KNOWN)


async def test_better_stack_and_uptimeguard_show_a_monitors_regions(start_api):
    api = await start_regions(start_api, """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us]}
  - {key: plain, type: tcp, url: "tcp://127.0.0.1:9"}
""")
    shop, plain = (await monitor(api, "shop"))["id"], (await monitor(api, "plain"))["id"]
    _, _, shown = await api.request("GET", f"/api/v2/monitors/{shop}")
    assert shown["data"]["attributes"]["regions"] == ["eu", "us"]
    _, _, shown = await api.request("GET", f"/api/v2/monitors/{plain}")
    assert shown["data"]["attributes"]["regions"] == []  # the daemon's own region only
    _, _, guarded = await api.request("GET", f"/v1/monitors/{shop}")
    assert guarded["regions"] == ["eu", "us"]
    status, _, refused = await api.request("POST", "/api/v2/monitors", json={
        "monitor_type": "status", "url": "https://example.com", "regions": ["eu", "as"]})
    assert status == 422 and list(refused["errors"]) == ["regions"], refused

    status, _, made = await api.request("POST", "/api/v2/monitors", json={
        "monitor_type": "status", "url": "https://example.com", "regions": ["eu", "us"]})
    assert status == 201, made
    _, _, ours = await api.request("GET", f"/api/monitors/{made['data']['id']}")
    assert ours["regions"] == ["eu", "us"]
    status, _, made = await api.request("POST", "/v1/monitors", json={
        "name": "api", "url": "https://example.org", "type": "https", "interval_seconds": 60, "regions": ["us"]})
    assert status == 201, made
    _, _, ours = await api.request("GET", f"/api/monitors/{made['id']}")
    assert ours["regions"] == ["us"]
