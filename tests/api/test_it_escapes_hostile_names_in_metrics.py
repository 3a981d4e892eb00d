"""A monitor's name is whatever the API was given: quotes, backslashes, newlines and
braces come out of /metrics escaped, and prometheus-client's parser reads the name
back exactly, without a sample of another name appearing."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from loopback import closed_port

HOSTILE = 'evil "name" \\ back\\slash\nnew line} upstatd_monitor_up{key="x"} 1 \\n #'


async def test_it_escapes_label_values(start_api):
    api = await start_api("metrics: {enabled: true}")
    status, _, made = await api.request("POST", "/api/monitors", json={
        "name": HOSTILE, "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "interval_seconds": 3600})
    assert status == 201, made
    async with api.session.get(api.url + "/metrics") as response:
        text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    ups = families["upstatd_monitor_up"].samples
    assert [(sample.labels, sample.value) for sample in ups] == [
        ({"key": made["id"], "name": HOSTILE, "type": "tcp"}, 0.0)]
    states = families["upstatd_monitor_state"].samples
    assert {sample.labels["name"] for sample in states} == {HOSTILE} and len(states) == 4
    assert all(line.startswith(("#", "upstatd_")) for line in text.splitlines())
