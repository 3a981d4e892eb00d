"""Headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools
protocol on loopback, with aiohttp's websocket client: no driver to install.

    async with Browser(tmp_path) as browser:
        loaded = await browser.load("http://127.0.0.1:8080/status/shop", width=360, height=800)
        loaded.requests      # every URL the page asked for, the page's own included
        loaded.problems      # console errors, uncaught exceptions, log entries of level error
        loaded.scroll_width, loaded.inner_width, loaded.png
        loaded.text          # what the visitor reads (document.body.innerText)

`make test` installs chromium when it is missing (the Makefile's `browser`).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# without the background-networking flags Chromium dials Google's hosts at every start
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio")


class Loaded(NamedTuple):
    requests: list[str]
    problems: list[str]
    scroll_width: int
    inner_width: int
    png: bytes
    text: str = ""


class Browser:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.session: aiohttp.ClientSession | None = None
        self.port = 0

    async def __aenter__(self) -> Browser:
        profile = self.workdir / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = await asyncio.wait_for(asyncio.to_thread(self._devtools_port), 30)
        self.session = aiohttp.ClientSession()
        return self

    def _devtools_port(self) -> int:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                return int(match.group(1))
        raise RuntimeError(f"chromium exited with {self.process.wait()} before DevTools listened")

    async def __aexit__(self, *exc: Any) -> None:
        if self.session is not None:
            await self.session.close()
        if self.process is not None:
            self.process.terminate()
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), 10)
            except TimeoutError:
                self.process.kill()

    async def load(self, url: str, *, width: int, height: int, timeout: float = 30, dark: bool = False) -> Loaded:
        """`dark`: as a visitor whose system asks for a dark theme (prefers-color-scheme)."""
        assert self.session is not None
        async with self.session.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as answer:
            target = await answer.json()
        requests: list[str] = []
        problems: list[str] = []
        ids = itertools.count(1)
        async with self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=64 * 2**20) as ws:
            waiting: dict[int, asyncio.Future] = {}
            loaded = asyncio.get_running_loop().create_future()

            async def read() -> None:
                async for message in ws:
                    data = json.loads(message.data)
                    if "id" in data and data["id"] in waiting:
                        waiting.pop(data["id"]).set_result(data)
                        continue
                    method, params = data.get("method"), data.get("params", {})
                    if method == "Network.requestWillBeSent":
                        requests.append(params["request"]["url"])
                    elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                        problems.append("console: " + " ".join(str(arg.get("value", arg.get("description")))
                                                               for arg in params["args"]))
                    elif method == "Runtime.exceptionThrown":
                        problems.append("exception: " + params["exceptionDetails"].get("text", ""))
                    elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                        problems.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
                    elif method == "Page.loadEventFired" and not loaded.done():
                        loaded.set_result(None)

            async def send(method: str, **params: Any) -> dict:
                number = next(ids)
                waiting[number] = asyncio.get_running_loop().create_future()
                await ws.send_json({"id": number, "method": method, "params": params})
                answer = await asyncio.wait_for(waiting[number], timeout)
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

            reader = asyncio.create_task(read())
            try:
                for domain in ("Network", "Runtime", "Log", "Page"):
                    await send(f"{domain}.enable")
                await send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                           mobile=width < 600)
                if dark:
                    await send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme",
                                                                         "value": "dark"}])
                await send("Page.navigate", url=url)
                await asyncio.wait_for(loaded, timeout)
                measured = await send("Runtime.evaluate", returnByValue=True, expression=(
                    "[document.documentElement.scrollWidth, window.innerWidth]"))
                scroll_width, inner_width = measured["result"]["value"]
                read = await send("Runtime.evaluate", returnByValue=True, expression="document.body.innerText")
                shot = await send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            finally:
                reader.cancel()
        return Loaded(requests, problems, scroll_width, inner_width, base64.b64decode(shot["data"]),
                      read["result"]["value"])
