"""Idempotency-Key on POST: the first answer is replayed (same status, same body,
`Idempotent-Replayed: true`) instead of running twice; other parameters or
another token get 409 idempotency_error; of concurrent requests with one key
exactly one runs; keys outlive a restart and expire after 24 hours; 5xx and
refused input are not kept, so a retry can succeed."""

from __future__ import annotations

import msgspec

import asyncio

from upstatd.api import idempotency
from upstatd.clock import FakeClock
from upstatd.store import tokens as token_store

NOW = 1_800_000_000
BODY = {"name": "deploy", "permissions": {"monitors": ["read"]}}


def key_header(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def token_names(api) -> list[str]:
    _, _, page = await api.request("GET", "/api/tokens?limit=100")
    return [token["name"] for token in page["data"]]


async def test_a_retry_gets_the_first_answer_and_runs_nothing(api):
    status, headers, first = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-1"))
    assert status == 201 and "Idempotent-Replayed" not in headers
    # the same request, its JSON keys in another order and spaced differently
    status, headers, again = await api.request(
        "POST", "/api/tokens", data=b'{ "permissions": {"monitors": ["read"]},  "name": "deploy" }',
        headers={**key_header("k-1"), "Content-Type": "application/json"})
    assert status == 201 and headers["Idempotent-Replayed"] == "true"
    # the same token, nothing ran twice; its secret was shown once, in the first answer
    assert first["secret"].startswith("upst_")
    assert again == {**first, "secret": None}
    assert headers["Request-Id"] != first.get("request_id") and headers["Request-Id"].startswith("req_")
    assert (await token_names(api)).count("deploy") == 1
    # without a key, the same body makes another token
    status, _, other = await api.request("POST", "/api/tokens", json=BODY)
    assert status == 201 and other["id"] != first["id"]


async def test_the_stored_answer_holds_no_usable_secret(api):
    _, _, made = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("sealed"))
    rows = await api.daemon.read_db.execute_fetchall(
        "SELECT status, body FROM idempotency_keys WHERE key = 'sealed'")
    assert rows[0][0] == 201
    assert made["secret"].encode() not in bytes(rows[0][1])
    assert msgspec.json.decode(bytes(rows[0][1]))["id"] == made["id"]


async def test_other_parameters_with_the_same_key_are_a_409(api):
    await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-2"))
    for method, path, body in (("POST", "/api/tokens", {**BODY, "name": "other"}),
                               ("POST", "/api/tokens?x=1", BODY)):
        status, headers, answer = await api.request(method, path, json=body, headers=key_header("k-2"))
        assert status == 409, answer
        error = answer["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "idempotency_error", "idempotency_key_reused", "Idempotency-Key")
        assert "other parameters" in error["message"] and error["request_id"] == headers["Request-Id"]
    _, _, made = await api.request("POST", "/api/tokens", json=BODY)
    status, _, answer = await api.request("POST", f"/api/tokens/{made['id']}/revoke", headers=key_header("k-2"))
    assert status == 409 and answer["error"]["code"] == "idempotency_key_reused"
    assert (await token_names(api)).count("other") == 0


async def test_a_key_belongs_to_the_token_that_sent_it_first(api):
    first = await api.make_token("tokens:*,monitors:read")
    second = await api.make_token("tokens:*,monitors:read")
    status, _, _ = await api.request("POST", "/api/tokens", token=first, json=BODY, headers=key_header("k-3"))
    assert status == 201
    status, headers, answer = await api.request("POST", "/api/tokens", token=second, json=BODY,
                                                headers=key_header("k-3"))
    assert status == 409 and "Idempotent-Replayed" not in headers
    assert (answer["error"]["type"], answer["error"]["code"]) == ("idempotency_error", "idempotency_key_other_token")
    assert "another API token" in answer["error"]["message"]
    assert (await token_names(api)).count("deploy") == 1


async def test_of_concurrent_requests_with_one_key_exactly_one_runs(api):
    answers = await asyncio.gather(*(
        api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-race")) for _ in range(10)))
    ran = [body for status, headers, body in answers if status == 201 and "Idempotent-Replayed" not in headers]
    replayed = [body for status, headers, body in answers if status == 201 and "Idempotent-Replayed" in headers]
    waiting = [body for status, _, body in answers if status == 409]
    assert len(ran) == 1, answers
    assert len(ran) + len(replayed) + len(waiting) == 10
    assert all(body == {**ran[0], "secret": None} for body in replayed)
    assert all(body["error"]["code"] == "idempotency_key_in_progress" and "still in progress" in
               body["error"]["message"] for body in waiting)
    assert (await token_names(api)).count("deploy") == 1
    # once it has finished, everyone gets the replay
    status, headers, body = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-race"))
    assert (status, headers["Idempotent-Replayed"], body) == (201, "true", {**ran[0], "secret": None})


async def test_error_answers_are_kept_but_refused_input_and_server_errors_are_not(api, monkeypatch):
    # 404: the endpoint ran and answered; the retry gets the same answer
    path = "/api/tokens/tok_0000000000000000000000/revoke"
    status, _, first = await api.request("POST", path, headers=key_header("k-404"))
    assert status == 404
    status, headers, again = await api.request("POST", path, headers=key_header("k-404"))
    assert (status, headers["Idempotent-Replayed"], again) == (404, "true", first)

    # 400: nothing ran; the corrected request may use the same key
    status, _, _ = await api.request("POST", "/api/tokens", json={"name": "deploy"}, headers=key_header("k-400"))
    assert status == 400
    status, headers, _ = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-400"))
    assert status == 201 and "Idempotent-Replayed" not in headers

    # 500: the key is let go, so the retry runs (and can succeed)
    real_create = token_store.create

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(token_store, "create", broken)
    status, _, answer = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-500"))
    assert status == 500 and answer["error"]["type"] == "api_error"
    monkeypatch.setattr(token_store, "create", real_create)
    status, headers, _ = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-500"))
    assert status == 201 and "Idempotent-Replayed" not in headers


async def test_keys_are_checked_and_only_post_uses_them(api):
    status, _, answer = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k" * 256))
    assert status == 400 and answer["error"]["param"] == "Idempotency-Key"
    status, _, _ = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k" * 255))
    assert status == 201
    status, _, answer = await api.request("POST", "/api/tokens", json=BODY, headers=key_header(" "))
    assert status == 400 and answer["error"]["param"] == "Idempotency-Key"
    for _ in range(2):
        status, headers, _ = await api.request("GET", "/api/tokens", headers=key_header("k-get"))
        assert status == 200 and "Idempotent-Replayed" not in headers
    rows = await api.daemon.read_db.execute_fetchall("SELECT count(*) FROM idempotency_keys WHERE key = 'k-get'")
    assert rows[0][0] == 0


async def test_keys_expire_after_24_hours(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-day"))
    api.clock.advance(24 * 3600 - 1)
    status, _, _ = await api.request("POST", "/api/tokens", json={**BODY, "name": "later"},
                                     headers=key_header("k-day"))
    assert status == 409
    api.clock.advance(1)
    status, headers, made = await api.request("POST", "/api/tokens", json={**BODY, "name": "later"},
                                              headers=key_header("k-day"))
    assert status == 201 and "Idempotent-Replayed" not in headers and made["name"] == "later"
    rows = await api.daemon.read_db.execute_fetchall("SELECT count(*) FROM idempotency_keys")
    assert rows[0][0] == 1  # the expired row went when the key was claimed again


async def stopped(daemon) -> None:
    """Stop a daemon the start_api fixture would stop again at teardown."""
    await daemon.stop()

    async def already_stopped() -> None:
        return None

    daemon.stop = already_stopped


async def test_keys_survive_a_restart(start_api):
    api = await start_api()
    status, _, first = await api.request("POST", "/api/tokens", json=BODY, headers=key_header("k-restart"))
    assert status == 201
    await stopped(api.daemon)

    again = await start_api(f'storage: {{path: "{api.db_path}"}}')
    assert again.admin_token == api.admin_token
    status, headers, replayed = await again.request("POST", "/api/tokens", json=BODY,
                                                    headers=key_header("k-restart"))
    assert (status, headers["Idempotent-Replayed"], replayed) == (201, "true", {**first, "secret": None})
    status, _, answer = await again.request("POST", "/api/tokens", json={**BODY, "name": "x"},
                                            headers=key_header("k-restart"))
    assert status == 409 and answer["error"]["code"] == "idempotency_key_reused"


async def test_a_request_cut_off_by_a_crash_does_not_hold_its_key_forever(start_api):
    api = await start_api()
    token_id = (await api.daemon.read_db.execute_fetchall("SELECT id FROM tokens"))[0][0]
    hashed = idempotency.request_hash("POST", "/api/tokens", b'{"name":"deploy","permissions":{"monitors":["read"]}}')
    # as a daemon that died mid-request leaves it: claimed, never finished
    await api.daemon.writer.run(lambda conn: conn.execute(
        "INSERT INTO idempotency_keys (key, token_id, request_hash, status, body, created_at) "
        "VALUES ('k-crash', ?, ?, NULL, NULL, ?)", (token_id, hashed, api.daemon.api.now_ms() - 60_000)))
    await stopped(api.daemon)
    again = await start_api(f'storage: {{path: "{api.db_path}"}}')
    status, headers, made = await again.request("POST", "/api/tokens", json=BODY, headers=key_header("k-crash"))
    assert status == 201 and "Idempotent-Replayed" not in headers and made["name"] == "deploy"
