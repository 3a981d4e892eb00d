"""The template webhook sender against an aiohttp receiver on loopback: the
default body and a caller's template are JSON POSTs built from the message's
facts; a template that makes invalid JSON, fails or reaches for Python's
internals fails the attempt with a clear error and no retry, and sends
nothing; receivers' failures are failed attempts, retried or not."""

from __future__ import annotations

import json
import re
import time

import pytest
from alertkit import facts
from loopback import closed_port

from upstatd.alerts.message import TemplateProblem, render
from upstatd.alerts.webhook import TemplateWebhookChannel

PUBLIC = "https://status.example"
SLACK = """{"text": {{ subject|tojson }},
 "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": {{ ("*" ~ name ~ "* " ~ (error or "")) |tojson }}}}],
 "down_for": {{ down_for|tojson }}}"""


async def send(channel: TemplateWebhookChannel, message):
    try:
        return await channel.send(message)
    finally:
        await channel.close()


async def test_the_default_body_carries_the_facts(receiver):
    message = render(facts(name='shop "front" <end>', acknowledge_url="https://s/ack/t"), PUBLIC, "webhook")
    attempt = await send(TemplateWebhookChannel(receiver.url("/hook"), headers={"X-Token": "abc"}), message)
    assert attempt.ok and attempt.status_code == 200 and attempt.error is None, attempt
    [got] = receiver.got
    assert got.path == "/hook" and got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Token"] == "abc"
    body = json.loads(got.body)
    assert body["reason"] == "opened"
    assert body["subject"] == message.subject and body["text"] == message.text
    assert body["monitor"] == {"name": 'shop "front" <end>', "url": "https://shop.example/health", "type": "http"}
    assert body["incident"] == {"id": "inc_7Hq2", "url": "https://status.example/api/incidents/inc_7Hq2",
                                "started_at": "2023-11-14 22:13:20 UTC", "down_seconds": 725.0}
    assert body["error"] == {"kind": "timeout", "message": "no answer within 10s"}
    assert body["acknowledge_url"] == "https://s/ack/t" and body["resolve_url"] is None


async def test_a_slack_shaped_template(receiver):
    message = render(facts(reason="resolved", resolved_at=facts().started_at + 61), PUBLIC, "webhook")
    assert (await send(TemplateWebhookChannel(receiver.url(), body=SLACK), message)).ok
    body = json.loads(receiver.got[0].body)
    assert body["text"] == "[RECOVERED] monitor shop frontend is up again after 1m 1s"
    assert body["blocks"][0]["text"]["text"] == "*shop frontend* timeout: no answer within 10s"
    assert body["down_for"] == "1m 1s"


@pytest.mark.parametrize("template, error", [
    ('{"text": "{{ name }}", }', r"^body template did not make valid JSON: .* at line 1 column"),
    ('{"text": "{{ error_message }}"', r"^body template did not make valid JSON"),
    ('{"x": {{ no_such|tojson }}}', r"^body template: 'no_such' is undefined"),
    ('{"x": {{ name.__class__.__mro__|tojson }}}', r"^body template: refused by the sandbox"),
    ('{"x": {{ name.__class__|tojson }}}', r"^body template: refused by the sandbox"),
])
async def test_a_bad_body_fails_without_a_retry_and_sends_nothing(receiver, template, error):
    attempt = await send(TemplateWebhookChannel(receiver.url(), body=template), render(facts(), PUBLIC, "webhook"))
    assert not attempt.ok and attempt.retry is False and attempt.status_code is None, attempt
    assert attempt.error and re.match(error, attempt.error), attempt.error
    assert receiver.got == []


def test_a_template_that_does_not_compile_is_refused_at_once():
    with pytest.raises(TemplateProblem, match=r"^body template, line 1: "):
        TemplateWebhookChannel("http://127.0.0.1:9/", body="{{ }")


@pytest.mark.parametrize("status, retry", [(500, True), (503, True), (429, True), (408, True), (400, False),
                                           (404, False), (410, False)])
async def test_a_failing_receiver_is_a_failed_attempt(receiver, status, retry):
    receiver.status = status
    attempt = await send(TemplateWebhookChannel(receiver.url()), render(facts(), PUBLIC, "webhook"))
    assert not attempt.ok and attempt.status_code == status and attempt.retry is retry, attempt
    assert attempt.error.startswith(f"HTTP {status}: ")


async def test_a_slow_receiver_times_out(receiver):
    receiver.delay = 2.0
    started = time.monotonic()
    attempt = await send(TemplateWebhookChannel(receiver.url(), timeout=0.3), render(facts(), PUBLIC, "webhook"))
    assert not attempt.ok and attempt.retry is True and attempt.error == "no answer within 0.3s", attempt
    assert time.monotonic() - started < 1.0


async def test_a_closed_port_is_retried():
    attempt = await send(TemplateWebhookChannel(f"http://127.0.0.1:{closed_port()}/"),
                         render(facts(), PUBLIC, "webhook"))
    assert not attempt.ok and attempt.retry is True and attempt.status_code is None and attempt.error, attempt


async def test_a_shared_session_is_used_and_left_open(receiver):
    import aiohttp
    async with aiohttp.ClientSession() as session:
        channel = TemplateWebhookChannel(receiver.url(), session=session)
        for _ in range(2):
            assert (await channel.send(render(facts(), PUBLIC, "webhook"))).ok
        await channel.close()
        assert not session.closed
    assert len(receiver.got) == 2
