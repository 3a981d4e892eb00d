"""GET /api/monitors/{id}/status and /checks on a constructed history: uptime
percentages exact (36 minutes down in 24 h is 97.5), paused time left out,
latency percentiles over the good checks of 24 h, the last check; the checks
list with its filters and cursors."""

from __future__ import annotations

import pytest

from historykit import DAY, HOUR, MIN, NOW, check_row, history, make_monitor, pct
from upstatd.clock import FakeClock
from upstatd.ids import seq_id


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_computes_uptime_from_state_changes_exactly(api):
    monitor_id, seq = await make_monitor(api)
    await history(api, seq, NOW - 40 * DAY, [
        (NOW - 40 * DAY + MIN, "pending", "up"),
        (NOW - 10 * HOUR, "up", "down"),              # 36 minutes down, 10 hours ago
        (NOW - 10 * HOUR + 36 * MIN, "down", "up"),
    ], pauses=[(NOW - 5 * DAY, NOW - 4 * DAY)])       # a day paused, 5 days ago
    status, _, body = await api.request("GET", f"/api/monitors/{monitor_id}/status")
    assert status == 200, body
    assert body["uptime_24h"] == 97.5
    assert body["uptime_7d"] == pct(7 * 1440 - 1440 - 36, 7 * 1440 - 1440)
    assert body["uptime_30d"] == pct(30 * 1440 - 1440 - 36, 30 * 1440 - 1440)
    assert (body["object"], body["monitor_id"], body["current_state"], body["since"]) == (
        "monitor_status", monitor_id, "up", NOW - 10 * HOUR + 36 * MIN)
    assert body["last_incident_at"] is None

    # Paused over the API now, two hours pass: those two hours count neither way.
    status, _, _ = await api.request("POST", f"/api/monitors/{monitor_id}/pause")
    assert status == 200
    api.clock.advance(2 * HOUR)
    _, _, body = await api.request("GET", f"/api/monitors/{monitor_id}/status")
    assert body["status"] == "paused"
    assert body["uptime_24h"] == pct(1440 - 120 - 36, 1440 - 120)


async def test_it_reports_no_uptime_before_a_first_result(api):
    monitor_id, _ = await make_monitor(api)
    _, _, body = await api.request("GET", f"/api/monitors/{monitor_id}/status")
    assert body == {
        "object": "monitor_status", "monitor_id": monitor_id, "status": "active",
        "current_state": "pending", "since": NOW, "last_check": None,
        "uptime_24h": None, "uptime_7d": None, "uptime_30d": None, "last_incident_at": None,
        "latency_24h": {"p50_ms": None, "p95_ms": None, "checks": 0}, "regions": None, "quorum": None,
    }


async def test_it_reports_latency_percentiles_and_the_last_check(api):
    monitor_id, seq = await make_monitor(api)
    await api.request("POST", f"/api/monitors/{monitor_id}/pause")  # no probes of its own
    log = api.daemon.checks
    log.add(check_row(seq, NOW - 2 * DAY, True, 1.0))      # older than 24 h: left out
    for index, latency in enumerate([37, 5, 99, 64, 12, 81, 50, 23, 95, 70] * 10):  # 100 good checks
        log.add(check_row(seq, NOW - 20 * HOUR + index * 60, True, latency + index / 100))
    log.add(check_row(seq, NOW - 60, False, 10_000, error_kind="timeout",
                               error_message="no answer within 10s (during connect)"))  # bad: left out
    last = log.add(check_row(seq, NOW - 30, True, 12.5, status_code=200, resolve_us=150,
                                      connect_us=420, details='{"peer":"127.0.0.1"}'))
    await api.daemon.writer.flush()
    _, _, body = await api.request("GET", f"/api/monitors/{monitor_id}/status")
    latencies = sorted([latency + index / 100 for index, latency in
                        enumerate([37, 5, 99, 64, 12, 81, 50, 23, 95, 70] * 10)] + [12.5])
    assert body["latency_24h"] == {"p50_ms": latencies[50], "p95_ms": latencies[95], "checks": 101}
    assert body["last_check"] == {
        "id": seq_id("chk", last), "object": "check", "monitor_id": monitor_id, "region": "local", "created_at": NOW - 30,
        "ok": True, "state": "up", "latency_ms": 12.5, "status_code": 200, "error_kind": None,
        "error_message": None,
        "phases": {"resolve_ms": 0.15, "connect_ms": 0.42, "tls_ms": None, "first_byte_ms": None,
                   "transfer_ms": None},
        "details": {"peer": "127.0.0.1"},
    }
    _, _, fetched = await api.request("GET", f"/api/monitors/{monitor_id}")
    assert fetched["last_check_at"] == NOW - 30


async def test_it_lists_checks_with_filters_and_cursors(api):
    monitor_id, seq = await make_monitor(api)
    other_id, other_seq = await make_monitor(api)
    for made in (monitor_id, other_id):
        await api.request("POST", f"/api/monitors/{made}/pause")
    log = api.daemon.checks
    seqs = [log.add(check_row(seq, NOW - 1000 + index * 10, index % 3 != 0, index + 1.0))
            for index in range(30)]  # every third one failed
    foreign = log.add(check_row(other_seq, NOW, True, 1.0))
    await api.daemon.writer.flush()
    ids = [seq_id("chk", item) for item in seqs]
    path = f"/api/monitors/{monitor_id}/checks"

    async def listed(query: str) -> tuple[list[str], bool]:
        status, _, body = await api.request("GET", f"{path}?{query}")
        assert status == 200, body
        assert body["object"] == "list" and body["url"] == path
        assert all(item["monitor_id"] == monitor_id and item["object"] == "check" for item in body["data"])
        return [item["id"] for item in body["data"]], body["has_more"]

    assert await listed("") == (ids[::-1][:10], True)                      # newest first, 10
    assert await listed(f"limit=5&starting_after={ids[20]}") == (ids[15:20][::-1], True)
    assert await listed(f"limit=5&ending_before={ids[20]}") == (ids[21:26][::-1], True)
    assert await listed(f"limit=5&ending_before={ids[26]}") == (ids[27:30][::-1], False)
    assert await listed(f"limit=100&starting_after={ids[3]}") == (ids[:3][::-1], False)
    failed = [ids[index] for index in range(30) if index % 3 == 0]
    assert await listed("ok=false&limit=100") == (failed[::-1], False)
    assert await listed("ok=true&limit=3") == ([ids[29], ids[28], ids[26]], True)
    # created_gte / created_lte: Unix seconds, both inclusive
    assert await listed(f"created_gte={NOW - 1000 + 250}&created_lte={NOW - 1000 + 270}") == (
        [ids[27], ids[26], ids[25]], False)
    assert await listed(f"created_gte={NOW - 1000 + 250}&ok=false&limit=100") == ([ids[27]], False)
    # walking all of it backward from the oldest, page by page
    walked, cursor = [], ids[0]
    while True:
        page, more = await listed(f"limit=4&ending_before={cursor}")
        walked = page + walked
        if not more:
            break
        cursor = page[0]
    assert walked == ids[1:][::-1]

    for query, param in (("ok=maybe", "ok"), ("limit=101", "limit"), ("created_lte=soon", "created_lte"),
                         (f"starting_after={seq_id('chk', foreign)}", "starting_after"),
                         ("ending_before=mon_x", "ending_before"), ("starting_after=chk_", "starting_after"),
                         (f"starting_after={ids[1]}&ending_before={ids[2]}", "ending_before"),
                         ("state=up", "state")):
        status, _, body = await api.request("GET", f"{path}?{query}")
        out_of_bounds = query.startswith("limit=")  # msgspec.Meta bounds: 422
        assert (status, body["error"]["param"]) == (422 if out_of_bounds else 400, param), (query, body)
    status, _, body = await api.request("GET", "/api/monitors/mon_nothing/checks")
    assert (status, body["error"]["param"]) == (404, "id")
