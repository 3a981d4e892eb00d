"""/api/tokens over real HTTP against the in-process daemon: create (secret shown
once), list (pages, filter), retrieve, update (name, metadata merge), revoke and
DELETE; validation errors name their param; a token cannot grant or manage
more than it holds."""

from __future__ import annotations

import asyncio

import pytest

from upstatd import metadata
from upstatd.errors import DomainError, Invalid, Malformed
from upstatd.clock import FakeClock

NOW = 1_800_000_000  # FakeClock wall time used below, Unix seconds

TOKEN_FIELDS = ["id", "object", "name", "permissions", "metadata", "expires_at", "last_used_at",
                "revoked_at", "created_at"]


def error(body: dict) -> tuple[str, str, str | None]:
    return body["error"]["type"], body["error"]["code"], body["error"]["param"]


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_it_creates_a_token_and_shows_its_secret_once(api):
    status, headers, made = await api.request("POST", "/api/tokens", json={
        "name": "deploy bot", "permissions": {"incidents": ["*"], "monitors": ["update", "read"]},
        "expires_at": NOW + 3600, "metadata": {"team": "ops", "gone": ""}})
    assert status == 201, made
    assert list(made) == [*TOKEN_FIELDS, "secret"]
    assert made["id"].startswith("tok_") and made["object"] == "token"
    assert made["secret"].startswith("upst_") and len(made["secret"]) >= 30
    # normalized: resources and actions in a fixed order, "*" expanded
    assert made["permissions"] == {"monitors": ["read", "update"],
                                   "incidents": ["read", "create", "update", "delete"]}
    assert made["metadata"] == {"team": "ops"}
    assert (made["expires_at"], made["last_used_at"], made["revoked_at"], made["created_at"]) == \
        (NOW + 3600, None, None, NOW)
    assert headers["Request-Id"].startswith("req_")

    # The secret works (403: known, but without tokens:read), and is never shown again.
    status, _, answer = await api.request("GET", "/api/tokens", token=made["secret"])
    assert status == 403 and answer["error"]["type"] == "permission_error"
    status, _, fetched = await api.request("GET", f"/api/tokens/{made['id']}")
    assert status == 200 and "secret" not in fetched
    assert fetched == {key: value for key, value in made.items() if key != "secret"} | {
        "last_used_at": fetched["last_used_at"]}
    _, _, listed = await api.request("GET", "/api/tokens")
    assert all("secret" not in token for token in listed["data"])
    await api.daemon.writer.flush()
    for stored in api.db_path.parent.glob("upstatd.db*"):  # only its hash is stored, WAL included
        assert made["secret"].encode() not in stored.read_bytes()


async def test_it_lists_newest_first_in_pages_and_filters_by_revoked(api):
    ids = []
    for number in range(5):
        status, _, made = await api.request("POST", "/api/tokens",
                                            json={"name": f"t{number}", "permissions": {"monitors": ["read"]}})
        assert status == 201
        ids.append(made["id"])
    status, _, _ = await api.request("POST", f"/api/tokens/{ids[1]}/revoke")
    assert status == 200

    status, _, page = await api.request("GET", "/api/tokens?limit=2")
    assert status == 200
    assert (page["object"], page["url"], page["has_more"]) == ("list", "/api/tokens", True)
    assert [token["id"] for token in page["data"]] == [ids[4], ids[3]]
    _, _, page = await api.request("GET", f"/api/tokens?limit=2&starting_after={ids[3]}")
    assert [token["id"] for token in page["data"]] == [ids[2], ids[1]] and page["has_more"] is True
    _, _, page = await api.request("GET", f"/api/tokens?limit=10&starting_after={ids[1]}")
    assert [token["name"] for token in page["data"]] == ["t0", "admin"] and page["has_more"] is False
    _, _, page = await api.request("GET", f"/api/tokens?ending_before={ids[2]}")
    assert [token["id"] for token in page["data"]] == [ids[4], ids[3]]

    _, _, revoked = await api.request("GET", "/api/tokens?revoked=true")
    assert [token["id"] for token in revoked["data"]] == [ids[1]]
    _, _, active = await api.request("GET", "/api/tokens?revoked=false&limit=100")
    assert len(active["data"]) == 5 and ids[1] not in {token["id"] for token in active["data"]}

    status, _, body = await api.request("GET", "/api/tokens?revoked=maybe")
    assert status == 400 and error(body)[2] == "revoked"
    status, _, body = await api.request("GET", "/api/tokens?limit=101")
    assert status == 422 and error(body)[2] == "limit"
    status, _, body = await api.request("GET", "/api/tokens?starting_after=tok_nope")
    assert status == 400 and error(body)[2] == "starting_after"


@pytest.mark.parametrize("body, status, param, words", [
    ({"permissions": {"monitors": ["read"]}}, 400, "name", "missing required field"),
    ({"name": "", "permissions": {"monitors": ["read"]}}, 422, "name", "must be 1-100 characters long"),
    ({"name": "x" * 101, "permissions": {"monitors": ["read"]}}, 422, "name", "got 101 characters"),
    ({"name": "   ", "permissions": {"monitors": ["read"]}}, 400, "name", "blank"),
    ({"name": "a"}, 400, "permissions", "missing required field"),
    ({"name": "a", "permissions": {}}, 422, "permissions", "at least one permission"),
    ({"name": "a", "permissions": "monitors:read"}, 400, "permissions", "must be an object, got a string"),
    ({"name": "a", "permissions": {"servers": ["read"]}}, 422, "permissions.servers",
     "unknown resource 'servers'"),
    ({"name": "a", "permissions": {"monitors": ["write"]}}, 422, "permissions.monitors",
     "unknown action 'write'"),
    ({"name": "a", "permissions": {"monitors": "read"}}, 400, "permissions.monitors", "must be a list"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "expires_at": NOW}, 400, "expires_at", "in the future"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "expires_at": 10**15}, 400, "expires_at", "at most"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "expires_at": "soon"}, 400, "expires_at",
     "must be a unix time in seconds (an integer) or null, got a string"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "metadata": {"k": 1}}, 400, "metadata.k",
     "must be strings"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "metadata": {"k" * 41: "v"}}, 422,
     "metadata." + "k" * 41, "the most is 40"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "metadata": {"k": "v" * 501}}, 422, "metadata.k",
     "the most is 500"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "metadata": {str(n): "v" for n in range(51)}}, 422,
     "metadata", "at most 50 keys"),
    ({"name": "a", "permissions": {"monitors": ["read"]}, "secret": "mine"}, 400, "secret",
     "secret is not a known parameter"),
])
async def test_it_names_the_param_of_a_bad_create(api, body, status, param, words):
    answer_status, _, answer = await api.request("POST", "/api/tokens", json=body)
    assert answer_status == status, answer
    assert error(answer) == ("invalid_request_error", "parameter_invalid", param)
    assert words in answer["error"]["message"].lower()


async def test_it_refuses_a_body_that_is_not_json(api):
    status, _, answer = await api.request("POST", "/api/tokens", data=b"name=a",
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and answer["error"]["code"] == "content_type_invalid"
    status, _, answer = await api.request("POST", "/api/tokens", data=b"{nope",
                                          headers={"Content-Type": "application/json"})
    assert status == 400 and answer["error"]["code"] == "body_invalid_json"


async def test_it_updates_the_name_and_merges_metadata(api):
    _, _, made = await api.request("POST", "/api/tokens", json={
        "name": "a", "permissions": {"monitors": ["read"]}, "metadata": {"team": "ops", "env": "prod"}})
    path = f"/api/tokens/{made['id']}"
    status, _, updated = await api.request("PATCH", path, json={"metadata": {"env": "", "owner": "kim"}})
    assert status == 200
    assert updated["metadata"] == {"team": "ops", "owner": "kim"} and updated["name"] == "a"
    status, _, updated = await api.request("PATCH", path, json={"name": "renamed"})
    assert (updated["name"], updated["metadata"]) == ("renamed", {"team": "ops", "owner": "kim"})
    status, _, updated = await api.request("PATCH", path, json={})
    assert status == 200 and updated["name"] == "renamed"

    status, _, answer = await api.request("PATCH", path, json={"permissions": {"tokens": ["*"]}})
    assert status == 400 and error(answer)[2] == "permissions"
    status, _, answer = await api.request("PATCH", path, json={"expires_at": NOW + 10})
    assert status == 400 and error(answer)[2] == "expires_at"
    status, _, answer = await api.request("PATCH", path, json={"metadata": {"x": None}})
    assert status == 400 and error(answer)[2] == "metadata.x"
    status, _, answer = await api.request("PATCH", path, json={"name": ""})
    assert status == 422 and error(answer)[2] == "name"
    # 48 more keys make 50: fine; one more is refused, and nothing of it is kept.
    status, _, updated = await api.request("PATCH", path, json={"metadata": {f"k{n}": "v" for n in range(48)}})
    assert status == 200 and len(updated["metadata"]) == 50
    status, _, answer = await api.request("PATCH", path, json={"metadata": {"one-more": "v"}})
    assert status == 422 and error(answer)[2] == "metadata" and "would make 51" in answer["error"]["message"]
    # ...unless a key goes in the same update
    status, _, updated = await api.request("PATCH", path, json={"metadata": {"one-more": "v", "k0": ""}})
    assert status == 200 and len(updated["metadata"]) == 50 and "k0" not in updated["metadata"]

    status, _, answer = await api.request("PATCH", "/api/tokens/tok_missing", json={"name": "x"})
    assert status == 404 and error(answer) == ("invalid_request_error", "resource_missing", "id")


async def test_it_revokes_with_post_or_delete_and_the_token_stops_working(api):
    first = await api.request("POST", "/api/tokens", json={"name": "a", "permissions": {"tokens": ["read"]}})
    second = await api.request("POST", "/api/tokens", json={"name": "b", "permissions": {"tokens": ["read"]}})
    for made, how in ((first[2], ("POST", "/revoke")), (second[2], ("DELETE", ""))):
        assert (await api.request("GET", "/api/tokens", token=made["secret"]))[0] == 200
        method, suffix = how
        status, _, revoked = await api.request(method, f"/api/tokens/{made['id']}{suffix}")
        if method == "DELETE":  # 204, no body
            assert (status, revoked) == (204, None)
            _, _, revoked = await api.request("GET", f"/api/tokens/{made['id']}")
        else:
            assert status == 200, revoked
        assert revoked["id"] == made["id"] and revoked["revoked_at"] == NOW and "secret" not in revoked
        status, _, answer = await api.request("GET", "/api/tokens", token=made["secret"])
        assert status == 401 and "revoked" in answer["error"]["message"]

    # Revoking again answers the same token and keeps the first revoked_at.
    api.clock.advance(30)
    status, _, again = await api.request("POST", f"/api/tokens/{first[2]['id']}/revoke")
    assert status == 200 and again["revoked_at"] == NOW
    status, _, answer = await api.request("DELETE", "/api/tokens/tok_missing")
    assert status == 404 and error(answer)[2] == "id"
    status, _, answer = await api.request("GET", "/api/tokens/tok_missing")
    assert status == 404 and error(answer)[2] == "id"


async def test_it_does_not_let_a_token_grant_or_manage_more_than_it_holds(api):
    manager = await api.make_token("tokens:*,monitors:read")
    status, _, answer = await api.request("POST", "/api/tokens", token=manager, json={
        "name": "wider", "permissions": {"monitors": ["read", "update"]}})
    assert status == 403
    assert error(answer) == ("permission_error", "missing_permission", "permissions.monitors")
    assert "monitors:update" in answer["error"]["message"]

    status, _, narrower = await api.request("POST", "/api/tokens", token=manager, json={
        "name": "narrower", "permissions": {"monitors": ["read"]}})
    assert status == 201

    # It may manage tokens within its own permissions, including itself...
    status, _, _ = await api.request("PATCH", f"/api/tokens/{narrower['id']}", token=manager,
                                     json={"name": "n"})
    assert status == 200
    # ...not the admin token, which holds more.
    _, _, listed = await api.request("GET", "/api/tokens?limit=100", token=manager)
    admin_id = next(token["id"] for token in listed["data"] if token["name"] == "admin")
    for method, suffix, body in (("PATCH", "", {"name": "mine"}), ("POST", "/revoke", None), ("DELETE", "", None)):
        status, _, answer = await api.request(method, f"/api/tokens/{admin_id}{suffix}", token=manager, json=body)
        assert status == 403 and answer["error"]["type"] == "permission_error"
        assert admin_id in answer["error"]["message"]
    status, _, admin = await api.request("GET", f"/api/tokens/{admin_id}")
    assert admin["revoked_at"] is None and admin["name"] == "admin"

    status, _, _ = await api.request("POST", f"/api/tokens/{narrower['id']}/revoke", token=manager)
    assert status == 200


async def test_it_records_when_a_token_was_last_used(api):
    secret = await api.make_token("tokens:read")
    _, _, listed = await api.request("GET", "/api/tokens?limit=1")
    token_id = listed["data"][0]["id"]
    assert listed["data"][0]["last_used_at"] is None

    api.clock.advance(5)
    assert (await api.request("GET", "/api/tokens", token=secret))[0] == 200
    for _ in range(100):  # written by the writer's next batch
        _, _, token = await api.request("GET", f"/api/tokens/{token_id}")
        if token["last_used_at"] is not None:
            break
        await asyncio.sleep(0.02)
    assert token["last_used_at"] == NOW + 5
    # At most once a minute: a use 10 s later changes nothing; 70 s later it does.
    api.clock.advance(10)
    await api.request("GET", "/api/tokens", token=secret)
    await api.daemon.writer.flush()
    assert (await api.request("GET", f"/api/tokens/{token_id}"))[2]["last_used_at"] == NOW + 5
    api.clock.advance(60)
    await api.request("GET", "/api/tokens", token=secret)
    await api.daemon.writer.flush()
    assert (await api.request("GET", f"/api/tokens/{token_id}"))[2]["last_used_at"] == NOW + 75


def test_metadata_rules():
    assert metadata.validate({"a": "1", "b": ""}) == {"a": "1", "b": ""}
    assert metadata.merge({"a": "1", "b": "2"}, {"b": "", "c": "3", "zz": ""}) == {"a": "1", "c": "3"}
    assert metadata.validate({"k" * 40: "v" * 500})
    # 50 keys to set plus removals is fine; the merged result is what must fit
    assert len(metadata.validate({**{str(n): "v" for n in range(50)}, "x": ""})) == 51
    for bad, param in (([], "metadata"), ({"": "v"}, "metadata"), ({"k": 1}, "metadata.k"),
                       ({"k": None}, "metadata.k"), ({"k" * 41: "v"}, "metadata." + "k" * 41),
                       ({"k": "v" * 501}, "metadata.k"), ({str(n): "v" for n in range(51)}, "metadata")):
        with pytest.raises(DomainError) as caught:
            metadata.validate(bad)
        wrong_type = bad == [] or bad in ({"k": 1}, {"k": None})
        assert (type(caught.value), caught.value.param) == (Malformed if wrong_type else Invalid, param)
    with pytest.raises(Invalid) as caught:
        metadata.merge({str(n): "v" for n in range(50)}, {"new": "v"})
    assert caught.value.param == "metadata"
