"""The permission matrix, over every route in upstatd.api.routes.ROUTES (so it
covers routes added later without being edited): a token holding every
permission but the route's gets 403 permission_error naming it; a token holding
only that permission gets past authentication and permission (made-up ids may
give 404, empty bodies 400); no token, a bad, a revoked or an expired token
get 401. Every answer carries Request-Id, Upstat-Version and X-RateLimit-*."""

from __future__ import annotations

import re

import pytest
import pytest_asyncio

import upstatd.api.routes.all  # noqa: F401  (registers every route)
from upstatd import permissions
from upstatd.api import envelopes
from upstatd.api.routes import ROUTES, Route
from upstatd.clock import FakeClock
from upstatd.store.tokens import hash_secret

NOW = 1_800_000_000
PREFIXES = {"monitor": "mon", "incident": "inc", "heartbeat": "hbt", "token": "tok", "webhook": "we",
            "check": "chk", "event": "evt", "runbook": "rbk", "status_page": "stp", "section": "sps", "resource": "spr", "report": "rpt", "maintenance": "mnt",
            "on_call": "onc", "catalog": "cat", "alert_channel": "ch", "alert": "alt", "agent": "agt"}
pytestmark = pytest.mark.xdist_group("permissions")  # make test: one worker, one module daemon
EVERY_HEADER = {"Request-Id", "Upstat-Version", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


def plausible_id(name: str, resource: str) -> str:
    """`{id}` of /api/monitors/... -> mon_000...; `{monitor_id}` -> mon_000...; else a made-up word."""
    stem = resource if name == "id" else name.removesuffix("_id")
    singular = stem.removesuffix("s")
    prefix = PREFIXES.get(singular) or PREFIXES.get(stem) or singular[:3]
    return f"{prefix}_{'0' * 22}"


def concrete(item: Route) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda match: plausible_id(match.group(1), item.resource), item.path)


def without(resource: str, action: str) -> dict[str, list[str]]:
    granted = permissions.everything()
    granted[resource] = [other for other in granted[resource] if other != action]
    return permissions.normalize(granted)


def refusal(item: Route, answer: dict, type: str, code: str | None = None) -> str:
    """The message of a refusal in the route's envelope: upstatd's (its type and code checked), or a
    dialect's own (api/envelopes.py: Better Stack's `errors` is the message; tests/dialects check it;
    UptimeGuard's `error` keeps upstatd's type, and its code where UptimeGuard has none, as here;
    UptimeIO's in `error.details.upstatd`)."""
    if not envelopes.in_upstatd_shape(item.path) and "error" not in answer:
        return str(answer["errors"])
    named = (answer["error"].get("details") or {}).get("upstatd") or answer["error"]  # UptimeIO keeps them there
    assert named["type"] == type, answer
    assert code is None or named["code"] == code, answer
    return answer["error"]["message"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_daemon(start_module_api):
    return await start_module_api(clock=FakeClock(wall=NOW))


def test_every_route_declares_a_known_permission():
    assert ROUTES, "no routes registered"
    declared = {(item.method, item.path) for item in ROUTES}
    assert {("POST", "/api/tokens"), ("GET", "/api/tokens"), ("GET", "/api/tokens/{id}"),
            ("PATCH", "/api/tokens/{id}"), ("POST", "/api/tokens/{id}/revoke"),
            ("DELETE", "/api/tokens/{id}")} <= declared
    assert len(declared) == len(ROUTES), "a method and path declared twice"
    for item in ROUTES:
        assert item.resource in permissions.resources(), item
        assert item.action in permissions.ACTIONS, item


@pytest.mark.asyncio(loop_scope="module")  # one daemon for the module (module_api)
@pytest.mark.parametrize("item", ROUTES, ids=[f"{item.method} {item.path}" for item in ROUTES])
async def test_a_route_needs_exactly_its_permission(module_api, item: Route):
    api = module_api
    now = round(api.clock.time())  # the clock moves on a second per test
    path = concrete(item)
    body = {} if item.method in ("POST", "PUT", "PATCH") else None
    needed = f"{item.resource}:{item.action}"

    lacking = await api.make_token(without(item.resource, item.action))
    status, headers, answer = await api.request(item.method, path, token=lacking, json=body)
    assert status == 403, (needed, status, answer)
    assert needed in refusal(item, answer, "permission_error", "missing_permission")
    assert EVERY_HEADER <= set(headers)

    holding = await api.make_token({item.resource: [item.action]})
    status, headers, answer = await api.request(item.method, path, token=holding, json=body)
    assert status not in (401, 403), (needed, status, answer)
    assert status < 500, (path, status, answer)
    assert EVERY_HEADER <= set(headers)

    revoked = await api.make_token("*")
    await api.daemon.writer.run(lambda conn: conn.execute(
        "UPDATE tokens SET revoked_at = ? WHERE secret_hash = ?", (now * 1000, hash_secret(revoked))))
    expired = await api.make_token("*", expires_at=now + 1)
    api.clock.advance(1)
    for token, headers_sent in ((None, {}), ("upst_" + "x" * 32, {}), (None, {"Authorization": "Basic eDp5"}),
                                (revoked, {}), (expired, {})):
        status, headers, answer = await api.request(item.method, path, token=token, json=body,
                                                    headers=headers_sent)
        assert status == 401, (path, token, status, answer)
        refusal(item, answer, "authentication_error")
        assert EVERY_HEADER <= set(headers)
