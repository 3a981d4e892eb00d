"""For the tests of escalation at run time (the daemon and the loopback peers:
conftest.py): people, a schedule and a policy seeded in the state file before
the daemon starts on it (rowskit: their own API is another part's).

The team: Anna on call (a one-person weekly layer), Bob, and the manager, each
reached by an email channel of the config of their own (`anna@example.com`, ...).
The policy (the default: every monitor takes it): the on-call person at once,
Bob 10 minutes later, the manager 20 minutes after that."""

from __future__ import annotations

import asyncio

from loopback import closed_port, eventually
from rowskit import add_person, add_policy, add_schedule
from upstatd.clock import FakeClock

NOW = 1_800_000_000
PEOPLE = {"usr_anna": ("Anna Berzina", "anna"), "usr_bob": ("Bob", "bob"), "usr_boss": ("The Manager", "boss")}
STEPS = [{"wait_seconds": 0, "targets": [{"type": "current_on_call", "id": "sch_ops"}]},
         {"wait_seconds": 600, "targets": [{"type": "user", "id": "usr_bob"}]},
         {"wait_seconds": 1200, "targets": [{"type": "user", "id": "usr_boss"}]}]


def seed(path: str, steps: list[dict] = STEPS, default: bool = True) -> None:
    for user, (name, mailbox) in PEOPLE.items():
        add_person(path, user, name, [{"channel": f"{mailbox}-mail"}])
    add_schedule(path, "sch_ops", "Ops", [{"users": ["usr_anna"], "starts_at": "2020-01-03T10:00",
                                           "length": "weekly"}])
    add_policy(path, "esc_team", "Team", steps, is_default=default)


def config(smtp, port: int, path: str, more: str = "") -> str:
    """A TCP monitor that fails (PORT is closed), a webhook alert channel for the subject (hook,
    the default) and each person's email channel; MORE appended (webhooks:)."""
    mails = "".join(
        f"  - {{key: {mailbox}-mail, type: email, email: {{host: 127.0.0.1, port: {smtp.port}, security: none, "
        f"from: upstatd@example.com, to: [{mailbox}@example.com]}}}}\n" for _, mailbox in PEOPLE.values())
    return (f'storage: {{path: "{path}"}}\n'
            "alert_channels:\n  - {key: hook, type: webhook, webhook: {url: \"http://127.0.0.1:9/hook\"}}\n"
            f"{mails}defaults: {{alert_channels: [hook]}}\n"
            "monitors:\n"
            f"  - {{key: db, type: tcp, url: \"tcp://127.0.0.1:{port}\", interval: 1h, "
            "confirmation: {failures: 1}}\n" + more)


def paged(smtp, reason: str = "ESCALATED") -> list[str]:
    """Who was mailed for REASON (the subject's tag), in order: anna, bob, boss."""
    return [mail.recipients[0].split("@")[0] for mail in smtp.mails
            if mail.message["Subject"].startswith(f"[{reason}]")]


async def tick(api, seconds: float) -> None:
    """Move the daemon's clock on, and let what came due run (the wheel ticks in real time)."""
    api.clock.advance(seconds)
    await asyncio.sleep(0.05)
    await api.daemon.writer.flush()


async def settle(seconds: float = 0.3) -> None:
    """Real time for what would wrongly fire (there is no event to wait for when nothing does)."""
    await asyncio.sleep(seconds)


async def armed(api, incident_id: str) -> None:
    """Once its step timer is on the wheel (armed just after the commit): a FakeClock moved
    before it would leave the step due at an instant the clock never passes again."""
    await eventually(lambda: api.daemon.escalations.timers.when(incident_id) is not None, timeout=10)


async def first_probe(api, escalating: bool = True) -> dict:
    """The monitor's first probe fails: its incident opens (and, `escalating`, its step
    timer is armed). Returns the incident."""
    monitors = api.daemon.monitors
    due = monitors.slots.when("db")
    api.clock.advance(max(0.0, due - api.clock.monotonic()) + api.daemon.runner.wheel.tick)
    await eventually(lambda: monitors.monitors["db"].state.state == "down", timeout=10)
    await api.daemon.writer.flush()
    _, _, page = await api.request("GET", "/api/incidents")
    incident = page["data"][0]
    if escalating:
        await armed(api, incident["id"])
    return incident


async def timeline(api, incident_id: str) -> list[str]:
    """The escalation entries of its timeline, oldest first."""
    _, _, page = await api.request("GET", f"/api/incidents/{incident_id}/updates?limit=100")
    return [entry["message"] for entry in reversed(page["data"]) if entry["kind"] == "escalated"]


async def paging(start_api, path: str, smtp) -> tuple:
    """The team seeded in PATH, the daemon started on it, its monitor's incident open and
    the on-call person (Anna) paged by step 1. Returns (api, incident)."""
    seed(path)
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    incident = await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["anna"], timeout=10)
    return api, incident
