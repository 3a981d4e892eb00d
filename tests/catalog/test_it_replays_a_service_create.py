"""The catalog's POSTs keep the API's conventions: a create sent again with
the same Idempotency-Key gets the first answer (Idempotent-Replayed: true) and
makes no second service; another body under that key is a 409; every answer
carries Upstat-Version."""

from __future__ import annotations

import servicekit
from servicekit import SERVICES, by_key, seed

start_api = servicekit.start_api


async def test_a_create_sent_again_is_replayed(start_api, tmp_path):
    api = await start_api(seed(tmp_path))
    key = {"Idempotency-Key": "make-payments-1"}
    status, headers, first = await api.request("POST", SERVICES, json={"name": "Payments"}, headers=key)
    assert status == 201 and "Upstat-Version" in headers
    status, headers, again = await api.request("POST", SERVICES, json={"name": "Payments"}, headers=key)
    assert (status, headers.get("Idempotent-Replayed"), again) == (201, "true", first)
    assert list(await by_key(api)) == ["Payments"]
    status, _, refused = await api.request("POST", SERVICES, json={"name": "Billing"}, headers=key)
    assert status == 409 and refused["error"]["type"] == "idempotency_error", refused
