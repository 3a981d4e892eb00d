"""The `people:` section: every mistake names its file, line and key; a
channel or via key names a channel of the file (via: an email one); an id
(ch_...) is left to the database."""

from __future__ import annotations

import pytest

from upstatd.config.load import ConfigError

CHANNELS = """\
alert_channels:
  - {key: relay, type: email, email: {host: 127.0.0.1, from: a@example.com, to: [b@example.com]}}
  - {key: chat, type: webhook, webhook: {url: "http://127.0.0.1:9/x"}}
"""
CASES = [
    pytest.param("""\
        people:
          - key: anna
            name: Anna
            timezone: Mars/Base
        """, ["7: people[0].timezone: unknown time zone 'Mars/Base' (use an IANA name like Europe/Riga or UTC)"],
        id="timezone"),
    pytest.param("""\
        people:
          - key: anna
            name: Anna
            contact_methods:
              - channel: nope
              - email: anna@example.com
                via: chat
              - apprise: "nosuch://s3cret"
              - {email: bad}
              - {channel: chat, email: a@example.com}
              - {email: a@example.com, via: ch_made_over_the_api}
        """, ["8: people[0].contact_methods[0].channel: no alert channel with key 'nope' (alert_channels keys: "
              "chat, relay; a channel made over the API is named by its id, ch_...)",
              "10: people[0].contact_methods[1].via: must name an email channel (its SMTP server sends the mail), "
              "but 'chat' is of type webhook (email channels: relay)",
              "11: people[0].contact_methods[2].apprise: Apprise cannot use this URL (scheme 'nosuch'); see "
              "https://github.com/caronc/apprise/wiki for the URL of each service",
              "12: people[0].contact_methods[3].email: must be an email address like ops@example.com, got 'bad'",
              "13: people[0].contact_methods[4]: must have exactly one of channel, email, apprise, got channel "
              "and email"], id="methods"),
    pytest.param("""\
        people:
          - key: anna
            name: Anna
          - key: anna
            name: Bob
          - name: Carl
            colour: red
          - {key: dan, name: Dan, contact_methods: {channel: chat}}
        """, ["7: people[1].key: duplicate key 'anna' (first used on line 5)",
              "9: people[2]: missing required key 'key'",
              "10: people[2].colour: unknown key (expected one of: contact_methods, email, key, metadata, name, "
              "timezone)",
              "11: people[3].contact_methods: must be a list of contact methods, got a mapping"], id="entries"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_every_mistake_names_its_line_and_key(make_config, tmp_path, text, expected):
    import textwrap
    with pytest.raises(ConfigError) as caught:
        make_config(CHANNELS + textwrap.dedent(text))
    path = tmp_path / "config.yaml"
    assert caught.value.messages == [f"{path}:{message}" for message in expected]
    assert not any("s3cret" in message for message in caught.value.messages)


def test_a_good_person_parses_with_its_defaults(make_config):
    config = make_config(CHANNELS + "people:\n  - {key: anna, name: Anna, contact_methods: [{email: a@example.com}]}\n")
    [anna] = config.people
    assert (anna.key, anna.name, anna.email, anna.timezone, anna.contact_methods) == (
        "anna", "Anna", None, "UTC", ({"email": "a@example.com"},))
