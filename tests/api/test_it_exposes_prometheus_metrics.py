"""GET /metrics on the real daemon: the text format parses with prometheus-client's
own parser, every family has HELP and TYPE, and the values are those /healthz and
the API answer (a loopback TCP monitor up, one down with its incident open, a
heartbeat pinged). No URL in the output."""

from __future__ import annotations

import asyncio
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from loopback import closed_port

MONITOR_FAMILIES = {"upstatd_monitor_up", "upstatd_monitor_state", "upstatd_probe_duration_seconds",
                    "upstatd_probe_phase_duration_seconds", "upstatd_monitor_cert_expiry_timestamp_seconds"}


def parse(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict, name: str, **labels) -> float:
    """The one sample of `name` whose labels include `labels`."""
    found = [sample.value for sample in families[name].samples
             if all(sample.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, found)
    return found[0]


async def until(predicate, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.fixture
async def listening():
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_it_answers_what_healthz_and_the_api_say(start_api, listening):
    down_port = closed_port()
    api = await start_api(f"""
        monitors:
          - key: db-up
            name: Database
            type: tcp
            url: tcp://127.0.0.1:{listening}
            interval: 1s
            confirmation: {{failures: 1, successes: 1}}
          - key: db-down
            type: tcp
            url: tcp://127.0.0.1:{down_port}
            interval: 1s
            severity: major
            confirmation: {{failures: 1, successes: 1}}
        heartbeats:
          - key: backup
            period: 1h
        metrics: {{enabled: true}}
        """)

    async def settled():
        _, _, listed = await api.request("GET", "/api/monitors?limit=100")
        states = {item["key"]: item["current_state"] for item in listed["data"]}
        return listed["data"] if states == {"db-up": "up", "db-down": "down"} else None
    monitors = {item["key"]: item for item in await until(settled)}
    for item in monitors.values():  # paused: the last check and the state stay as they are now
        status, _, _ = await api.request("POST", f"/api/monitors/{item['id']}/pause")
        assert status == 200
    _, _, beats = await api.request("GET", "/api/heartbeats")
    beat = beats["data"][0]
    async with api.session.get(beat["ping_url"]) as response:
        assert response.status == 200

    async def incident_open():
        _, _, listed = await api.request("GET", "/api/incidents?status=open")
        return listed["data"]
    incidents = await until(incident_open)
    await api.daemon.writer.flush()

    _, _, before = await api.request("GET", "/healthz", token=None)
    async with api.session.get(api.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = await response.text()
    _, _, after = await api.request("GET", "/healthz", token=None)
    families = parse(text)

    # Every family has HELP and TYPE, written before its samples.
    for name, family in families.items():
        exposed = name + "_total" if family.type == "counter" else name
        assert f"# HELP {exposed} " in text and f"# TYPE {exposed} {family.type}\n" in text, name
        assert family.documentation and family.type in ("gauge", "counter"), name
    assert MONITOR_FAMILIES <= set(families)
    assert "127.0.0.1" not in text and "tcp://" not in text  # no URL labels

    # The monitors: state, up, the last check's duration and phases as /status reads them.
    assert value(families, "upstatd_monitor_up", key="db-up") == 1
    assert value(families, "upstatd_monitor_up", key="db-down") == 0
    assert {s.labels["state"]: s.value for s in families["upstatd_monitor_state"].samples
            if s.labels["key"] == "db-down"} == {"pending": 0, "up": 0, "degraded": 0, "down": 1}
    assert value(families, "upstatd_monitor_state", key="db-up", state="up") == 1
    assert {s.labels["name"] for s in families["upstatd_monitor_up"].samples} == {"Database", "db-down"}
    assert {s.labels["type"] for s in families["upstatd_monitor_up"].samples} == {"tcp"}
    for key, item in monitors.items():
        _, _, status = await api.request("GET", f"/api/monitors/{item['id']}/status")
        last = status["last_check"]
        assert value(families, "upstatd_probe_duration_seconds", key=key) == pytest.approx(
            last["latency_ms"] / 1000, abs=1e-9)
        phases = {s.labels["phase"]: s.value for s in families["upstatd_probe_phase_duration_seconds"].samples
                  if s.labels["key"] == key}
        expected = {name[:-3]: ms / 1000 for name, ms in last["phases"].items() if ms is not None}
        assert phases == pytest.approx(expected, abs=1e-9) and phases, key
    assert families["upstatd_monitor_cert_expiry_timestamp_seconds"].samples == []  # no TLS here

    # The heartbeat, pinged once.
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{beat['id']}")
    assert value(families, "upstatd_heartbeat_up", key="backup", type="period") == 1
    assert value(families, "upstatd_heartbeat_state", key="backup", state="up") == 1
    assert value(families, "upstatd_heartbeat_last_ping_timestamp_seconds", key="backup") == pytest.approx(
        fetched["last_ping_at"], abs=1)

    # Incidents open, by severity: the API's count.
    assert value(families, "upstatd_incidents_open", severity="major") == len(incidents) == 1
    assert value(families, "upstatd_incidents_open", severity="critical") == 0

    # The counters of /healthz: between the answers before and after the scrape.
    def between(metric: str, path: tuple[str, ...], **labels):
        low, high = before, after
        for part in path:
            low, high = low[part], high[part]
        assert low <= value(families, metric, **labels) <= high, metric
    assert value(families, "upstatd_monitors") == before["monitors"] == 2
    assert value(families, "upstatd_heartbeats") == before["heartbeats"] == 1
    between("upstatd_scheduler_timers_due", ("scheduler", "due"))
    between("upstatd_scheduler_launched", ("scheduler", "launched"))
    for reason in ("late", "busy", "capacity"):
        between("upstatd_scheduler_skipped", ("scheduler", f"skipped_{reason}"), reason=reason)
    for name in ("rows_written", "commits", "jobs", "dropped"):
        between(f"upstatd_store_{name}", ("store", name))
    assert value(families, "upstatd_store_failing") == int(before["store"]["failing"]) == 0
    for kind in ("webhooks", "alerts"):
        assert value(families, "upstatd_delivery_consumers", kind=kind) == before["delivery"][kind]["consumers"]
        assert value(families, "upstatd_delivery_consumers_failing", kind=kind) == \
            before["delivery"][kind]["failing"]
    assert value(families, "upstatd_api_connections_open") >= 1  # this scrape's own connection
    between("upstatd_api_connections_refused", ("api", "connections_refused"))
    assert value(families, "upstatd_build", version=before["version"]) == 1
    assert re.search(r"^upstatd_scheduler_lateness_p99_seconds \S+$", text, re.M)


async def test_it_is_not_served_unless_enabled(start_api):
    api = await start_api()
    async with api.session.get(api.url + "/metrics") as response:
        assert response.status == 404
