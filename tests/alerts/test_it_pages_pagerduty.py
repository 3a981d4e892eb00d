"""The PagerDuty sender against PagerDuty's Events API as its reference
describes it, on loopback: an outage is a trigger whose payload carries the
facts; the incident's id is the dedup key, so its acknowledge and its
resolve (only the routing key, the key and the action) land on the page it
opened; a test message has a dedup key of its own; a refused event (400) is
given up with PagerDuty's reasons, a rate limit, a server error, a timeout
or a closed port is retried."""

from __future__ import annotations

import json

import aiohttp
import pytest
from alertkit import PagerDuty, facts
from loopback import closed_port

from upstatd.alerts.message import Phase, render
from upstatd.alerts.pagerduty import ERROR_LENGTH, EVENTS_URL, PagerDutyChannel

PUBLIC = "https://status.example"
KEY = "e93facc04764012d7bfb002500d5d1a6"  # 32 characters, as PagerDuty's are


async def send(channel: PagerDutyChannel, *messages):
    try:
        return [await channel.send(message) for message in messages]
    finally:
        await channel.close()


def channel(pagerduty: PagerDuty, **options) -> PagerDutyChannel:
    return PagerDutyChannel(options.pop("key", KEY), url=pagerduty.url("/v2/enqueue"), **options)


def test_the_default_url_is_pagerdutys():
    assert EVENTS_URL == "https://events.pagerduty.com/v2/enqueue"
    assert PagerDutyChannel(KEY).url == EVENTS_URL


async def test_an_outage_triggers_a_page_with_its_facts(pagerduty):
    message = render(facts(), PUBLIC, "pagerduty")
    [attempt] = await send(channel(pagerduty), message)
    assert attempt.ok and attempt.status_code == 202 and attempt.error is None, attempt
    [got] = pagerduty.got
    assert got.path == "/v2/enqueue" and got.headers["Content-Type"] == "application/json"
    assert "Authorization" not in got.headers  # the Events API wants only the routing key
    [event] = pagerduty.events
    assert event["routing_key"] == KEY and event["event_action"] == "trigger" and event["dedup_key"] == "inc_7Hq2"
    assert event["payload"] == {
        "summary": "[DOWN] monitor shop frontend is down (timeout)",
        "source": "https://shop.example/health",
        "severity": "critical",
        "timestamp": "2023-11-14T22:25:25.000+00:00",
        "component": "shop frontend",
        "class": "timeout",
        "custom_details": {"kind": "monitor", "type": "http", "error": "timeout: no answer within 10s",
                           "down_since": "2023-11-14 22:13:20 UTC", "down_for": "12m 5s",
                           "phases": {"dns": 2.0, "connect": 11.0}, "incident_id": "inc_7Hq2"},
    }
    assert event["client"] == "upstatd"
    assert event["client_url"] == "https://status.example/api/incidents/inc_7Hq2"
    assert event["links"] == [{"href": "https://status.example/api/incidents/inc_7Hq2",
                               "text": "upstatd incident inc_7Hq2"}]


async def test_a_heartbeat_without_a_url_is_its_own_source_and_no_link_without_a_public_url(pagerduty):
    message = render(facts(kind="heartbeat", name="nightly backup", url=None, type=None, error_kind=None,
                           error_message=None, phases=()), None, "pagerduty")
    assert (await send(channel(pagerduty), message))[0].ok
    [event] = pagerduty.events
    assert event["payload"]["source"] == "nightly backup" and "class" not in event["payload"]
    assert event["payload"]["custom_details"] == {"kind": "heartbeat", "down_since": "2023-11-14 22:13:20 UTC",
                                                  "down_for": "12m 5s", "incident_id": "inc_7Hq2"}
    assert "client_url" not in event and "links" not in event


async def test_the_resolve_and_the_acknowledge_land_on_the_page_the_outage_opened(pagerduty):
    opened = render(facts(), PUBLIC, "pagerduty")
    acknowledged = render(facts(reason="acknowledged", acknowledged_by="ana"), PUBLIC, "pagerduty")
    resolved = render(facts(reason="resolved", resolved_at=facts().started_at + 900), PUBLIC, "pagerduty")
    attempts = await send(channel(pagerduty), opened, acknowledged, resolved)
    assert all(a.ok and a.status_code == 202 for a in attempts), attempts
    trigger, acknowledge, resolve = pagerduty.events
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge", "resolve"]
    assert trigger["dedup_key"] == acknowledge["dedup_key"] == resolve["dedup_key"] == "inc_7Hq2"
    # what the API wants for these two, and nothing else
    assert acknowledge == {"routing_key": KEY, "dedup_key": "inc_7Hq2", "event_action": "acknowledge"}
    assert resolve == {"routing_key": KEY, "dedup_key": "inc_7Hq2", "event_action": "resolve"}
    assert json.loads(pagerduty.got[2].body) == resolve


@pytest.mark.parametrize("reason", ["reminder", "escalated"])
async def test_a_reminder_and_an_escalation_trigger_the_same_page_again(pagerduty, reason):
    message = render(facts(reason=reason), PUBLIC, "pagerduty")
    assert (await send(channel(pagerduty), message))[0].ok
    [event] = pagerduty.events
    assert event["event_action"] == "trigger" and event["dedup_key"] == "inc_7Hq2"
    assert event["payload"]["summary"] == message.subject


async def test_a_test_message_pages_under_a_dedup_key_of_its_own_each_time(pagerduty):
    test = render(facts(reason="test"), PUBLIC, "pagerduty")
    attempts = await send(channel(pagerduty), test, test)
    assert all(a.ok for a in attempts), attempts
    first, second = pagerduty.events
    assert first["event_action"] == second["event_action"] == "trigger"
    assert first["dedup_key"].startswith("upstatd-test-") and second["dedup_key"].startswith("upstatd-test-")
    assert "inc_7Hq2" not in first["dedup_key"] and first["dedup_key"] != second["dedup_key"]
    assert first["payload"]["summary"] == "[TEST] monitor shop frontend: a test message from upstatd"


@pytest.mark.parametrize("ours, theirs", [("critical", "critical"), ("major", "error"), ("minor", "warning"),
                                          ("warning", "warning"), ("unheard-of", "critical")])
async def test_severities_are_pagerdutys_words(pagerduty, ours, theirs):
    assert (await send(channel(pagerduty), render(facts(severity=ours), PUBLIC, "pagerduty")))[0].ok
    assert pagerduty.events[0]["payload"]["severity"] == theirs


async def test_a_long_subject_is_cut_to_pagerdutys_limit(pagerduty):
    message = render(facts(name="n" * 3000, phases=(Phase("dns", 1.0),)), PUBLIC, "pagerduty")
    [attempt] = await send(channel(pagerduty), message)
    assert attempt.ok, attempt  # the fake refuses a summary over 1024 characters
    summary = pagerduty.events[0]["payload"]["summary"]
    assert len(summary) == 1024 and summary.endswith("…") and summary.startswith("[DOWN] monitor nnn")


async def test_a_refused_event_is_given_up_with_pagerdutys_reasons(pagerduty):
    [attempt] = await send(channel(pagerduty, key="too-short"), render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.status_code == 400 and attempt.retry is False, attempt
    assert attempt.error == "HTTP 400: Event object is invalid: routing_key: must be 32 characters"
    assert pagerduty.events == []


async def test_a_refusals_reasons_are_bounded(pagerduty):
    pagerduty.status = 400
    pagerduty.answer = {"status": "invalid event", "message": "Event object is invalid",
                        "errors": [f"problem {i}: " + "x" * 200 for i in range(50)]}
    [attempt] = await send(channel(pagerduty), render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.retry is False, attempt
    assert len(attempt.error) == ERROR_LENGTH and attempt.error.endswith("…")
    assert attempt.error.startswith("HTTP 400: Event object is invalid: problem 0: xxx")


@pytest.mark.parametrize("status, answer, retry, error", [
    (429, "", True, "HTTP 429"),
    (500, "Internal Server Error", True, "HTTP 500: Internal Server Error"),
    (502, "<html>bad gateway</html>", True, "HTTP 502: <html>bad gateway</html>"),
    (503, {"status": "unavailable", "message": "try again"}, True, "HTTP 503: try again"),
    (408, "", True, "HTTP 408"),
    (403, "forbidden", False, "HTTP 403: forbidden"),
    (404, "no such route", False, "HTTP 404: no such route"),
])
async def test_a_failing_answer_is_a_failed_attempt(pagerduty, status, answer, retry, error):
    pagerduty.status, pagerduty.answer = status, answer
    [attempt] = await send(channel(pagerduty), render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.status_code == status and attempt.retry is retry, attempt
    assert attempt.error == error


async def test_a_slow_answer_times_out_and_is_retried(pagerduty):
    pagerduty.delay = 2.0
    [attempt] = await send(channel(pagerduty, timeout=0.3), render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.retry is True and attempt.status_code is None, attempt
    assert attempt.error == "no answer within 0.3s"


async def test_a_closed_port_is_retried():
    sender = PagerDutyChannel(KEY, url=f"http://127.0.0.1:{closed_port()}/v2/enqueue")
    [attempt] = await send(sender, render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.retry is True and attempt.status_code is None and attempt.error, attempt


async def test_a_shared_session_is_used_and_left_open(pagerduty):
    async with aiohttp.ClientSession() as session:
        sender = channel(pagerduty, session=session)
        for reason in ("opened", "resolved"):
            assert (await sender.send(render(facts(reason=reason), PUBLIC, "pagerduty"))).ok
        await sender.close()
        assert not session.closed
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "resolve"]


@pytest.mark.parametrize("key", ["", "   "])
def test_a_routing_key_is_required(key):
    with pytest.raises(ValueError, match="routing key"):
        PagerDutyChannel(key)
