"""keyword, keyword_absent, regex, json on the (decoded) body; gzip and deflate; the size cap."""

import functools
import gzip
import json
import resource
import time
import zlib

import pytest

from loopback import endless_body, respond
from upstatd.probes import run_probe
from upstatd.probes.http import MAX_BODY, exchange
from upstatd.probes.result import Phases


def answer(body: bytes, status: str = "200 OK", **headers: str) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    return head.encode() + b"\r\n" + body


HEALTH = json.dumps({"status": "degraded", "checks": [{"name": "db", "ok": True}, {"name": "disk", "ok": False}],
                     "version": 3, "ratio": 0.5, "error": None}).encode()


async def probe_body(raw_server, http_target, raw: bytes, **options):
    server = await raw_server(respond(raw))
    result = await run_probe("http", http_target(server.url("/health"), **options), 2)
    return result, server


# -- keyword, keyword_absent, regex ----------------------------------------------------------

async def test_a_keyword_found(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(b"all systems healthy"), keyword="healthy")
    assert (result.outcome, result.status_code) == ("up", 200)


async def test_a_keyword_missing(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(HEALTH), keyword='"status": "ok"')
    assert (result.ok, result.error_kind, result.status_code) == (False, "keyword_missing", 200)
    assert result.error_message == f"""body does not contain '"status": "ok"'; it starts with '{HEALTH.decode()[:79]}…'"""


async def test_a_keyword_in_an_empty_body(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(b""), keyword="ok")
    assert result.error_message == "body does not contain 'ok'; it is empty"


async def test_keyword_absent(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(b"all good\nno error here"), keyword_absent="error")
    assert (result.error_kind, result.error_message) == ("keyword_missing", "body contains 'error': 'all good no error here'")
    long = b"x" * 100 + b" FATAL: disk full " + b"y" * 100
    result, _ = await probe_body(raw_server, http_target, answer(long), keyword_absent="FATAL")
    assert result.error_message == f"body contains 'FATAL': '…{'x' * 29} FATAL: disk full {'y' * 18}…'"
    result, _ = await probe_body(raw_server, http_target, answer(b"fine"), keyword_absent="error")
    assert result.outcome == "up"


async def test_a_regex(raw_server, http_target):
    body = answer(b"<p>up 12 days, load 0.4</p>")
    result, _ = await probe_body(raw_server, http_target, body, regex=r"up \d+ days")
    assert result.outcome == "up"
    result, _ = await probe_body(raw_server, http_target, body, regex=r"load 0\.[0-3]\b")
    assert (result.error_kind, result.error_message) == (
        "keyword_missing", r"body does not match the regex 'load 0\.[0-3]\b'; it starts with '<p>up 12 days, load 0.4</p>'")


async def test_the_body_is_decoded_with_its_charset(raw_server, http_target):
    body = answer("café crème".encode("latin-1"), Content_Type="text/plain; charset=ISO-8859-1")
    result, _ = await probe_body(raw_server, http_target, body, keyword="crème")
    assert result.outcome == "up"


async def test_a_wrong_status_wins_over_the_body(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(b"oops", "503 Unavailable"), keyword="healthy")
    assert (result.error_kind, result.error_message) == ("status_code", "status 503, expected 2xx")


async def test_a_chunked_body_is_checked_whole(web, http_target):
    result = await run_probe("http", http_target(web.url("/chunked"), regex="^x{3000}$"), 2)
    assert result.outcome == "up"


# -- json ------------------------------------------------------------------------------------

JSON_CASES = [
    ([{"path": "$.status", "equals": "degraded"}], None),
    ([{"path": "$.version", "equals": 3.0}], None),                          # 3 == 3.0
    ([{"path": "$.checks[1].ok", "equals": False}, {"path": "$.checks[-1].name", "equals": "disk"}], None),
    ([{"path": "$.error", "equals": None}, {"path": "$.error", "exists": True}], None),
    ([{"path": "$.checks[0]", "equals": {"ok": True, "name": "db"}}], None),
    ([{"path": "$.missing", "exists": False}], None),
    ([{"path": "$.status", "equals": "ok"}], '$.status is "degraded", expected "ok"'),
    ([{"path": "$.status", "not_equals": "degraded"}], '$.status is "degraded", expected anything but "degraded"'),
    ([{"path": "$.checks[0].ok", "equals": 1}], "$.checks[0].ok is true, expected 1"),   # true is not 1
    ([{"path": "$.version", "equals": "3"}], '$.version is 3, expected "3"'),
    ([{"path": "$.checks[2].ok", "equals": True}], "$.checks[2].ok not found, expected true"),
    ([{"path": "$.status.code", "exists": True}], "$.status.code not found"),
    ([{"path": "$.uptime", "not_equals": 0}], "$.uptime not found"),
    ([{"path": "$.checks", "exists": False}],
     '$.checks is present ([{"name":"db","ok":true},{"name":"disk","ok":false}]), expected it absent'),
    ([{"path": "$.status", "equals": "degraded"}, {"path": "$.ratio", "equals": 1}], "$.ratio is 0.5, expected 1"),
]


@pytest.mark.parametrize("checks, message", JSON_CASES)
async def test_json_assertions(raw_server, http_target, checks, message):
    result, _ = await probe_body(raw_server, http_target, answer(HEALTH, Content_Type="application/json"), json=checks)
    if message is None:
        assert (result.outcome, result.error_kind) == ("up", None)
    else:
        assert (result.outcome, result.error_kind, result.error_message) == ("down", "keyword_missing", message)


@pytest.mark.parametrize("body, message", [
    (b"<html>oops</html>", "body is not JSON: invalid character (byte 0)"),
    (b'{"status": "ok"', "body is not JSON: input data was truncated"),
    (b"", "body is not JSON: it is empty"),
    (b"[" * 200_000 + b"]" * 200_000, "body is not JSON upstatd can read: nested too deeply"),
])
async def test_a_body_that_is_not_json(raw_server, http_target, body, message):
    result, _ = await probe_body(raw_server, http_target, answer(body), json=[{"path": "$.status", "equals": "ok"}])
    assert (result.error_kind, result.error_message) == ("keyword_missing", message)


async def test_json_cut_off_by_the_size_cap(web, http_target):
    result = await run_probe("http", http_target(web.url("/big/2"), json=[{"path": "$", "exists": True}]), 5)
    assert (result.error_kind, result.error_message) == ("keyword_missing", "body is not JSON: cut off at the 1 MiB limit")


# -- compression ---------------------------------------------------------------------------------

def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),   # as the RFC says: zlib-wrapped
    ("deflate", raw_deflate),     # as some servers send it
], ids=["gzip", "x-gzip", "deflate", "raw deflate"])
async def test_compressed_bodies_are_decoded(raw_server, http_target, encoding, encode):
    body = answer(encode(HEALTH), Content_Encoding=encoding)
    result, server = await probe_body(raw_server, http_target, body, keyword='"status": "degraded"',
                                      json=[{"path": "$.checks[1].name", "equals": "disk"}])
    assert (result.outcome, result.error_kind) == ("up", None)
    assert b"\r\nAccept-Encoding: gzip, deflate\r\n" in server.requests[0]


async def test_a_corrupt_gzip_body_is_an_invalid_response(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(b"not gzip at all", Content_Encoding="gzip"),
                                 keyword="x")
    assert (result.error_kind, result.error_message) == (
        "invalid_response", "could not decode the gzip body: incorrect header check")


async def test_an_encoding_it_cannot_decode(raw_server, http_target):
    result, _ = await probe_body(raw_server, http_target, answer(b"\x0b\x02\x80ok\x03", Content_Encoding="br"),
                                 keyword="ok", headers={"Accept-Encoding": "br"})
    assert (result.error_kind, result.error_message) == (
        "invalid_response", "cannot decode a body with Content-Encoding 'br' (upstatd decodes gzip and deflate)")


async def test_without_assertions_nothing_is_asked_for_nor_kept(raw_server, http_target):
    server = await raw_server(respond(answer(HEALTH)))
    target = http_target(server.url("/"))
    response = await exchange(target, Phases())
    assert (response.status, response.received, len(response.body)) == (200, len(HEALTH), 0)
    assert b"Accept-Encoding" not in server.requests[0]
    target = http_target(server.url("/"), keyword="x")
    response = await exchange(target, Phases())
    assert bytes(response.body) == HEALTH


@functools.cache
def gzip_bomb() -> bytes:
    """100 MiB of ASCII zeros, gzipped (~100 KiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"0" * (1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(100)) + compressor.flush()


async def test_a_gzip_bomb_stops_at_the_cap(raw_server, http_target):
    bomb = gzip_bomb()
    assert len(bomb) < 200_000
    server = await raw_server(respond(answer(bomb, Content_Encoding="gzip"), then_close=False))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = await exchange(http_target(server.url("/"), keyword="needle"), Phases())
    assert (len(response.body), response.truncated) == (MAX_BODY, True)
    assert response.received <= len(bomb)  # what one read brought; only ~1 KiB of it got decompressed
    result = await run_probe("http", http_target(server.url("/"), keyword="needle"), 2)
    assert (result.error_kind, result.error_message) == (
        "keyword_missing", f"body does not contain 'needle' in its first 1 MiB; it starts with '{'0' * 79}…'")
    assert time.perf_counter() - started < 1
    # ru_maxrss is in KiB; 100 MiB decoded would have raised the peak by that much
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 20 * 1024
    await server.all_ended()


async def test_an_endless_body_is_checked_up_to_the_cap(raw_server, http_target):
    server = await raw_server(endless_body)
    result = await run_probe("http", http_target(server.url("/"), keyword="needle"), 2)
    assert (result.error_kind, result.error_message) == (
        "keyword_missing", f"body does not contain 'needle' in its first 1 MiB; it starts with '{'e' * 79}…'")
    result = await run_probe("http", http_target(server.url("/"), keyword="eee"), 2)
    assert result.outcome == "up"
    await server.all_ended()
