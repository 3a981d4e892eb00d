"""The kit of the catalog service tests: the in-process daemon of
tests/api/conftest.py (`start_api`, loaded under its own name: both files are
"conftest"; import the fixture into the test module), the people and schedule
that own services (written into the state file before the daemon starts, as
rowskit does for the on-call tests), the web -> api -> postgres catalog in YAML,
and small readers of the API's answers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_for_catalog", _HERE.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)
start_api = _api_conftest.start_api

sys.path.append(str(_HERE.parent / "oncall"))
from rowskit import add_person, add_schedule  # noqa: E402

LAYER = {"users": ["usr_anna"], "timezone": "UTC", "starts_at": "2026-03-06T10:00", "length": "weekly"}
SERVICES = "/api/catalog/services"

# the worked example of docs/catalog-services.md, in short: web needs api, api needs postgres
CATALOG = """\
people:
  - {key: anna, name: Anna}
services:
  web:
    name: Web shop
    owner: {user: anna}
    tier: 2
    depends_on: [api]
  api:
    name: Public API
    description: The JSON API behind the shop
    owner: {schedule: sch_ops}
    tier: 1
    links: [{title: Dashboard, url: "https://grafana.example.com/d/api"}]
    tags: [backend]
    metadata: {team: platform}
    depends_on: [postgres]
  postgres:
    name: PostgreSQL
    tier: 1
"""


def seed(tmp_path: Path) -> str:
    """Bob (usr_bob) and the `ops` schedule (sch_ops) in a fresh state file; -> its `storage:` line."""
    path = str(tmp_path / "state" / "upstatd.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    add_person(path, "usr_bob", "Bob")
    add_schedule(path, "sch_ops", "Ops", [LAYER])
    return f'storage: {{path: "{path}"}}\n'


async def by_key(api: Any) -> dict[str, dict]:
    """Every service the API lists, by config key (API ones by name)."""
    status, _, listed = await api.request("GET", f"{SERVICES}?limit=100")
    assert status == 200, listed
    return {item["key"] or item["name"]: item for item in listed["data"]}


async def make(api: Any, name: str, **fields: Any) -> dict:
    """A service made over the API (201), its answer."""
    status, _, made = await api.request("POST", SERVICES, json={"name": name, **fields})
    assert status == 201, made
    return made


async def reload(api: Any, text: str) -> None:
    """Rewrite the daemon's config file with `text` (after the server and storage lines) and reload."""
    head = "".join(line + "\n" for line in api.config_path.read_text().splitlines()
                   if line.startswith(("server:", "storage:")))
    api.config_path.write_text(head + text)
    assert await api.daemon.reload()


def events(db_path: Path, kind: str) -> list[dict]:
    """The `kind` events recorded (service.created, ...), oldest first, as their data.object."""
    import sqlite3

    import msgspec
    conn = sqlite3.connect(db_path)
    try:
        return [msgspec.json.decode(data)["object"] for data, in conn.execute(
            "SELECT data FROM events WHERE type = ? ORDER BY seq", (kind,))]
    finally:
        conn.close()
