"""The `heartbeats:` and `pings:` sections: a good one parses with its defaults,
and every mistake is refused as `config.yaml:<line>: heartbeats[i].<field>: <message>`.

Each case is a real file loaded like the daemon loads it; `expected` lists every
message without the leading "<path>:", so a case fails on a wrong line, path,
wording, order or an extra message.
"""

from __future__ import annotations

import pytest

from upstatd.config.heartbeats import DEFAULT_GRACE, HEARTBEAT_KEYS, HeartbeatSpec, PingSettings
from upstatd.config.load import ConfigError
from upstatd.heartbeats.keywords import BodyKeywords
from upstatd.heartbeats.schedule import Schedule

TOKEN = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
KEYS = ", ".join(sorted(HEARTBEAT_KEYS))
NEEDS_ONE = ("needs exactly one of period (like 1h), cron (like \"0 3 * * *\") or oncalendar "
             "(like \"Mon..Fri 09:00\"), got ")
UUID_HINT = f"must be a UUID like {TOKEN}, got "
ZONE_HINT = "(use an IANA name like Europe/Riga or UTC)"


def test_a_good_section_parses_with_its_defaults(make_config):
    config = make_config(f"""\
        heartbeats:
          - key: backup
            period: 1d
          - key: Nightly-DB
            name: Nightly DB dump
            slug: nightly-db
            cron: "0  3 * * *"
            timezone: Europe/Riga
            grace: 15m
            token: "{TOKEN.upper()}"
            methods: post
            manual_resume: true
            severity: minor
            tags: [db, nightly]
            metadata: {{team: ops}}
          - key: office
            oncalendar: "Mon..Fri 09:00"
          - key: office-list
            oncalendar: ["Mon..Fri 09:00", "Sat 12:00 Europe/Riga"]
            timezone: America/New_York
          - key: office-lines
            oncalendar: |
              Mon..Fri 09:00

              Sat 12:00 Europe/Riga
          - key: quick
            period: 90
            grace: 0
        pings:
          body_limit: 100KiB
          key: abcdefghijklmnop_-
          keep: 50
        """)
    assert config.heartbeats == (
        HeartbeatSpec("backup", "backup", "backup", Schedule("period", period=86400.0), DEFAULT_GRACE, None,
                      "any", False, "critical", (), {}),
        HeartbeatSpec("Nightly-DB", "Nightly DB dump", "nightly-db",
                      Schedule("cron", expression="0 3 * * *", timezone="Europe/Riga"), 900.0, TOKEN,
                      "post", True, "minor", ("db", "nightly"), {"team": "ops"}),
        HeartbeatSpec("office", "office", "office", Schedule("oncalendar", expression="Mon..Fri 09:00"),
                      DEFAULT_GRACE, None, "any", False, "critical", (), {}),
        HeartbeatSpec("office-list", "office-list", "office-list",
                      Schedule("oncalendar", expression="Mon..Fri 09:00\nSat 12:00 Europe/Riga",
                               timezone="America/New_York"),
                      DEFAULT_GRACE, None, "any", False, "critical", (), {}),
        HeartbeatSpec("office-lines", "office-lines", "office-lines",
                      Schedule("oncalendar", expression="Mon..Fri 09:00\nSat 12:00 Europe/Riga"),
                      DEFAULT_GRACE, None, "any", False, "critical", (), {}),
        HeartbeatSpec("quick", "quick", "quick", Schedule("period", period=90.0), 0.0, None,
                      "any", False, "critical", (), {}),
    )
    assert DEFAULT_GRACE == 3600.0
    assert config.pings == PingSettings(body_limit=100 * 1024, key="abcdefghijklmnop_-", keep=50)


def test_no_sections_no_heartbeats_default_pings(make_config):
    config = make_config("""\
        monitors:
          - {key: web, type: tcp, url: "tcp://127.0.0.1:1"}
        heartbeats:
        pings:
        """)
    assert config.heartbeats == ()
    assert config.pings == PingSettings(body_limit=100 * 1024, key=None, keep=1000)


@pytest.mark.parametrize("body_limit, size", [
    ("100KiB", 100 * 1024), ("1MiB", 1024 * 1024), ("10kB", 10_000), ("4096", 4096), (0, 0), (4096, 4096),
])
def test_body_limits(make_config, body_limit, size):
    assert make_config(f"pings: {{body_limit: {body_limit!r}}}\n").pings.body_limit == size


CASES = [
    pytest.param(
        """\
        heartbeats:
          - key: a
            grace: 5m
        """,
        [f"2: heartbeats[0]: {NEEDS_ONE}none"], id="no-schedule"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            period: 1h
            cron: "0 3 * * *"
          - key: b
            period: 1h
            cron: "0 3 * * *"
            oncalendar: daily
        """,
        [f"2: heartbeats[0]: {NEEDS_ONE}period and cron",
         f"5: heartbeats[1]: {NEEDS_ONE}period and cron and oncalendar"], id="two-and-three-schedules"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            cron: "0 3 * *"
          - key: b
            cron: "@daily"
          - key: c
            cron: "0 0 3 * * *"
        """,
        ["3: heartbeats[0].cron: '0 3 * *' is not a 5-field cron expression "
         "(minute hour day-of-month month day-of-week), it has 4 fields",
         "5: heartbeats[1].cron: '@daily' is not a 5-field cron expression "
         "(minute hour day-of-month month day-of-week), it has 1 field",
         "7: heartbeats[2].cron: '0 0 3 * * *' is not a 5-field cron expression "
         "(minute hour day-of-month month day-of-week), it has 6 fields"],
        id="cron-field-count"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            cron: "61 * * * *"
          - key: b
            cron: "0 0 32 * *"
          - key: c
            cron: "0 0 * * 8"
        """,
        ["3: heartbeats[0].cron: '61 * * * *' is not a valid cron expression: bad minute",
         "5: heartbeats[1].cron: '0 0 32 * *' is not a valid cron expression: bad day-of-month",
         "7: heartbeats[2].cron: '0 0 * * 8' is not a valid cron expression: bad day-of-week"],
        id="cron-bad-field"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            cron: "0 0 30 2 *"
          - key: b
            cron: "0 0 31 4,6,9,11 *"
        """,
        ["3: heartbeats[0].cron: '0 0 30 2 *' never matches a date: none of its months has day 30",
         "5: heartbeats[1].cron: '0 0 31 4,6,9,11 *' never matches a date: none of its months has day 31"],
        id="cron-never-matches"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            cron: 5
          - key: b
            cron: ""
          - key: c
            cron: ["0 3 * * *"]
        """,
        ["3: heartbeats[0].cron: must be a cron expression like \"0 3 * * *\", got a number",
         "5: heartbeats[1].cron: must be a cron expression like \"0 3 * * *\", got an empty string",
         "7: heartbeats[2].cron: must be a cron expression like \"0 3 * * *\", got a list"],
        id="cron-not-a-string"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            oncalendar: "Mon..Fri 25:00"
          - key: b
            oncalendar:
              - Mon..Fri 09:00
              - bogus
          - key: c
            oncalendar: "2020-01-01 00:00"
        """,
        ["3: heartbeats[0].oncalendar: 'Mon..Fri 25:00' is not a valid OnCalendar expression: bad hour",
         "5: heartbeats[1].oncalendar: 'bogus' is not a valid OnCalendar expression: bad day-of-week",
         "9: heartbeats[2].oncalendar: '2020-01-01 00:00' never matches a date before 2200"],
        id="oncalendar-bad"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            oncalendar: []
          - key: b
            oncalendar:
              - Mon..Fri 09:00
              - 5
          - key: c
            oncalendar: " "
        """,
        ["3: heartbeats[0].oncalendar: must be OnCalendar lines like \"Mon..Fri 09:00\" "
         "(a string, or a list of them), got an empty list",
         "7: heartbeats[1].oncalendar[1]: must be an OnCalendar line like \"Mon..Fri 09:00\", got a number",
         "9: heartbeats[2].oncalendar: must be OnCalendar lines like \"Mon..Fri 09:00\" "
         "(a string, or a list of them), got an empty string"],
        id="oncalendar-empty-or-not-strings"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            oncalendar: "Sat 12:00 Mars/Olympus"
        """,
        [f"3: heartbeats[0].oncalendar: 'Sat 12:00 Mars/Olympus': unknown time zone 'Mars/Olympus' {ZONE_HINT}"],
        id="oncalendar-unknown-zone-on-a-line"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            cron: "0 3 * * *"
            timezone: Mars/Olympus
          - key: b
            period: 1h
            timezone: Europe/Rigga
          - key: c
            period: 1h
            timezone: 2
        """,
        [f"4: heartbeats[0].timezone: unknown time zone 'Mars/Olympus' {ZONE_HINT}",
         f"7: heartbeats[1].timezone: unknown time zone 'Europe/Rigga' {ZONE_HINT}",
         "10: heartbeats[2].timezone: must be an IANA time zone name like Europe/Riga, got a number"],
        id="unknown-timezone"),
    pytest.param(
        f"""\
        heartbeats:
          - key: a
            period: 1h
            token: not-a-uuid
          - key: b
            period: 1h
            token: "{TOKEN.replace('-', '')}"
          - key: c
            period: 1h
            token: "{{{TOKEN}}}"
          - key: d
            period: 1h
            token: 42
        """,
        [f"4: heartbeats[0].token: {UUID_HINT}'not-a-uuid'",
         f"7: heartbeats[1].token: {UUID_HINT}'{TOKEN.replace('-', '')}'",
         f"10: heartbeats[2].token: {UUID_HINT}'{{{TOKEN}}}'",
         f"13: heartbeats[3].token: {UUID_HINT}a number"],
        id="bad-token"),
    pytest.param(
        f"""\
        heartbeats:
          - key: a
            period: 1h
            token: "{TOKEN}"
          - key: a
            period: 1h
          - key: b
            slug: a
            period: 1h
          - key: c
            period: 1h
            token: "{TOKEN.upper()}"
        """,
        ["5: heartbeats[1].key: duplicate key 'a' (first used on line 2)",
         "8: heartbeats[2].slug: duplicate slug 'a' (first used on line 2)",
         f"12: heartbeats[3].token: duplicate token '{TOKEN.upper()}' (first used on line 4)"],
        id="duplicate-key-slug-token"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            slug: backup
            period: 1h
          - key: backup
            period: 1h
        """,
        ["5: heartbeats[1].key: duplicate slug 'backup' (first used on line 3); "
         "the slug defaults to the key: give this one a slug"],
        id="duplicate-slug-from-the-key"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            period: 1h
            interval: 5m
        pings:
          limit: 5
        """,
        [f"4: heartbeats[0].interval: unknown key (expected one of: {KEYS})",
         "6: pings.limit: unknown key (expected one of: body_limit, keep, key)"],
        id="unknown-keys"),
    pytest.param(
        """\
        pings:
          body_limit: -1
        """,
        ["2: pings.body_limit: must be at least 0 bytes"], id="body-limit-negative"),
    pytest.param(
        """\
        pings:
          body_limit: lots
        """,
        ["2: pings.body_limit: must be a size like 100KiB, 1MiB or 4096 (bytes), got 'lots'"],
        id="body-limit-words"),
    pytest.param(
        """\
        pings:
          body_limit: 11MiB
          key: short
          keep: 0
        """,
        ["2: pings.body_limit: must be at most 10485760 bytes (10240 KiB)",
         "3: pings.key: 'short' is not valid: 16 to 64 letters, digits, '-' and '_'",
         "4: pings.keep: must be >= 1"],
        id="pings-limits"),
    pytest.param(
        """\
        heartbeats:
          - key: a
            period: 0s
          - key: b
            period: 1h
            grace: 400d
          - key: c
            period: 1h
            methods: get
          - key: d
            period: 1h
            manual_resume: yes please
        """,
        ["3: heartbeats[0].period: must be >= 1s",
         "6: heartbeats[1].grace: must be <= 365d",
         "9: heartbeats[2].methods: must be one of any, post, got 'get'",
         "12: heartbeats[3].manual_resume: must be true or false, got a string"],
        id="period-grace-methods-manual-resume"),
    pytest.param(
        """\
        heartbeats:
          - period: 1h
          - key: "a b"
            period: 1h
        """,
        ["2: heartbeats[0]: missing required key 'key'",
         "3: heartbeats[1].key: 'a b' is not valid: use letters, digits, '-', '_' and '.'"],
        id="missing-and-bad-key"),
    pytest.param(
        """\
        heartbeats:
          backup:
            period: 1h
        """,
        ["1: heartbeats: must be a list of heartbeats, got a mapping"], id="not-a-list"),
]


CASES += [
    pytest.param(
        """\
        heartbeats:
          - key: a
            period: 1h
            body_keywords: {}
          - key: b
            period: 1h
            body_keywords: {failure: error, succes: [ok]}
          - key: c
            period: 1h
            body_keywords: {failure: [" ", ok], otherwise: fail}
          - key: d
            period: 1h
            body_keywords: [error]
        """,
        ["4: heartbeats[0].body_keywords: needs at least one keyword in start, success or failure",
         "7: heartbeats[1].body_keywords.succes: unknown key "
         "(did you mean 'success'? expected one of: failure, otherwise, start, success)",
         "7: heartbeats[1].body_keywords.failure: must be a list of strings, got a string",
         "10: heartbeats[2].body_keywords.failure[0]: must not be blank",
         "10: heartbeats[2].body_keywords.otherwise: must be one of success, failure, ignore, got 'fail'",
         "13: heartbeats[3].body_keywords: must be a mapping, got a list"],
        id="body-keywords"),
]


@pytest.mark.parametrize("keywords, expected", [
    pytest.param("{failure: [ERROR, Traceback]}", BodyKeywords(failure=("ERROR", "Traceback"), otherwise="success"),
                 id="failure-only-otherwise-success"),
    pytest.param("{success: [done], start: [begin]}", BodyKeywords(start=("begin",), success=("done",),
                                                                   otherwise="ignore"),
                 id="success-listed-otherwise-ignore"),
    pytest.param("{success: [done], otherwise: failure}", BodyKeywords(success=("done",), otherwise="failure"),
                 id="otherwise-given"),
    pytest.param("null", None, id="null-none"),
])
def test_body_keywords_and_their_default(make_config, keywords, expected):
    config = make_config(f"heartbeats:\n  - {{key: a, period: 1h, body_keywords: {keywords}}}\n")
    assert config.heartbeats[0].body_keywords == expected


@pytest.mark.parametrize("text, expected", CASES)
def test_every_mistake_names_its_line_and_field(make_config, tmp_path, text, expected):
    with pytest.raises(ConfigError) as caught:
        make_config(text)
    path = tmp_path / "config.yaml"
    assert caught.value.messages == [f"{path}:{message}" for message in expected]
