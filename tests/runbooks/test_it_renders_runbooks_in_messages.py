"""The runbooks of a message, pure (alerts/message.py): `notes` keeps a runbook's
first three steps and counts the rest; every channel type's default templates
name the runbooks (email text and HTML, Apprise text, the webhook body), the
HTML escaping a hostile title and steps; a message without runbooks reads as
before."""

from __future__ import annotations

import json

import pytest
from notifykit import facts

from upstatd.alerts.message import FIRST_STEPS, RunbookNote, notes, render
from upstatd.alerts.webhook import TemplateWebhookChannel

PUBLIC = "https://status.example"


def _url(runbook_id: str) -> str:
    return f"{PUBLIC}/runbooks/{runbook_id}?t=tok"


@pytest.mark.parametrize("steps, shown, more", [
    ([], (), 0),
    (["a"], ("a",), 0),
    (["a", "b", "c"], ("a", "b", "c"), 0),
    (["a", "b", "c", "d"], ("a", "b", "c"), 1),
    ([str(n) for n in range(10)], ("0", "1", "2"), 7),
])
def test_it_keeps_the_first_steps_and_counts_the_rest(steps, shown, more):
    [note] = notes([("rbk_1", "Title", steps)], _url)
    assert note == RunbookNote(id="rbk_1", title="Title", url=_url("rbk_1"), api_path="/api/runbooks/rbk_1",
                               steps=shown, more_steps=more)
    assert FIRST_STEPS == 3


HOSTILE = notes([("rbk_x", "<script>alert(1)</script>", ["<b>bold</b> & more", "two", "three", "four"])], _url)


def test_the_email_html_escapes_the_runbook():
    html = render(facts(runbooks=HOSTILE), PUBLIC, "email").html
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert f'<a href="{_url("rbk_x")}">&lt;script&gt;alert(1)&lt;/script&gt;</a>' in html
    assert "<li>&lt;b&gt;bold&lt;/b&gt; &amp; more</li>" in html and "1 more step:" in html


@pytest.mark.parametrize("channel_type", ["email", "apprise", "webhook", "pagerduty"])
def test_every_channel_types_text_names_the_runbook(channel_type):
    text = render(facts(runbooks=HOSTILE), PUBLIC, channel_type).text
    assert "<script>alert(1)</script>" in text and _url("rbk_x") in text  # text is not HTML: as written
    assert "  1. <b>bold</b> & more\n  2. two\n  3. three\n  ... 1 more step\n" in text and "four" not in text


def test_without_runbooks_a_message_reads_as_before():
    for channel_type in ("email", "apprise"):
        message = render(facts(), PUBLIC, channel_type)
        assert "Runbook" not in message.text and "Runbook" not in message.html


def test_the_default_webhook_body_lists_the_runbooks():
    channel = TemplateWebhookChannel("http://127.0.0.1:9/")
    body = json.loads(channel.body(render(facts(runbooks=HOSTILE), PUBLIC, "webhook")))
    assert body["runbooks"] == [{"id": "rbk_x", "title": "<script>alert(1)</script>", "url": _url("rbk_x"),
                                 "api_path": "/api/runbooks/rbk_x", "steps": ["<b>bold</b> & more", "two", "three"],
                                 "more_steps": 1}]
    assert json.loads(channel.body(render(facts(), PUBLIC, "webhook")))["runbooks"] == []
