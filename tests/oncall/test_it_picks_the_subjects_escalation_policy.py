"""Which policy an incident escalates by: its monitor's `escalation_policy`
when set, else the default policy; a manual incident, the default. The
policy is chosen in the commit that opens the incident."""

from __future__ import annotations

from escalatekit import NOW, armed, config, first_probe, paged, seed, settle, tick
from loopback import closed_port, eventually
from rowskit import add_policy
from upstatd.clock import FakeClock

MANAGER_FIRST = [{"wait_seconds": 0, "targets": [{"type": "user", "id": "usr_boss"}]}]


async def test_a_monitors_own_policy_beats_the_default(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    seed(path)
    add_policy(path, "esc_db", "Database", MANAGER_FIRST)
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    await api.daemon.writer.run(lambda conn: conn.execute(  # its field is another part's: set in the row
        "UPDATE monitors SET escalation_policy = 'esc_db' WHERE key = 'db'"))
    await first_probe(api)
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["boss"], timeout=10)
    await tick(api, 3600)
    await settle()
    assert paged(smtp) == ["boss"]  # its one step; the default's never ran


async def test_a_manual_incident_takes_the_default_policy(start_api, tmp_path, smtp):
    path = str(tmp_path / "state.db")
    seed(path)
    api = await start_api(config(smtp, closed_port(), path), clock=FakeClock(wall=NOW))
    status, _, incident = await api.request("POST", "/api/incidents", json={"title": "payments are slow"})
    assert status == 201, incident
    await armed(api, incident["id"])
    await tick(api, 1)
    await eventually(lambda: paged(smtp) == ["anna"], timeout=10)
