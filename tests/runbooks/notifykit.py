"""The runbooks in alerts, for the tests of notifications and of the runbook page:
a daemon (tests/api/conftest.py's `start_api`) with a TCP monitor `postgres`
that belongs to the service postgres (svc_pg), and a runbook linked to that
service (rbk_pg, five steps), its alerts going to the channels given
(alertkit's loopback peers: `smtp`, `receiver`).

The service and the runbook are written into the state file before the daemon
starts on it (catalogrows, runbookrows); the YAML monitor names the service by
its id (`service: svc_pg`). Import the fixtures from here in a test module
(`from notifykit import start_api, smtp, receiver  # noqa: F401`)."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from catalogrows import add_service
from runbookrows import add_runbook

_spec = importlib.util.spec_from_file_location(
    "upstatd_tests_api_conftest_runbook_notify", Path(__file__).parent.parent / "api" / "conftest.py")
_api_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_conftest)  # puts tests/alerts on sys.path too
start_api = _api_conftest.start_api

from alertkit import (Receiver, email_channel, facts, pagerduty, receiver, smtp,  # noqa: E402,F401  (fixtures)
                      webhook_channel)
from loopback import closed_port, eventually  # noqa: E402,F401

PUBLIC = "https://status.example.com/upstat"
TITLE = "Postgres is down"
STEPS = ["Check the disk: df -h /var/lib/postgresql", "Look at the log: journalctl -u postgresql -n 100",
         "Restart it: systemctl restart postgresql", "Fail over to the replica", "Tell #ops what you did"]
BODY = textwrap.dedent("""\
    # When postgres is down

    The **api** and **web** fail with it. See [the dashboard](https://grafana.example.com/d/pg).

    <script>alert("raw html")</script>
    [click me](javascript:alert(1)) and <img src=x onerror=alert(2)>
    """)
LINK = re.compile(re.escape(PUBLIC) + r"/runbooks/rbk_pg\?t=[A-Za-z0-9_-]+")


def apprise_channel(rx: Receiver) -> str:
    return f'type: apprise, apprise: {{url: "json://127.0.0.1:{rx.port}/alerts"}}'


@dataclass
class Postgres:
    api: object            # tests/api/conftest.py's Api
    port: int              # the monitor's target
    monitor_id: str
    target: asyncio.AbstractServer | None

    async def fail(self) -> None:
        self.target.close()
        await self.target.wait_closed()
        self.target = None

    async def recover(self) -> None:
        self.target = await _listen(self.port)

    def close(self) -> None:
        if self.target is not None:
            self.target.close()

    def local(self, link: str) -> str:
        """A link of an alert, on the daemon under test (the public URL is the proxy's)."""
        return link.replace(PUBLIC, self.api.url)

    async def incident_id(self) -> str:
        status, _, found = await self.api.request("GET", "/api/incidents")
        assert status == 200, found
        return found["data"][0]["id"]


async def _listen(port: int) -> asyncio.AbstractServer:
    return await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)


async def postgres(start_api, tmp_path: Path, channels: dict[str, str], public_url: str | None = PUBLIC,
                   steps: list[str] = STEPS, body: str = BODY, clock=None, interval: str = "1s") -> Postgres:
    """The daemon with the postgres monitor up (its target listening), in svc_pg with rbk_pg,
    alerting every channel of `channels` (key -> alertkit's channel YAML); `clock`: the
    daemon's (a FakeClock), `interval`: the monitor's."""
    port = closed_port()
    target = await _listen(port)
    state = tmp_path / "notify-state.db"
    yaml = ("alert_channels:\n" + "".join(f"  - {{key: {key}, {channel}}}\n" for key, channel in channels.items())
            + f"defaults: {{alert_channels: [{', '.join(channels)}]}}\n"
            + f'storage: {{path: "{state}"}}\n'
            + textwrap.dedent(f"""\
                monitors:
                  - key: postgres
                    name: postgres
                    type: tcp
                    url: "tcp://127.0.0.1:{port}"
                    interval: {interval}
                    confirmation: {{failures: 1, successes: 1, recheck: 1s}}
                    service: svc_pg
                """))
    server = f'public_url: "{public_url}"' if public_url else ""
    add_service(str(state), "svc_pg", "postgres")
    add_runbook(str(state), "rbk_pg", TITLE, steps, linked_to=("svc_pg",), body=body)
    api = await start_api(yaml, server=server, clock=clock)
    status, _, monitors = await api.request("GET", "/api/monitors")
    assert status == 200, monitors
    [monitor_id] = [m["id"] for m in monitors["data"]]
    return Postgres(api, port, monitor_id, target)
