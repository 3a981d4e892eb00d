"""The `runbooks` section's mistakes, each named by file, line and key path: a
missing title or steps, an empty or non-string step, an unknown key, a bad
runbook key, and a linked key that names no entry of the file (monitors,
heartbeats, escalation policies, services); ids of ones made over the API pass."""

from __future__ import annotations

import pytest

from upstatd.config.load import ConfigError, load_config

HEAD = """\
storage: {path: /tmp/upstatd-test/db}
monitors:
  - {key: pg-tcp, type: tcp, url: "tcp://127.0.0.1:9"}
heartbeats:
  - {key: backup, period: 1d}
runbooks:
  postgres-down:
    title: Postgres is down
    steps: [Check the disk, Fail over]
    linked_to: {monitors: [pg-tcp, mon_made0ver0api], heartbeats: [backup], services: [svc_made0ver0api]}
"""
# the runbook after HEAD's (from line 11), the line of the error, its key path and words
CASES = [
    ("  two:\n    steps: [x]\n", 11, "runbooks.two", "missing required key 'title'"),
    ("  two:\n    title: Two\n", 11, "runbooks.two", "missing required key 'steps'"),
    ("  two:\n    title: Two\n    steps: []\n", 13, "runbooks.two.steps", "1 to 100 steps"),
    ("  two:\n    title: Two\n    steps: [ok, '  ']\n", 13, "runbooks.two.steps[1]", "must not be empty"),
    ("  two:\n    title: Two\n    steps: [ok, 3]\n", 13, "runbooks.two.steps[1]", "must be a string"),
    ("  two:\n    title: Two\n    steps: [x]\n    tags: [db, '']\n", 14, "runbooks.two.tags[1]", "must not be empty"),
    ("  two:\n    title: Two\n    steps: [x]\n    tag: [db]\n", 14, "runbooks.two.tag", "did you mean 'tags'?"),
    ("  'bad key':\n    title: Two\n    steps: [x]\n", 11, "runbooks.bad key", "not a valid runbook key"),
    ("  two:\n    title: Two\n    steps: [x]\n    linked_to: {monitors: [pg-tcp, pg-http]}\n", 14,
     "runbooks.two.linked_to.monitors[1]", "no monitors entry with key 'pg-http' (monitors keys: pg-tcp;"),
    ("  two:\n    title: Two\n    steps: [x]\n    linked_to: {heartbeats: [nightly]}\n", 14,
     "runbooks.two.linked_to.heartbeats[0]", "no heartbeats entry with key 'nightly'"),
    ("  two:\n    title: Two\n    steps: [x]\n    linked_to: {escalation_policies: [ops]}\n", 14,
     "runbooks.two.linked_to.escalation_policies[0]", "escalation_policies keys: none defined"),
    ("  two:\n    title: Two\n    steps: [x]\n    linked_to: {services: [postgres]}\n", 14,
     "runbooks.two.linked_to.services[0]", "no services entry with key 'postgres'"),
    ("  two:\n    title: Two\n    steps: [x]\n    linked_to: {teams: [dba]}\n", 14,
     "runbooks.two.linked_to.teams", "unknown key"),
]


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "upstatd.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    return [message.removeprefix(f"{path}:") for message in caught.value.messages]   # "<line>: <key>: ..."


def test_the_head_is_a_valid_file(tmp_path):
    path = tmp_path / "upstatd.yaml"
    path.write_text(HEAD)
    (runbook,) = load_config(str(path)).runbooks
    assert (runbook.key, runbook.title, runbook.steps) == ("postgres-down", "Postgres is down",
                                                           ("Check the disk", "Fail over"))
    assert runbook.linked_to == {"monitors": ("pg-tcp", "mon_made0ver0api"), "heartbeats": ("backup",),
                                 "services": ("svc_made0ver0api",)}


@pytest.mark.parametrize("more, line, key, words", CASES, ids=[case[2] + ":" + case[3][:20] for case in CASES])
def test_it_names_the_line_and_key(tmp_path, more, line, key, words):
    found = problems(tmp_path, HEAD + more)
    assert len(found) == 1, found
    assert found[0].startswith(f"{line}: {key}: "), found
    assert words in found[0], found


def test_the_section_is_a_mapping(tmp_path):
    found = problems(tmp_path, HEAD.split("runbooks:")[0] + "runbooks:\n  - {title: x, steps: [y]}\n")
    assert found == ["6: runbooks: must be a mapping of runbook keys to runbooks ({title, steps, ...}), got a list"]


def test_a_link_mistake_is_named_with_the_files_other_mistakes(tmp_path):
    # a monitor with a mistake of its own keeps its key: linking to it is no second error
    text = HEAD.replace('url: "tcp://127.0.0.1:9"}', 'url: "tcp://127.0.0.1:9", interval: soon}') + \
        "  two:\n    title: Two\n    steps: [x]\n    linked_to: {monitors: [pg-tcp, pg-http]}\n"
    found = problems(tmp_path, text)
    assert [message.split(":")[1].strip() for message in found] == ["monitors[0].interval",
                                                                     "runbooks.two.linked_to.monitors[1]"], found
