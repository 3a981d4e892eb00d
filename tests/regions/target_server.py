"""A probe target for the namespace lab: `python target_server.py HOST PORT` answers every
HTTP request with 200 "ok" (`/status/<code>` with that code), one request per connection,
and prints "listening" once bound. Standard library only, so it starts in ~30 ms."""

from __future__ import annotations

import asyncio
import re
import sys

MAX_HEAD = 16 * 1024


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
        writer.close()
        return
    match = re.match(rb"[A-Z]+ /status/(\d{3})[ ?]", head)
    code = int(match.group(1)) if match else 200
    body = b"ok\n" if code < 400 else b"failing on purpose\n"
    writer.write(b"HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n%s" % (code, len(body), body))
    try:
        await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main(host: str, port: int) -> None:
    server = await asyncio.start_server(answer, host, port, limit=MAX_HEAD, reuse_address=True)
    print("listening", host, port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
