"""message.render: each reason's subject, text and HTML carry the facts (what,
where, since when, the error, the last check's phases, the severity, the
incident link, the one-click links)."""

from __future__ import annotations

import pytest
from alertkit import START, facts

from upstatd.alerts.message import Phase, duration, render

PUBLIC = "https://status.example/"
LINK = "https://status.example/api/incidents/inc_7Hq2"


@pytest.mark.parametrize("changes, subject", [
    ({}, "[DOWN] monitor shop frontend is down (timeout)"),
    ({"reason": "reminder"}, "[STILL DOWN] monitor shop frontend is down (timeout)"),
    ({"reason": "escalated"}, "[ESCALATED] monitor shop frontend is down (timeout)"),
    ({"reason": "acknowledged", "acknowledged_by": "ana"}, "[ACKNOWLEDGED] monitor shop frontend acknowledged by ana"),
    ({"reason": "resolved", "resolved_at": START + 3720}, "[RECOVERED] monitor shop frontend is up again after 1h 2m"),
    ({"reason": "test"}, "[TEST] monitor shop frontend: a test message from upstatd"),
    ({"kind": "heartbeat", "name": "nightly backup", "error_kind": "missed", "url": None, "type": "cron"},
     "[DOWN] heartbeat nightly backup is down (missed)"),
])
def test_the_subject_says_what_and_why(changes, subject):
    assert render(facts(**changes), PUBLIC).subject == subject


@pytest.mark.parametrize("part", ["text", "html"])
@pytest.mark.parametrize("expected", [
    "shop frontend", "https://shop.example/health", "http", "critical",
    "2023-11-14 22:13:20 UTC", "12m 5s", "timeout: no answer within 10s",
    "dns 2 ms", "connect 11 ms", LINK,
])
def test_an_outage_message_carries_the_facts(part, expected):
    message = render(facts(), PUBLIC)
    assert expected in getattr(message, part)


def test_the_one_click_links_are_in_an_open_incidents_message_only():
    links = {"acknowledge_url": "https://status.example/ack/tok1", "resolve_url": "https://status.example/res/tok2"}
    open_ = render(facts(**links), PUBLIC)
    assert "Acknowledge: https://status.example/ack/tok1" in open_.text
    assert "Resolve: https://status.example/res/tok2" in open_.text
    assert '<a href="https://status.example/ack/tok1">Acknowledge</a>' in open_.html
    closed = render(facts(reason="resolved", resolved_at=START + 60, **links), PUBLIC)
    assert "tok1" not in closed.text + closed.html and "tok2" not in closed.text + closed.html


def test_without_a_public_url_the_incident_is_named_not_linked():
    message = render(facts(), None)
    assert "Incident: inc_7Hq2\n" in message.text
    assert "href" not in message.html and "inc_7Hq2" in message.html


def test_no_phases_and_no_error_leave_no_empty_lines():
    message = render(facts(phases=(), error_kind=None, error_message=None), PUBLIC)
    assert "Last check" not in message.text and "Error" not in message.text
    assert "\n\n" not in message.text
    assert message.subject == "[DOWN] monitor shop frontend is down"


def test_the_apprise_default_is_a_short_chat_message():
    message = render(facts(phases=(Phase("dns", 1.0),)), PUBLIC, "apprise")
    assert message.text.splitlines()[0] == (
        "Monitor shop frontend (https://shop.example/health): down since 2023-11-14 22:13:20 UTC (12m 5s), "
        "timeout: no answer within 10s.")
    assert f"Incident: {LINK}" in message.text


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (45.9, "45s"), (60, "1m"), (192, "3m 12s"), (3600, "1h"), (7500, "2h 5m"),
    (86400, "1d"), (100800, "1d 4h"), (-5, "0s"),
])
def test_durations_read_short(seconds, text):
    assert duration(seconds) == text


def test_the_subject_is_one_line_whatever_the_template():
    message = render(facts(), PUBLIC, templates={"subject": "{{ name }}\n\n  down\r\n"})
    assert message.subject == "shop frontend down"
