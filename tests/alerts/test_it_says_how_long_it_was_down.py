"""A recovery message says how long it was down (from the incident's start to
its resolution, not to when the message is made), in every part."""

from __future__ import annotations

import pytest
from alertkit import START, facts

from upstatd.alerts.message import render


@pytest.mark.parametrize("down, text", [(42, "42s"), (125, "2m 5s"), (3 * 3600 + 60, "3h 1m"), (2 * 86400, "2d")])
@pytest.mark.parametrize("channel_type", ["email", "apprise", "webhook"])
def test_a_recovery_says_how_long_it_was_down(down, text, channel_type):
    message = render(facts(reason="resolved", resolved_at=START + down, at=START + down + 999),
                     "https://status.example", channel_type)
    assert message.subject.endswith(f"is up again after {text}")
    assert f"after {text}" in message.text or f"for {text}" in message.text
    assert message.context["down_seconds"] == down
    assert "timeout" not in message.text  # the error is over
    if channel_type == "email":
        assert f"down for {text}" in message.text and f"down for {text}" in message.html


def test_an_open_incident_says_how_long_it_has_been_down_so_far():
    message = render(facts(at=START + 90))
    assert "Down since 2023-11-14 22:13:20 UTC (1m 30s)." in message.text
