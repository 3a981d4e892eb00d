"""A monitor probed from several regions shows, on its status page entry, each region and
its public state (small text under the row, no script), and the page's summary.json lists
them under the resource; a region whose agents are all down shows no data; a monitor the
daemon alone probes shows none."""

from __future__ import annotations

from regionkit import elapse, monitor, pull, push, result, start_regions
from upstatd.clock import FakeClock

NOW = 1_800_000_000.0
MONITORS = """
monitors:
  - {key: shop, type: tcp, url: "tcp://127.0.0.1:9", regions: [eu, us, ap], interval: 10s,
     confirmation: {failures: 1}}
  - {key: plain, type: tcp, url: "tcp://127.0.0.1:9", interval: 1h}
"""


async def test_the_page_and_its_summary_show_each_regions_state(start_api):
    api = await start_regions(start_api, MONITORS, clock=FakeClock(wall=NOW))
    shop, plain = (await monitor(api, "shop"))["id"], (await monitor(api, "plain"))["id"]
    for agent, ok in (("eu", True), ("us", False), ("ap", True)):
        await pull(api, agent)
        answer = await push(api, agent, [result(1, shop, ok, NOW)])
        assert answer["accepted"] == 1
    status, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Example Shop", "slug": "shop", "published": True})
    assert status == 201, page
    for monitor_id, name in ((shop, "Website"), (plain, "Backend")):
        status, _, shown = await api.request("POST", f"/api/status-pages/{page['id']}/resources", json={
            "monitor_id": monitor_id, "public_name": name})
        assert status == 201, shown

    async with api.session.get(f"{api.url}/status/shop/summary.json") as response:
        assert response.status == 200
        summary = await response.json()
    (section,) = summary["sections"]
    website, backend = section["resources"]
    assert (website["name"], website["state"]) == ("Website", "operational")  # 2 of 3 up: the quorum
    assert website["regions"] == [{"name": "eu", "state": "operational"}, {"name": "us", "state": "down"},
                                  {"name": "ap", "state": "operational"}]
    assert backend["regions"] == []

    async with api.session.get(f"{api.url}/status/shop") as response:
        assert response.status == 200
        html = await response.text()
    assert ('<p class="regions"><span>eu: Operational</span><span>us: Down</span>'
            '<span>ap: Operational</span></p>') in html
    assert html.count('class="regions"') == 1 and "<script" not in html

    # us-1 goes silent while eu and ap keep pushing; the page is made again after its 30 s
    await elapse(api, 31, ("eu", "ap"))
    async with api.session.get(f"{api.url}/status/shop/summary.json") as response:
        summary = await response.json()
    website = summary["sections"][0]["resources"][0]
    assert website["regions"] == [{"name": "eu", "state": "operational"}, {"name": "us", "state": "unknown"},
                                  {"name": "ap", "state": "operational"}]
