"""Ping bodies: kept as the bytes received up to `pings.body_limit` (default
100 KiB), with `body_size` the whole size; the limit is announced in the
`Ping-Body-Limit` header of every answer."""

from __future__ import annotations

import os

from pingkit import BACKUP, PING_KEY, UNKNOWN, SlowPost

DEFAULT_LIMIT = 100 * 1024


def last_ping(pinger, key: str = "backup") -> dict:
    return pinger.pings(key)[-1]


async def test_a_body_exactly_at_the_limit_is_kept_whole(pinger):
    body = os.urandom(DEFAULT_LIMIT)
    status, headers, text = await pinger.ping("POST", BACKUP, data=body)
    assert (status, text, headers["Ping-Body-Limit"]) == (200, "OK", str(DEFAULT_LIMIT))
    row = last_ping(pinger)
    assert (row["body_size"], row["body"]) == (DEFAULT_LIMIT, body)


async def test_a_body_over_the_limit_keeps_its_first_bytes_and_its_full_size(pinger):
    for size in (DEFAULT_LIMIT + 1, 3 * DEFAULT_LIMIT + 17, 2 * 1024 * 1024):
        body = os.urandom(size)
        status, headers, _ = await pinger.ping("POST", f"{BACKUP}/fail", data=body)
        assert status == 200 and headers["Ping-Body-Limit"] == str(DEFAULT_LIMIT)
        row = last_ping(pinger)
        assert row["kind"] == "fail"
        assert row["body_size"] == size
        assert row["body"] == body[:DEFAULT_LIMIT]


async def test_a_body_in_many_chunks_is_cut_at_the_limit(start_pinger):
    pinger = await start_pinger(f"pings: {{key: {PING_KEY}, body_limit: 1000}}")

    async def chunks():  # chunked transfer encoding, 333 bytes a chunk
        for i in range(10):
            yield bytes([65 + i]) * 333

    status, headers, _ = await pinger.ping("POST", BACKUP, data=chunks())
    assert status == 200 and headers["Ping-Body-Limit"] == "1000"
    row = last_ping(pinger)
    expected = b"".join(bytes([65 + i]) * 333 for i in range(10))
    assert (row["body_size"], row["body"]) == (3330, expected[:1000])

    # Parts that surely arrive apart: each one sent after a whole other ping's round trip.
    parts = [b"a" * 600, b"b" * 600, b"c" * 600, b"d" * 5]
    slow = await SlowPost.send(pinger.url, BACKUP + "/log", *parts)
    for _ in range(len(parts) - 1):
        assert (await pinger.ping("GET", f"{PING_KEY}/nightly-reports/log"))[0] == 200
        await slow.more()
    status, raw = await slow.finish()
    assert status == 200 and b"Ping-Body-Limit: 1000" in raw
    row = last_ping(pinger)
    assert (row["kind"], row["body_size"], row["body"]) == ("log", 1805, b"a" * 600 + b"b" * 400)


async def test_a_body_that_is_not_utf8_is_stored_as_its_bytes(pinger):
    body = b"\xff\xfe\x00 exit \x80\xc3\x28 \xed\xa0\x80 end\x00"
    assert (await pinger.ping("POST", f"{BACKUP}/1", data=body))[0] == 200
    row = last_ping(pinger)
    assert (row["body"], row["body_size"], row["exit_status"]) == (body, len(body), 1)
    assert pinger.rows("SELECT typeof(body) FROM pings")[0][0] == "blob"
    # and it comes back byte for byte over the API
    heartbeat_id = pinger.heartbeat("backup")["id"]
    async with pinger.session.get(f"{pinger.url}/api/heartbeats/{heartbeat_id}/pings/{row['n']}/body",
                                  headers={"Authorization": f"Bearer {pinger.api.admin_token}"}) as response:
        assert response.status == 200
        assert response.content_type == "application/octet-stream"
        assert await response.read() == body


async def test_utf8_text_is_kept_as_sent(pinger):
    body = "résumé ✓ — 備份完成\nrc=0\n".encode()
    assert (await pinger.ping("POST", f"{PING_KEY}/backup/0", data=body))[0] == 200
    row = last_ping(pinger)
    assert (row["body"], row["body_size"], row["kind"]) == (body, len(body), "success")


async def test_a_small_configured_limit(start_pinger):
    pinger = await start_pinger(f"pings: {{key: {PING_KEY}, body_limit: 10}}")
    cases = [(b"0123456789", b"0123456789"), (b"0123456789A", b"0123456789"),
             (b"short", b"short"), (b"x" * 5000, b"x" * 10), (b"\xe2\x9c\x93" * 4, (b"\xe2\x9c\x93" * 4)[:10])]
    for number, (sent, kept) in enumerate(cases, start=1):
        status, headers, _ = await pinger.ping("POST", f"{PING_KEY}/nightly-reports/log", data=sent)
        assert status == 200 and headers["Ping-Body-Limit"] == "10"
        rows = pinger.pings("reports")
        assert len(rows) == number
        assert (rows[-1]["body"], rows[-1]["body_size"]) == (kept, len(sent))
    # every answer carries the limit, refusals too
    for method, path in (("GET", UNKNOWN), ("GET", "nope"), ("PUT", BACKUP)):
        assert (await pinger.ping(method, path))[1]["Ping-Body-Limit"] == "10"


async def test_a_limit_of_zero_keeps_no_body_but_counts_it(start_pinger):
    pinger = await start_pinger(f"pings: {{key: {PING_KEY}, body_limit: 0}}")
    status, headers, _ = await pinger.ping("POST", BACKUP, data=b"all of this is dropped")
    assert status == 200 and headers["Ping-Body-Limit"] == "0"
    row = last_ping(pinger)
    assert (row["body"], row["body_size"]) == (None, 22)


async def test_an_empty_body_is_null_with_size_zero(pinger):
    for method, data in (("POST", b""), ("POST", None), ("GET", None), ("HEAD", None)):
        assert (await pinger.ping(method, BACKUP, data=data))[0] == 200
        row = last_ping(pinger)
        assert (row["method"], row["body"], row["body_size"]) == (method, None, 0)
    assert len(pinger.pings("backup")) == 4


async def test_a_body_sent_with_a_get_is_kept_too(pinger):
    assert (await pinger.ping("GET", f"{BACKUP}/log", data=b"logged by GET"))[0] == 200
    row = last_ping(pinger)
    assert (row["method"], row["kind"], row["body"], row["body_size"]) == ("GET", "log", b"logged by GET", 13)


async def test_a_body_to_an_unknown_or_malformed_url_is_not_stored(pinger):
    for path in (UNKNOWN, f"{BACKUP}/256", f"{PING_KEY}/nope", "not-a-uuid"):
        status, headers, _ = await pinger.ping("POST", path, data=b"x" * 1000)
        assert status in (400, 404) and headers["Ping-Body-Limit"] == str(DEFAULT_LIMIT)
    assert pinger.count("pings") == 0
