"""The PagerDuty routing key pages people for whoever holds it: it is only
in the request's body. A receiver that echoes it back (in PagerDuty's JSON
reasons or in a plain-text page, even where the error is cut) gets it
masked in the attempt's error; no log line at any level has it, whatever
the answer; the channel's repr names only the host."""

from __future__ import annotations

import json
import logging

import pytest
from alertkit import facts
from loopback import closed_port

from upstatd.alerts.message import render
from upstatd.alerts.pagerduty import ERROR_LENGTH, PagerDutyChannel

PUBLIC = "https://status.example"
KEY = "R0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5"  # 32 characters, a ruleset's R at the front


async def send_once(url: str, message, **options):
    channel = PagerDutyChannel(KEY, url=url, **options)
    try:
        return await channel.send(message)
    finally:
        await channel.close()


def leaks(text: str) -> bool:
    """The key, or any 8 characters of it in a row."""
    return any(KEY[i:i + 8] in text for i in range(len(KEY) - 7))


async def test_the_key_goes_in_the_body(pagerduty):
    assert (await send_once(pagerduty.url(), render(facts(), PUBLIC, "pagerduty"))).ok
    [got] = pagerduty.got
    assert json.loads(got.body)["routing_key"] == KEY
    assert not leaks(got.path) and not any(leaks(v) for v in got.headers.values())


async def test_a_key_echoed_in_pagerdutys_reasons_is_masked(pagerduty):
    pagerduty.status = 400
    pagerduty.answer = {"status": "invalid event", "message": f"Event object is invalid for {KEY}",
                        "errors": [f"routing_key '{KEY}' is not enabled"]}
    attempt = await send_once(pagerduty.url(), render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.retry is False, attempt
    assert attempt.error == "HTTP 400: Event object is invalid for ***: routing_key '***' is not enabled"


# "HTTP 502: " and "upstream refused " are 27 characters: at ERROR_LENGTH - 43 the
# cut falls 16 characters into the key (and at 180, post.py's own 200 would)
@pytest.mark.parametrize("before", [0, 180, ERROR_LENGTH - 43])
async def test_a_key_echoed_in_a_plain_answer_is_masked_before_the_answer_is_cut(pagerduty, before):
    pagerduty.status = 502
    pagerduty.answer = "x" * before + f"upstream refused {KEY} " + "y" * 500
    attempt = await send_once(pagerduty.url(), render(facts(), PUBLIC, "pagerduty"))
    assert not attempt.ok and attempt.retry is True and len(attempt.error) <= ERROR_LENGTH, attempt
    assert not leaks(attempt.error), attempt.error


async def test_no_log_line_has_the_key(pagerduty, caplog):
    caplog.set_level(logging.DEBUG)
    message = render(facts(), PUBLIC, "pagerduty")
    attempts = [await send_once(pagerduty.url(), message),
                await send_once(pagerduty.url(), render(facts(reason="resolved", resolved_at=facts().at), PUBLIC,
                                                        "pagerduty"))]
    pagerduty.status, pagerduty.answer = 400, {"message": "invalid", "errors": [KEY]}
    attempts.append(await send_once(pagerduty.url(), message))
    pagerduty.status, pagerduty.answer = 500, f"boom {KEY}"
    attempts.append(await send_once(pagerduty.url(), message))
    pagerduty.status, pagerduty.delay = 202, 1.0
    attempts.append(await send_once(pagerduty.url(), message, timeout=0.2))
    attempts.append(await send_once(f"http://127.0.0.1:{closed_port()}/", message))
    assert [a.ok for a in attempts] == [True, True, False, False, False, False], attempts
    assert not any(leaks(str(a)) for a in attempts), attempts
    for record in caplog.records:
        assert not leaks(record.getMessage()), record
    assert not leaks(caplog.text)


def test_the_repr_names_only_the_host():
    channel = PagerDutyChannel(KEY)
    assert repr(channel) == str(channel) == "PagerDutyChannel(events.pagerduty.com)"
    assert repr(PagerDutyChannel(KEY, url="https://proxy.example:8443/pd?token=abc")) == "PagerDutyChannel(proxy.example)"
