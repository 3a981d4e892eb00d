"""The Response protocol's bounds, fed directly: head, body, decoded body, bytes on the wire."""

import asyncio
import zlib

import pytest

from upstatd.probes.http import MAX_BODY, MAX_HEAD, MAX_WIRE, Response
from upstatd.probes.result import ProbeError


class Transport:
    def __init__(self):
        self.paused = False

    def pause_reading(self):
        self.paused = True

    def abort(self):
        pass


def feed(response: Response, data: bytes, piece: int = 64 * 1024) -> int:
    """Feeds until the response stops reading; returns the bytes it was given."""
    given = 0
    for start in range(0, len(data), piece):
        if response.transport.paused:
            break
        response.data_received(data[start:start + piece])
        given += len(data[start:start + piece])
    return given


def response(keep_body: bool = False) -> Response:
    r = Response(asyncio.get_running_loop(), head=False, keep_body=keep_body)
    r.connection_made(Transport())
    return r


async def test_a_huge_header_line_stops_at_the_head_limit():
    r = response()
    given = feed(r, b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * (4 * MAX_HEAD))
    assert given <= MAX_HEAD + 64 * 1024
    with pytest.raises(ProbeError) as caught:
        r.headers_done.result()
    assert (caught.value.kind, caught.value.message) == ("invalid_response", "response headers larger than 64 KiB")


async def test_an_endless_stream_of_1xx_answers_counts_as_head():
    r = response()
    feed(r, b"HTTP/1.1 100 Continue\r\n\r\n" * (MAX_HEAD // 10))
    assert r.transport.paused and isinstance(r.headers_done.exception(), ProbeError)


async def test_an_endless_trailer_stops_at_the_wire_limit():
    r = response()
    given = feed(r, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: "
                 + b"t" * (2 * MAX_WIRE))
    assert r.headers_done.result() == 200 and r.complete.done() and r.truncated
    assert MAX_WIRE < given <= MAX_WIRE + 64 * 1024


async def test_tiny_chunks_stop_at_the_wire_limit_even_below_the_body_cap():
    r = response(keep_body=True)
    given = feed(r, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1\r\nx\r\n" * (MAX_WIRE // 5))
    assert r.complete.done() and r.truncated and len(r.body) < MAX_BODY
    assert given <= MAX_WIRE + 64 * 1024


async def test_a_deflate_body_dripped_a_byte_at_a_time():
    body = zlib.compress(b"dripping deflate " * 100)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n" % len(body)
    r = response(keep_body=True)
    feed(r, head + body, piece=1)
    assert r.complete.done() and bytes(r.body) == b"dripping deflate " * 100 and r.body_error is None
