"""Reading the daemon's log lines, and making aiohttp log one of its own."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path


async def send_bad_request(port: int) -> bytes:
    """A header line without a colon: aiohttp answers 400 and logs an error
    (with a traceback) through the standard library's `logging`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n")
    try:
        return await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()


async def wait_for_line(log: Path, text: str, timeout: float = 5) -> list[str]:
    """The log's lines once one of them contains `text`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if any(text in line for line in lines):
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError(f"no line with {text!r} in:\n{log.read_text()}")
