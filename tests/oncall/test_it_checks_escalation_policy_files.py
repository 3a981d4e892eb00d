"""The `escalation_policies` section's mistakes, each named by file, line and key
path: the pure core's complaints (check_policy's `steps[1].wait_seconds`) under
the file's own keys (`steps[1].wait`), targets naming no person, schedule or
channel of the file, a second default, and a monitor or heartbeat naming a
policy the file does not have (as when a policy is removed while one still names it)."""

from __future__ import annotations

import pytest

from upstatd.config.load import ConfigError, load_config

HEAD = """\
storage: {path: /tmp/upstatd-test/db}
alert_channels:
  - {key: mail, type: webhook, webhook: {url: "http://127.0.0.1:9/hook"}}
monitors:
  - {key: web, type: http, url: "http://127.0.0.1:9/", escalation_policy: ops}
escalation_policies:
  - key: ops
    steps:
      - {wait: 0s, targets: [{current_on_call: sch_ops}, {channel: mail}, {user: usr_anna}]}
"""
# the policy after HEAD's (from line 10), the line of the error, its key path and words
CASES = [
    ("  - key: two\n    steps: []\n", 11, "escalation_policies[1].steps", "1 to 20 steps"),
    ("  - key: two\n    steps:\n      - {targets: [{user: usr_a}]}\n      - {wait: 8d, targets: [{user: usr_a}]}\n",
     13, "escalation_policies[1].steps[1].wait", "must be <= 7d"),
    ("  - key: two\n    steps:\n      - {wait: soon, targets: [{user: usr_a}]}\n", 12,
     "escalation_policies[1].steps[0].wait", "must be a duration"),
    ("  - key: two\n    steps:\n      - {targets: []}\n", 12, "escalation_policies[1].steps[0].targets",
     "one or more targets"),
    ("  - key: two\n    steps:\n      - {targets: [{pager: x}]}\n", 12,
     "escalation_policies[1].steps[0].targets[0].pager", "unknown target"),
    ("  - key: two\n    steps:\n      - {targets: [{user: a, channel: mail}]}\n", 12,
     "escalation_policies[1].steps[0].targets[0]", "exactly one of"),
    ("  - key: two\n    steps:\n      - {targets: [{user: anna}]}\n", 12,
     "escalation_policies[1].steps[0].targets[0].user", "no people entry with key 'anna'"),
    ("  - key: two\n    steps:\n      - {targets: [{schedule_members: ops}]}\n", 12,
     "escalation_policies[1].steps[0].targets[0].schedule_members", "no on_call entry with key 'ops'"),
    ("  - key: two\n    steps:\n      - {targets: [{channel: sms}]}\n", 12,
     "escalation_policies[1].steps[0].targets[0].channel", "alert_channels keys: mail"),
    ("  - key: two\n    repeat: 1\n    steps:\n      - {targets: [{user: usr_a}]}\n", 10,
     "escalation_policies[1].repeat_delay", "repeat_delay plus the first step's wait must be at least 60"),
    ("  - key: two\n    repeat: 11\n    steps: [{targets: [{user: usr_a}]}]\n", 11,
     "escalation_policies[1].repeat", "must be <= 10"),
    ("  - key: two\n    repeet: 1\n    steps: [{targets: [{user: usr_a}]}]\n", 11, "escalation_policies[1].repeet",
     "did you mean 'repeat'?"),
    ("  - key: ops\n    steps: [{targets: [{user: usr_a}]}]\n", 10, "escalation_policies[1].key",
     "duplicate key 'ops'"),
]


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "upstatd.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    return [message.removeprefix(f"{path}:") for message in caught.value.messages]   # "<line>: <key>: ..."


@pytest.mark.parametrize("policy, line, where, words", CASES, ids=[case[3] for case in CASES])
def test_it_names_file_line_and_key(tmp_path, policy, line, where, words):
    [message] = problems(tmp_path, HEAD + policy)
    assert message.startswith(f"{line}: {where}: ") and words in message, message


def test_it_allows_one_default(tmp_path):
    default = "    default: true\n"
    [message] = problems(tmp_path, HEAD + default + "  - key: two\n" + default +
                         "    steps: [{targets: [{user: usr_a}]}]\n")
    assert message.startswith("12: escalation_policies[1].default: only one policy can be the default "
                              "(the first is on line 10)"), message


def test_a_subject_must_name_a_policy_of_the_file(tmp_path):
    removed = HEAD.split("escalation_policies:")[0] + "heartbeats:\n  - {key: backup, period: 1d, " \
                                                      "escalation_policy: nightly}\n"
    assert problems(tmp_path, removed) == [
        "5: monitors[0].escalation_policy: no escalation_policies entry with key 'ops' (escalation_policies "
        "keys: none defined; one made over the API is named by its id, esc_...)",
        "7: heartbeats[0].escalation_policy: no escalation_policies entry with key 'nightly' (escalation_policies "
        "keys: none defined; one made over the API is named by its id, esc_...)"]


def test_the_file_reads_into_the_cores_policy(tmp_path):
    path = tmp_path / "upstatd.yaml"
    path.write_text(HEAD + "    repeat: 2\n    repeat_delay: 10m\n    default: true\n")
    [spec] = load_config(str(path)).escalation_policies
    assert (spec.key, spec.name, spec.is_default) == ("ops", "ops", True)
    assert (spec.policy.repeat, spec.policy.repeat_delay_seconds) == (2, 600.0)
    assert [(target.type, target.id) for target in spec.policy.steps[0].targets] == [
        ("current_on_call", "sch_ops"), ("channel", "mail"), ("user", "usr_anna")]
    assert load_config(str(path)).monitors[0].escalation_policy == "ops"
