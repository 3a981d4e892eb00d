"""GET /api/heartbeats/{id}/pings and /pings/{n}/body: pings sent to the real
ping URLs over loopback, listed newest first with every field exact, filtered
by kind, rid and creation time, paged by png_ cursors; bodies come back as
received (text/plain when UTF-8, application/octet-stream otherwise, cut at
pings.body_limit)."""

from __future__ import annotations

import pytest

from upstatd.clock import FakeClock
from upstatd.ids import seq_id

NOW = 1_800_000_000
RID = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
OTHER_RID = "0f8fad5b-d9cb-469f-a165-70867728950e"


async def ping(api, url: str, method: str = "GET", data: bytes | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with api.session.request(method, url, data=data, headers=headers) as response:
        return response.status, await response.text()


async def body_of(api, path: str) -> tuple[int, str, bytes, dict]:
    """-> (status, Content-Type, raw body, headers) of a ping body (the admin token)."""
    async with api.session.get(api.url + path, headers={"Authorization": f"Bearer {api.admin_token}"}) as response:
        return response.status, response.headers.get("Content-Type"), await response.read(), response.headers


async def make(api, **fields) -> dict:
    status, _, made = await api.request("POST", "/api/heartbeats", json={"period_seconds": 3600, **fields})
    assert status == 201, made
    return made


async def ping_seqs(api, heartbeat_id: str) -> list[int]:
    rows = await api.daemon.read_db.execute_fetchall(
        "SELECT p.seq FROM pings AS p JOIN heartbeats AS h ON h.seq = p.heartbeat_seq WHERE h.id = ? "
        "ORDER BY p.n", (heartbeat_id,))
    return [row[0] for row in rows]


@pytest.fixture
async def api(start_api):
    return await start_api("pings: {body_limit: 16}", clock=FakeClock(wall=NOW))


async def test_it_lists_pings_newest_first_with_every_field(api):
    made = await make(api, slug="job", methods="post")
    url = made["ping_url"]
    agent = {"User-Agent": "backup.sh/1.0"}
    assert await ping(api, url + "/start?rid=" + RID.upper(), "POST", headers=agent) == (200, "OK")
    api.clock.advance(42.25)
    assert await ping(api, url + f"/0?rid={RID}", "POST", b"dumped 12 tables", agent) == (200, "OK")
    api.clock.advance(0.5)
    assert await ping(api, url + "/log", "POST", b"x" * 40, agent) == (200, "OK")
    assert await ping(api, url + "/3", "POST", headers={"User-Agent": "u" * 300}) == (200, "OK")
    assert await ping(api, url + "/fail", "POST") == (200, "OK")
    assert await ping(api, url, "GET") == (200, "OK")          # POST only: ignored
    assert await ping(api, made["slug_url"], "POST") == (200, "OK")
    seqs = await ping_seqs(api, made["id"])
    assert len(seqs) == 7

    status, _, listed = await api.request("GET", f"/api/heartbeats/{made['id']}/pings")
    assert status == 200, listed
    assert (listed["object"], listed["has_more"], listed["url"]) == (
        "list", False, f"/api/heartbeats/{made['id']}/pings")
    base = {"object": "ping", "heartbeat_id": made["id"], "exit_status": None, "rid": None,
            "duration_seconds": None, "method": "POST", "remote_addr": "127.0.0.1", "body_size": 0,
            "scheme": "http"}
    later = NOW + 42.75

    def at(seconds: float) -> dict:  # whole seconds, and the milliseconds beside them
        return {"created_at": int(seconds), "created_at_ms": round(seconds * 1000)}

    expected = [
        base | at(later) | {"n": 7, "kind": "success"},
        base | at(later) | {"n": 6, "kind": "ignored", "method": "GET"},
        base | at(later) | {"n": 5, "kind": "fail"},
        base | at(later) | {"n": 4, "kind": "fail", "exit_status": 3, "user_agent": "u" * 200},
        base | at(later) | {"n": 3, "kind": "log", "user_agent": "backup.sh/1.0", "body_size": 40},
        base | at(NOW + 42.25) | {"n": 2, "kind": "success", "exit_status": 0, "rid": RID,
                                  "duration_seconds": 42.25, "user_agent": "backup.sh/1.0", "body_size": 16},
        base | at(NOW) | {"n": 1, "kind": "start", "rid": RID, "user_agent": "backup.sh/1.0"},
    ]
    for item, seq in zip(expected, reversed(seqs)):
        item["id"] = seq_id("png", seq)
        item.setdefault("user_agent", listed["data"][0]["user_agent"])  # aiohttp's own
    assert listed["data"] == expected
    assert listed["data"][0]["user_agent"].startswith("Python/")
    assert list(listed["data"][0]) == ["id", "object", "heartbeat_id", "n", "created_at", "created_at_ms", "kind",
                                       "exit_status",
                                       "rid", "duration_seconds", "method", "remote_addr", "user_agent",
                                       "body_size", "scheme"]
    # The heartbeat shows the run's duration and the last ping.
    _, _, fetched = await api.request("GET", f"/api/heartbeats/{made['id']}")
    assert (fetched["last_duration_seconds"], fetched["last_ping_at"]) == (42.25, NOW + 42)


async def test_it_filters_and_pages_pings(api):
    made = await make(api, slug="job")
    other = await make(api, slug="other")
    for index in range(30):  # ten seconds apart; every third one a log, every fifth with a rid
        suffix = "/log" if index % 3 == 0 else ""
        rid = f"?rid={RID if index % 2 else OTHER_RID}" if index % 5 == 0 else ""
        assert await ping(api, made["ping_url"] + suffix + rid) == (200, "OK")
        api.clock.advance(10)
    assert await ping(api, other["ping_url"]) == (200, "OK")
    ids = [seq_id("png", seq) for seq in await ping_seqs(api, made["id"])]
    foreign = seq_id("png", (await ping_seqs(api, other["id"]))[0])
    path = f"/api/heartbeats/{made['id']}/pings"

    async def listed(query: str) -> tuple[list[str], bool]:
        status, _, body = await api.request("GET", f"{path}?{query}")
        assert status == 200, (query, body)
        assert body["url"] == path and all(item["heartbeat_id"] == made["id"] for item in body["data"])
        return [item["id"] for item in body["data"]], body["has_more"]

    assert await listed("") == (ids[::-1][:10], True)                        # newest first, 10
    assert await listed("limit=100") == (ids[::-1], False)
    assert await listed(f"limit=5&starting_after={ids[20]}") == (ids[15:20][::-1], True)
    assert await listed(f"limit=5&ending_before={ids[20]}") == (ids[21:26][::-1], True)
    assert await listed(f"limit=5&ending_before={ids[26]}") == (ids[27:30][::-1], False)
    assert await listed(f"limit=100&starting_after={ids[3]}") == (ids[:3][::-1], False)
    logs = [ids[index] for index in range(30) if index % 3 == 0]
    assert await listed("kind=log&limit=100") == (logs[::-1], False)
    assert await listed("kind=success&limit=2") == ([ids[29], ids[28]], True)
    assert await listed("kind=fail") == ([], False)
    assert await listed(f"rid={RID.upper()}") == ([ids[25], ids[15], ids[5]], False)  # any case
    assert await listed(f"rid={OTHER_RID}&kind=log") == ([ids[0]], False)             # 0 and 15 are logs, 15 has RID
    # created_gte / created_lte: Unix seconds, both inclusive
    assert await listed(f"created_gte={NOW + 250}&created_lte={NOW + 270}") == ([ids[27], ids[26], ids[25]], False)
    assert await listed(f"created_lte={NOW + 10}") == ([ids[1], ids[0]], False)
    assert await listed(f"created_gte={NOW + 290}") == ([ids[29]], False)
    assert await listed(f"created_gte={NOW + 250}&kind=log&limit=100") == ([ids[27]], False)
    # walking all of it backward from the oldest, page by page
    walked, cursor = [], ids[0]
    while True:
        page, more = await listed(f"limit=4&ending_before={cursor}")
        walked = page + walked
        if not more:
            break
        cursor = page[0]
    assert walked == ids[1:][::-1]

    for query, param in (("kind=ping", "kind"), ("limit=101", "limit"), ("limit=0", "limit"),
                         ("created_lte=soon", "created_lte"),
                         (f"created_gte={NOW}&created_lte={NOW - 1}", "created_lte"),
                         ("created_gte=9223372036854775807", "created_gte"),
                         ("created_lte=-9223372036854775808", "created_lte"),
                         (f"starting_after={foreign}", "starting_after"),   # another heartbeat's ping
                         ("ending_before=hbt_x", "ending_before"), ("starting_after=png_", "starting_after"),
                         ("starting_after=png_!!", "starting_after"),
                         ("starting_after=png_" + "z" * 20, "starting_after"),  # beyond any integer
                         (f"starting_after={ids[1]}&ending_before={ids[2]}", "ending_before"),
                         ("kind=log&kind=success", "kind"), ("state=up", "state")):
        status, _, body = await api.request("GET", f"{path}?{query}")
        out_of_bounds = query.startswith(("limit=", "created_gte=9", "created_lte=-"))  # msgspec.Meta: 422
        assert (status, body["error"]["param"]) == (422 if out_of_bounds else 400, param), (query, body)
    status, _, body = await api.request("GET", "/api/heartbeats/hbt_nothing/pings")
    assert (status, body["error"]["code"], body["error"]["param"]) == (404, "resource_missing", "id")


async def test_it_lists_no_pings_of_a_new_heartbeat(api):
    made = await make(api)
    status, _, listed = await api.request("GET", f"/api/heartbeats/{made['id']}/pings")
    assert (status, listed) == (200, {"object": "list", "data": [], "has_more": False,
                                      "url": f"/api/heartbeats/{made['id']}/pings"})


async def test_it_serves_ping_bodies_as_received(api):
    made = await make(api, slug="job")
    url = made["ping_url"]
    text = "héllo wörld\n".encode()                  # 14 bytes of UTF-8, within the limit of 16
    assert await ping(api, url, "POST", text) == (200, "OK")                              # 1
    assert await ping(api, url + "/fail", "POST", b"\xff\xfe\x00binary") == (200, "OK")   # 2
    assert await ping(api, url + "/log", "POST", b"0123456789abcdefXYZ") == (200, "OK")  # 3: cut at 16
    assert await ping(api, url, "POST", ("a" * 15 + "é!").encode()) == (200, "OK")       # 4: cut inside é
    assert await ping(api, url) == (200, "OK")                                            # 5: no body
    assert await ping(api, url, "POST", b"") == (200, "OK")                               # 6: empty
    path = f"/api/heartbeats/{made['id']}/pings"

    status, content_type, body, headers = await body_of(api, f"{path}/1/body")
    assert (status, content_type, body) == (200, "text/plain; charset=utf-8", text)
    assert headers["Request-Id"].startswith("req_") and headers["Cache-Control"] == "no-store"
    status, content_type, body, _ = await body_of(api, f"{path}/2/body")
    assert (status, content_type, body) == (200, "application/octet-stream", b"\xff\xfe\x00binary")
    status, content_type, body, _ = await body_of(api, f"{path}/3/body")
    assert (status, content_type, body) == (200, "text/plain; charset=utf-8", b"0123456789abcdef")
    # Text cut at the limit in the middle of a character is still text.
    status, content_type, body, _ = await body_of(api, f"{path}/4/body")
    assert (status, content_type, body) == (200, "text/plain; charset=utf-8", b"a" * 15 + b"\xc3")
    _, _, listed = await api.request("GET", f"{path}?limit=100")
    assert [item["body_size"] for item in listed["data"]] == [0, 0, 18, 19, 9, 14]

    for n in ("5", "6"):
        status, _, answer = await api.request("GET", f"{path}/{n}/body")
        assert (status, answer["error"]["code"], answer["error"]["param"]) == (404, "resource_missing", "n")
        assert f"ping {n} " in answer["error"]["message"] and "no body" in answer["error"]["message"]
    for n in ("7", "0", "999999999999999999"):
        status, _, answer = await api.request("GET", f"{path}/{n}/body")
        assert (status, answer["error"]["param"]) == (404, "n"), answer
        assert f"no ping number {n}" in answer["error"]["message"]
    for n in ("abc", "-1", "1.0", "%D9%A1", "%C2%B2", "1" * 19):  # not a number: Arabic-Indic one, superscript two
        status, _, answer = await api.request("GET", f"{path}/{n}/body")
        assert (status, answer["error"]["code"], answer["error"]["param"]) == (400, "parameter_invalid", "n"), n
    status, _, answer = await api.request("GET", "/api/heartbeats/hbt_nothing/pings/1/body")
    assert (status, answer["error"]["param"]) == (404, "id")

    # Another heartbeat's ping number 1 is its own.
    other = await make(api, slug="other")
    assert await ping(api, other["ping_url"], "POST", b"other") == (200, "OK")
    assert (await body_of(api, f"/api/heartbeats/{other['id']}/pings/1/body"))[2] == b"other"
    assert (await body_of(api, f"{path}/1/body"))[2] == text

    # Deleted with its heartbeat.
    await api.request("DELETE", f"/api/heartbeats/{other['id']}")
    status, _, answer = await api.request("GET", f"/api/heartbeats/{other['id']}/pings/1/body")
    assert (status, answer["error"]["param"]) == (404, "id")
