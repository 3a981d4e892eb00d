"""Records of the standard library's `logging` (aiohttp, asyncio) come out as
the same JSON lines as upstatd's own: a real daemon, a real bad request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from logkit import send_bad_request, wait_for_line
from test_it_runs_the_daemon import DaemonProcess, config_text, free_port, notify_socket  # noqa: F401


async def test_it_logs_aiohttp_errors_as_json_lines(tmp_path, notify_socket, monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    sock, sock_path = notify_socket
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(config_text(port, tmp_path / "upstatd.db", {}))
    daemon = DaemonProcess(config, sock, sock_path, tmp_path / "daemon.log")
    try:
        await daemon.start()
        assert (await send_bad_request(port)).startswith(b"HTTP/1.0 400 ")
        lines = await wait_for_line(daemon.log, "aiohttp.server")
        assert await daemon.stop() == 0
    finally:
        if daemon.proc and daemon.proc.returncode is None:
            daemon.proc.kill()
            await daemon.proc.wait()

    records = [json.loads(line) for line in lines]  # every line, the traceback too, is one JSON object
    own = next(record for record in records if record["event"] == "daemon.started")
    library = next(record for record in records if record.get("logger") == "aiohttp.server")
    assert library["event"] == "Error handling request from 127.0.0.1"
    assert library["level"] == "error"
    assert "BadHttpMessage" in library["exception"] and library["exception"].startswith("Traceback")
    # The same shape and clock as upstatd's own lines.
    assert {"event", "level", "timestamp"} <= own.keys() & library.keys()
    assert library["timestamp"].endswith("Z") and len(library["timestamp"]) == len(own["timestamp"])


def test_it_logs_asyncio_errors_as_json_lines_and_drops_library_chatter():
    script = """if True:
        import asyncio, gc, logging
        from upstatd import log
        log.setup("info")

        async def fails():
            raise RuntimeError("nobody awaited this")

        async def main():
            task = asyncio.ensure_future(fails())
            await asyncio.sleep(0)
            del task
            gc.collect()  # asyncio logs "Task exception was never retrieved"

        asyncio.run(main())
        logging.getLogger("aiohttp.access").info("chatter below warning")
        logging.getLogger("aiohttp.client").warning("a library warning %s", "formatted")
    """
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"})
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(r["logger"], r["level"]) for r in records] == [("asyncio", "error"), ("aiohttp.client", "warning")]
    assert records[0]["event"].startswith("Task exception was never retrieved\n")
    assert "RuntimeError: nobody awaited this" in records[0]["exception"]
    assert records[1]["event"] == "a library warning formatted"
