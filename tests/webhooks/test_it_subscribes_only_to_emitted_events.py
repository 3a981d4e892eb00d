"""A webhook endpoint's `events` accept only event types upstatd emits, and
patterns matching at least one of them, the same way in the config file and
over the API: a reserved type (none now: `incident.escalated` was, until
escalation policies emitted it) is refused saying so; `ping` is the test event, not subscribable. The file's refusal names
file, line and key; the API's is a 422 naming the param."""

from __future__ import annotations

import textwrap

import pytest

from upstatd.config.load import ConfigError, load_config
from upstatd.events import EMITTED, RESERVED, TYPES

HEAD = 'server: {listen: "127.0.0.1:8080"}\nstorage: {path: /tmp/upstatd-test/db}\nmonitors: []\n'
SECRET = "0123456789abcdef"

# patterns, the index of the refused one (None: all accepted), words of the refusal
CASES = [
    (["incident.escalated"], None, ""),
    (["incident.esc*"], None, ""),
    (["ping"], 0, "'ping' is the test event: POST /api/webhook-endpoints/{id}/test sends it"),
    (["pi*"], 0, "'pi*' matches no event type"),
    (["nope.*"], 0, "'nope.*' matches no event type"),
    (["monitor.down", "ping"], 1, "is the test event"),
    (["monitor.down", "heartbeat.*", "incident.*", "*", "*.down", "webhook_endpoint.disabled"], None, ""),
    *(([kind], None, "") for kind in EMITTED),
]
IDS = [",".join(case[0]) for case in CASES]


def test_emitted_reserved_and_test_types_split_the_types():
    assert RESERVED == () and "incident.escalated" in EMITTED
    assert set(EMITTED) | set(RESERVED) | {"ping"} == set(TYPES) and "ping" not in EMITTED
    assert not set(EMITTED) & set(RESERVED)


@pytest.mark.parametrize("patterns, bad, words", CASES, ids=IDS)
def test_the_config_file_names_file_line_and_key(tmp_path, patterns, bad, words):
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + textwrap.dedent(f"""\
        webhooks:
          - key: ops
            url: https://hooks.example.com/upstat
            events: [{", ".join(f'"{item}"' for item in patterns)}]
            secret: "{SECRET}"
        """))
    if bad is None:
        assert load_config(str(path), environ={}).webhooks[0].events == tuple(patterns)
        return
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), environ={})
    (message,) = caught.value.messages
    assert message.startswith(f"{path}:7: webhooks[0].events[{bad}]: "), message
    assert words in message, message


@pytest.mark.parametrize("patterns, bad, words", CASES, ids=IDS)
async def test_the_api_answers_422_naming_the_param(api, patterns, bad, words):
    status, _, answer = await api.request("POST", "/api/webhook-endpoints", json={
        "url": "https://hooks.example.com/upstat", "events": patterns, "enabled": False})
    if bad is None:
        assert status == 201 and answer["events"] == patterns, answer
        status, _, changed = await api.request("PATCH", f"/api/webhook-endpoints/{answer['id']}",
                                               json={"events": ["ping"]})
        assert (status, changed["error"]["param"]) == (422, "events.0"), changed
        return
    assert status == 422, answer
    error = answer["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", f"events.{bad}"), error
    assert words in error["message"], error["message"]
