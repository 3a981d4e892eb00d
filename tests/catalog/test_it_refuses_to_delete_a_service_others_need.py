"""Acceptance (issue 17): deleting a service with dependents is refused naming
them. postgres is needed by two services made over the API (and has a
monitor): the delete answers 409 `service_in_use` naming each by name and
id, and the service stays; once they no longer need it, it is deleted (204),
its members left in no service."""

from __future__ import annotations

import servicekit
from servicekit import SERVICES, make, seed

start_api = servicekit.start_api


async def test_it_refuses_naming_the_dependents_then_deletes_once_free(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    postgres = await make(api, "PostgreSQL")
    billing = await make(api, "Billing", depends_on=[postgres["id"]])
    search = await make(api, "Search", depends_on=[postgres["id"]])
    status, _, monitor = await api.request("POST", "/api/monitors", json={
        "type": "tcp", "url": "tcp://127.0.0.1:9", "service_id": postgres["id"]})
    assert status == 201 and monitor["service_id"] == postgres["id"], monitor

    status, _, answer = await api.request("DELETE", f"{SERVICES}/{postgres['id']}")
    assert status == 409, answer
    error = answer["error"]
    assert (error["code"], error["param"]) == ("service_in_use", "id")
    assert error["message"] == (f"service {postgres['id']} (PostgreSQL) is needed by Billing ({billing['id']}), "
                                f"Search ({search['id']}): remove their dependencies on it first")
    status, _, kept = await api.request("GET", f"{SERVICES}/{postgres['id']}")
    assert status == 200 and sorted(kept["dependents"]) == sorted([billing["id"], search["id"]])

    for dependent in (billing, search):
        status, _, _ = await api.request("DELETE", f"{SERVICES}/{dependent['id']}/dependencies/{postgres['id']}")
        assert status == 204
    status, _, _ = await api.request("DELETE", f"{SERVICES}/{postgres['id']}")
    assert status == 204
    status, _, monitor = await api.request("GET", f"/api/monitors/{monitor['id']}")
    assert monitor["service_id"] is None
