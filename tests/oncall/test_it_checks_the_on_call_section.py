"""The `on_call:` section: the worked example parses (layers in the core's shape,
overrides' ISO times with their offsets as instants), and each mistake is refused
as `config.yaml:<line>: on_call[i].<key path>: <message>`, the core's own checks
(check_layer) named down to the restriction's key."""

from __future__ import annotations

import pytest

from upstatd.config.load import ConfigError, load_config
from upstatd.oncall.layers import Layer, Restriction
from upstatd.oncall.rotations import Override

from oncallkit import utc

HEAD = "monitors: []\non_call:\n"
EXAMPLE = HEAD + """\
  - key: ops
    name: Ops
    layers:
      - users: [usr_anna, usr_bob]
        timezone: Europe/Riga
        starts_at: 2026-03-06T10:00
        length: weekly
      - users: [usr_lead]
        timezone: Europe/Riga
        starts_at: 2026-03-02 00:00:00
        length: weekly
        restrictions:
          - {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
    overrides:
      - {user: usr_anna, starts_at: "2026-03-31T18:00+03:00", ends_at: "2026-03-31T23:00+03:00"}
"""


def load(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_config(str(path), environ={})


def errors(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return [message.split("config.yaml:", 1)[1] for message in caught.value.messages]


def test_the_worked_example_parses(tmp_path):
    (ops,) = load(tmp_path, EXAMPLE).on_call
    assert (ops.key, ops.name) == ("ops", "Ops")
    assert ops.layers == (
        Layer(("usr_anna", "usr_bob"), "2026-03-06T10:00", "weekly", "Europe/Riga"),
        Layer(("usr_lead",), "2026-03-02T00:00", "weekly", "Europe/Riga",
              (Restriction(("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00"),)))
    assert ops.overrides == (Override("usr_anna", utc("2026-03-31T15:00:00"), utc("2026-03-31T20:00:00")),)


@pytest.mark.parametrize("old, new, expected", [
    ("length: weekly\n      - users: [usr_lead]", "length: fortnightly\n      - users: [usr_lead]",
     "9: on_call[0].layers[0].length: 'fortnightly' must be daily, weekly, <N>h (1-8784) or <N>d (1-366)"),
    ('end: "17:00"', 'end: "24:00"',
     "15: on_call[0].layers[1].restrictions[0].end: '24:00' must be a time of day like 09:00 (00:00-23:59)"),
    ('start: "09:00"', "start: 900",
     '15: on_call[0].layers[1].restrictions[0].start: must be a time of day in quotes like "09:00", got a number'),
    ("timezone: Europe/Riga\n        starts_at: 2026-03-06", "timezone: Europe/Rigaa\n        starts_at: 2026-03-06",
     "7: on_call[0].layers[0].timezone:"),
    ('ends_at: "2026-03-31T23:00+03:00"', 'ends_at: "2026-03-31T23:00"',
     "17: on_call[0].overrides[0].ends_at: must have an offset"),
    ('ends_at: "2026-03-31T23:00+03:00"', 'ends_at: "2026-03-31T17:00+03:00"',
     "17: on_call[0].overrides[0].ends_at: must be after starts_at"),
    ("users: [usr_anna, usr_bob]", "users: [usr_anna, bob]",
     "6: on_call[0].layers[0].users[1]: no person with key 'bob' (people keys: none defined; one made over the "
     "API is named by its id, usr_...)"),
    ("        length: weekly\n      - users", "        length: weekly\n        colour: red\n      - users",
     "10: on_call[0].layers[0].colour: unknown key (expected one of: length, restrictions, starts_at, timezone, "
     "users)"),
    ("    name: Ops\n", "", "3: on_call[0]: missing required key 'name'"),
])
def test_each_mistake_names_its_line_and_key(tmp_path, old, new, expected):
    assert old in EXAMPLE
    found = errors(tmp_path, EXAMPLE.replace(old, new, 1))
    assert any(message.startswith(expected) for message in found), found
