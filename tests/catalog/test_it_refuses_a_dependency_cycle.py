"""Acceptance (issue 17): a dependency that would make a cycle is refused naming
the cycle. Over the API, web -> api -> postgres from the config file, and a new
edge postgres -> web (an API edge on a service of the file is still refused:
the cycle is the whole graph's) or an API service's own loop: 422 with code
`dependency_cycle`, param `depends_on_id`, and the path by names and ids; the
graph is left as it was, and no service.updated event is written."""

from __future__ import annotations

import servicekit
from servicekit import CATALOG, SERVICES, by_key, events, make, seed

start_api = servicekit.start_api


async def test_it_refuses_the_edge_that_closes_a_cycle_naming_it(start_api, tmp_path):
    api = await start_api(seed(tmp_path) + CATALOG)
    catalog = await by_key(api)
    web, service, postgres = (catalog[key]["id"] for key in ("web", "api", "postgres"))
    updates = len(events(api.db_path, "service.updated"))

    status, _, answer = await api.request("POST", f"{SERVICES}/{postgres}/dependencies", json={"depends_on_id": web})
    assert status == 422, answer
    error = answer["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "dependency_cycle",
                                                              "depends_on_id")
    assert error["message"] == (f"depends_on_id: {web} would make a cycle: PostgreSQL ({postgres}) -> Web shop ({web}) "
                                f"-> Public API ({service}) -> PostgreSQL ({postgres})")
    assert (await by_key(api))["postgres"]["depends_on"] == []
    assert len(events(api.db_path, "service.updated")) == updates


async def test_it_refuses_a_cycle_among_services_made_over_the_api(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    queue = await make(api, "Queue")
    worker = await make(api, "Worker", depends_on=[queue["id"]])
    for service, target, path in ((queue["id"], worker["id"], f"Queue ({queue['id']}) -> Worker ({worker['id']}) -> "
                                                              f"Queue ({queue['id']})"),
                                  (queue["id"], queue["id"], f"Queue ({queue['id']}) -> Queue ({queue['id']})")):
        status, _, answer = await api.request("POST", f"{SERVICES}/{service}/dependencies",
                                              json={"depends_on_id": target})
        assert status == 422 and answer["error"]["code"] == "dependency_cycle", answer
        assert answer["error"]["message"].endswith(f"would make a cycle: {path}")
    status, _, fine = await api.request("POST", f"{SERVICES}/{worker['id']}/dependencies",
                                        json={"depends_on_id": queue["id"]})
    assert status == 201 and fine["depends_on"] == [queue["id"]]   # already there: nothing changes
