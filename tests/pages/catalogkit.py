"""A running daemon's status page over a catalog, for the tests of what a page
shows of failing dependencies: monitors made over the API and paused (nothing
probes them), then given a state straight in the database; services written with the
catalog's row kit (tests/catalog/catalogrows.py) into the daemon's state file,
monitors joining them by `service_id`."""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

from loopback import closed_port

sys.path.append(str(Path(__file__).parent.parent / "catalog"))

from catalogrows import add_service  # noqa: E402

__all__ = ["add_service", "monitor", "set_state", "make_page", "shown", "text_of", "lines_of"]


async def monitor(api, name: str, state: str, service_id: str | None = None) -> str:
    """A monitor in `state` (up, down, degraded, ...) that belongs to `service_id`; -> its id."""
    status, _, made = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": f"tcp://127.0.0.1:{closed_port()}", "name": name,
        **({} if service_id is None else {"service_id": service_id})})
    assert status == 201, made
    await api.request("POST", f"/api/monitors/{made['id']}/pause")
    await set_state(api, made["id"], state)
    return made["id"]


async def set_state(api, monitor_id: str, state: str) -> None:
    """The monitor's current state, as the daemon would have written it (active, in `state`)."""
    await api.daemon.writer.run(lambda conn: conn.execute(
        "UPDATE monitors SET status = 'active', current_state = ?, state_since = ? WHERE id = ?",
        (state, round(api.clock.time() * 1000), monitor_id)))


async def make_page(api, resources: list[tuple[str, str]], slug: str = "shop") -> dict:
    """A published page showing (monitor id, public name) in order."""
    _, _, page = await api.request("POST", "/api/status-pages", json={"name": "Shop", "slug": slug, "published": True})
    for monitor_id, name in resources:
        status, _, made = await api.request("POST", f"/api/status-pages/{page['id']}/resources",
                                            json={"monitor_id": monitor_id, "public_name": name})
        assert status == 201, made
    return page


async def shown(api, slug: str = "shop") -> tuple[str, dict, str]:
    """(the page's HTML, its summary.json, its ETag)."""
    async with api.session.get(f"{api.url}/status/{slug}") as answer:
        assert answer.status == 200
        html, etag = await answer.text(), answer.headers["ETag"]
    async with api.session.get(f"{api.url}/status/{slug}/summary.json") as answer:
        assert answer.status == 200
        return html, await answer.json(), etag


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    """The page's text as a visitor reads it, white space folded."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def lines_of(html: str, css_class: str) -> list[str]:
    """The text of each element with this class (`affected`, `cause`, `state`), in order."""
    class Found(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0
            self.found: list[str] = []

        def handle_starttag(self, tag, attrs):
            if self.depth:
                self.depth += 1
            elif css_class in (dict(attrs).get("class") or "").split():
                self.depth = 1
                self.found.append("")

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1

        def handle_data(self, data):
            if self.depth:
                self.found[-1] += data
    parser = Found()
    parser.feed(html)
    return [" ".join(found.split()) for found in parser.found]
