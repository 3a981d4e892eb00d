"""A person or on-call schedule that owns a service cannot be deleted: 409
naming the service (as for one an escalation policy names), until the service
has another owner."""

from __future__ import annotations

import servicekit
from servicekit import SERVICES, make, seed

start_api = servicekit.start_api


async def test_it_refuses_to_delete_a_person_or_schedule_that_owns_a_service(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    payments = await make(api, "Payments", owner={"type": "user", "id": "usr_bob"})
    search = await make(api, "Search", owner={"type": "schedule", "id": "sch_ops"})

    for path, code, service in (("/api/people/usr_bob", "person_in_use", payments),
                                ("/api/on-call/sch_ops", "schedule_in_use", search)):
        status, _, answer = await api.request("DELETE", path)
        assert status == 409 and answer["error"]["code"] == code, answer
        assert f"{service['id']} ({service['name']})" in answer["error"]["message"]

    for service in (payments, search):
        status, _, _ = await api.request("PATCH", f"{SERVICES}/{service['id']}", json={"owner": None})
        assert status == 200
    for path in ("/api/people/usr_bob", "/api/on-call/sch_ops"):
        status, _, answer = await api.request("DELETE", path)
        assert status == 204, answer
