"""GET /api/incidents/{id} shows the runbooks of the incident: a real probe of
an API-made monitor fails (a closed loopback port) and opens its incident; the
monitor is a member of the api service (made with its service_id), which needs
postgres: the monitor's own runbook comes first, then postgres's (via its
svc_ id), each with its steps numbered and none done, and an unrelated runbook
is not shown. The list of incidents does not carry runbooks."""

from __future__ import annotations

from catalogrows import add_service
import runbookkit
from runbookkit import failing_monitor, incident_of, make_runbook
from upstatd.clock import FakeClock

start_api = runbookkit.start_api   # the fixture: the in-process daemon
NOW = 1_800_000_000


async def test_a_dependencys_runbook_shows_on_a_members_incident(start_api, tmp_path):
    path = tmp_path / "state" / "upstatd.db"
    path.parent.mkdir()
    storage = f'storage: {{path: "{path}"}}\n'
    add_service(str(path), "svc_pg", "postgres")
    add_service(str(path), "svc_api", "api", needs=("svc_pg",))
    add_service(str(path), "svc_mail", "mail")
    api = await start_api(storage, clock=FakeClock(wall=NOW))
    monitor = await failing_monitor(api, service_id="svc_api")
    postgres = await make_runbook(api, linked_to=["svc_pg"])
    own = await make_runbook(api, title="API checks fail", steps=["Look at the api logs"], linked_to=[monitor["id"]])
    await make_runbook(api, title="Mail is down", steps=["Restart postfix"], linked_to=["svc_mail"])

    incident = await incident_of(api, monitor["id"])
    assert "runbooks" not in incident  # the list does not carry them
    status, _, shown = await api.request("GET", f"/api/incidents/{incident['id']}")
    assert status == 200, shown
    assert shown["id"] == incident["id"] and shown["status"] == "open"
    assert shown["runbooks"] == [
        {"id": own["id"], "title": "API checks fail", "version": 1, "via": monitor["id"],
         "url": f"/api/runbooks/{own['id']}", "steps": [{"number": 1, "text": "Look at the api logs", "done": None}]},
        {"id": postgres["id"], "title": "Postgres is down", "version": 1, "via": "svc_pg",
         "url": f"/api/runbooks/{postgres['id']}",
         "steps": [{"number": n, "text": text, "done": None} for n, text in enumerate(postgres["steps"], 1)]},
    ]
    status, _, followed = await api.request("GET", shown["runbooks"][1]["url"])
    assert status == 200 and followed == postgres
