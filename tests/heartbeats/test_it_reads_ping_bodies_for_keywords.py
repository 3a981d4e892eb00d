"""`body_keywords` over real HTTP: a success ping's body is read for failure,
success and start keywords (case-insensitive, in that order) and recorded as
what it says; `otherwise` decides the rest; a ping naming its own kind in
the URL is left as it is; the answer is `OK` whatever the body says. Set in
YAML here, over the API in tests/api/test_it_manages_heartbeats.py."""

from __future__ import annotations

import pytest

from pingkit import PING_KEY

ERRORS = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"   # failure keywords only
STRICT = "1f0e6c7a-3b2d-4e5f-8a9b-0c1d2e3f4a5b"   # success must be shown
RID = "11111111-2222-4333-8444-555555555555"

HEARTBEATS = f"""
heartbeats:
  - {{key: errors, period: 1h, token: "{ERRORS}", body_keywords: {{failure: [ERROR, Traceback]}}}}
  - key: strict
    period: 1h
    token: "{STRICT}"
    body_keywords: {{start: [starting], success: ["backup complete"], failure: [error]}}
  - {{key: plain, period: 1h}}
"""


@pytest.fixture
async def pinger(start_pinger):
    return await start_pinger(heartbeats=HEARTBEATS)


async def post(pinger, path: str, body: bytes) -> None:
    status, _, text = await pinger.ping("POST", path, data=body)
    assert (status, text) == (200, "OK"), text


def kinds(pinger, key: str) -> list[str]:
    return [row["kind"] for row in pinger.pings(key)]


async def test_a_failure_keyword_in_a_success_ping_makes_it_a_failure(pinger):
    await post(pinger, ERRORS, b"dumped 12 tables")
    assert pinger.heartbeat("errors")["current_state"] == "up"
    await post(pinger, ERRORS, b"pg_dump: error: connection to server failed")   # any case
    assert (kinds(pinger, "errors"), pinger.heartbeat("errors")["current_state"]) == (["success", "fail"], "down")
    await post(pinger, f"{ERRORS}/0", b"Traceback (most recent call last):")     # exit status 0 too
    assert pinger.pings("errors")[-1]["kind"] == "fail"
    assert pinger.pings("errors")[-1]["exit_status"] == 0
    await post(pinger, ERRORS, b"")   # no body: nothing says it failed (otherwise: success)
    assert (kinds(pinger, "errors")[-1], pinger.heartbeat("errors")["current_state"]) == ("success", "up")


async def test_success_keywords_must_be_shown_and_start_keywords_start(pinger):
    await post(pinger, STRICT, b"nothing to report")       # otherwise: ignore (success keywords listed)
    assert (kinds(pinger, "strict"), pinger.heartbeat("strict")["current_state"]) == (["ignored"], "new")
    await post(pinger, f"{STRICT}?rid={RID}", b"Starting nightly run")
    row = pinger.heartbeat("strict")
    assert (kinds(pinger, "strict")[-1], row["started_at"] is not None, row["start_rid"]) == ("start", True, RID)
    await post(pinger, f"{STRICT}?rid={RID}", b"BACKUP COMPLETE, starting cleanup")   # success before start
    row = pinger.heartbeat("strict")
    assert (kinds(pinger, "strict")[-1], row["current_state"], row["started_at"]) == ("success", "up", None)
    assert pinger.pings("strict")[-1]["duration_ms"] is not None
    await post(pinger, f"{PING_KEY}/strict", b"backup complete with 1 error")   # failure first; slug URLs too
    assert (kinds(pinger, "strict")[-1], pinger.heartbeat("strict")["current_state"]) == ("fail", "down")


async def test_a_ping_that_names_its_kind_is_not_reread(pinger):
    await post(pinger, f"{STRICT}/fail", b"backup complete")
    await post(pinger, f"{STRICT}/log", b"error")
    await post(pinger, f"{STRICT}/start", b"backup complete")
    await post(pinger, f"{STRICT}/3", b"backup complete")
    assert kinds(pinger, "strict") == ["fail", "log", "start", "fail"]


async def test_without_keywords_the_body_says_nothing(pinger):
    token = pinger.heartbeat("plain")["token"]
    await post(pinger, token, b"ERROR Traceback error")
    assert (kinds(pinger, "plain"), pinger.heartbeat("plain")["current_state"]) == (["success"], "up")
