"""The `webhooks:` section: a good one parses (secrets through ${VAR}), and
every mistake is refused as `config.yaml:<line>: webhooks[i].<field>: <message>`,
without ever quoting a secret."""

from __future__ import annotations

import textwrap

import pytest

from upstatd.config.load import ConfigError, load_config
from upstatd.config.webhooks import WebhookSpec, matches

HEAD = 'server: {listen: "127.0.0.1:8080"}\nstorage: {path: /tmp/upstatd-test/db}\nmonitors: []\n'


def load(tmp_path, text: str, environ: dict | None = None):
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + textwrap.dedent(text))
    return load_config(str(path), environ=environ or {})


def errors(tmp_path, text: str, environ: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, environ)
    prefix = str(tmp_path / "config.yaml") + ":"
    return [message.removeprefix(prefix) for message in caught.value.messages]


def test_a_good_section_parses(tmp_path):
    config = load(tmp_path, """\
        webhooks:
          - key: ops
            url: https://hooks.example.com/upstat
            events: [incident.*, monitor.down]
            secret: ${HOOK_SECRET}
            description: the on-call bridge
            metadata: {team: ops}
          - key: all.of-them_2
            url: "http://127.0.0.1:9000/hook?x=1"
            events: ["*"]
            secret: "0123456789abcdef"
            enabled: false
        """, {"HOOK_SECRET": "a-long-enough-secret"})
    assert config.webhooks == (
        WebhookSpec("ops", "https://hooks.example.com/upstat", ("incident.*", "monitor.down"),
                    "a-long-enough-secret", True, "the on-call bridge", {"team": "ops"}),
        WebhookSpec("all.of-them_2", "http://127.0.0.1:9000/hook?x=1", ("*",), "0123456789abcdef", False),
    )


def test_no_section_no_endpoints(tmp_path):
    assert load(tmp_path, "webhooks:\n").webhooks == ()
    assert load(tmp_path, "").webhooks == ()


def test_every_mistake_has_its_line_and_path(tmp_path):
    assert errors(tmp_path, """\
        webhooks:
          - key: a
            url: ftp://example.com
            events: [incident.*, nope.*, ping]
            secret: short
            colour: red
          - key: a
            url: https://example.com
            events: []
            secret: ${SECRET}
          - url: https://example.com
          - key: c
            url: https://example.com
            events: "*"
            secret: 0123456789abcdef
            enabled: "yes"
            metadata: {k: 1}
        """, {"SECRET": "x" * 300}) == [
        "6: webhooks[0].url: must be an http:// or https:// URL like https://example.com/hooks, "
        "got 'ftp://example.com'",
        "7: webhooks[0].events[1]: 'nope.*' matches no event type (types: "
        + "monitor.created, monitor.updated, monitor.paused, monitor.unpaused, monitor.deleted, monitor.up, "
          "monitor.down, monitor.degraded, heartbeat.up, heartbeat.late, heartbeat.down, heartbeat.new, heartbeat.deleted, "
          "incident.created, incident.acknowledged, incident.resolved, incident.reopened, incident.closed, "
          "incident.commented, incident.updated, incident.escalated, webhook_endpoint.disabled, maintenance.scheduled, "
          "maintenance.started, maintenance.ended, status_page.created, status_page.updated, "
          "status_page.deleted, status_report.created, status_report.updated, status_report.deleted, "
          "on_call_schedule.created, on_call_schedule.updated, on_call_schedule.deleted, on_call.changed; patterns "
          "like incident.* and * work)",
        "8: webhooks[0].secret: must be at least 16 characters long, got 5 (use a random string, e.g. from "
        "`openssl rand -hex 32`, through ${VAR})",
        "9: webhooks[0].colour: unknown key (expected one of: description, enabled, events, key, metadata, "
        "secret, url)",
        "10: webhooks[1].key: duplicate key 'a' (first used on line 5)",
        "12: webhooks[1].events: must name at least one event type or pattern (\"*\" is every event)",
        "13: webhooks[1].secret: must be at most 200 characters long, got 300",
        "14: webhooks[2]: missing required key 'key'",
        "14: webhooks[2]: missing required key 'events'",
        "14: webhooks[2]: missing required key 'secret'",
        "17: webhooks[3].events: must be a list of event types or patterns like incident.* or *, got a string",
        "19: webhooks[3].enabled: must be true or false, got a string",
        "20: webhooks[3].metadata.k: must be a string, got a number",
    ]


def test_a_secret_is_never_quoted(tmp_path):
    messages = errors(tmp_path, """\
        webhooks:
          - {key: a, url: "https://example.com", events: ["*"], secret: "${S}"}
        """, {"S": "tiny-secret"})
    assert len(messages) == 1 and "tiny-secret" not in messages[0] and "got 11" in messages[0]


def test_not_a_list(tmp_path):
    assert errors(tmp_path, "webhooks: {key: a}\n") == [
        "4: webhooks: must be a list of webhook endpoints, got a mapping"]


@pytest.mark.parametrize("patterns, kind, matched", [
    (["*"], "monitor.down", True), (["incident.*"], "incident.created", True),
    (["incident.*"], "monitor.down", False), (["monitor.down"], "monitor.downgraded", False),
    (["heartbeat.*", "monitor.up"], "monitor.up", True), (["*.down"], "heartbeat.down", True),
])
def test_patterns(patterns, kind, matched):
    assert matches(patterns, kind) is matched
