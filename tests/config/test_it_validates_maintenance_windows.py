"""The `maintenance:` section: good windows parse (one-off times in the window's
zone, recurring rules checked), and every mistake is refused as
`config.yaml:<line>: maintenance[i].<key>: <message>`."""

from __future__ import annotations

from datetime import datetime, timezone as tz

import pytest

from upstatd.config.load import ConfigError
from upstatd.maintenance.windows import Window

HEAD = """\
monitors:
  - {key: web, type: http, url: "https://example.com/", group: site}
heartbeats:
  - {key: backup, period: 1d}
maintenance:
"""
NEEDS = ("needs starts_at and ends_at (a one-off window), or exactly one of rrule, cron or oncalendar with a "
         "duration (a recurring one), got ")


def utc(text: str) -> float:
    return datetime.fromisoformat(text + "+00:00").timestamp()


def test_good_windows_parse(make_config):
    config = make_config(HEAD + """\
  - key: upgrade
    title: Database upgrade
    description: the big one
    starts_at: 2026-12-05 02:00
    ends_at: 2026-12-05T04:00:00+02:00
    timezone: Europe/Riga
    monitor_ids: [web, mon_made_over_the_api]
    group_ids: [site, grp_made_over_the_api]
  - key: patching
    title: Sunday patching
    rrule: FREQ=WEEKLY;BYDAY=SU;BYHOUR=3
    duration: 2h
    heartbeat_ids: [backup]
    metadata: {team: ops}
  - key: nightly
    title: Nightly restarts
    cron: "30 3 * * *"
    duration: 15m
    timezone: Europe/Riga
  - key: timers
    title: systemd timers
    oncalendar: ["Mon..Fri 04:00", "Sat 05:00"]
    duration: 600
  - key: stamped
    title: Unix seconds
    starts_at: 1796000000
    ends_at: 1796003600
""")
    upgrade, patching, nightly, timers, stamped = config.maintenance
    assert upgrade.window == Window("once", starts_at=utc("2026-12-05T00:00:00"), ends_at=utc("2026-12-05T02:00:00"),
                                    timezone="Europe/Riga")
    assert (upgrade.key, upgrade.title, upgrade.description) == ("upgrade", "Database upgrade", "the big one")
    assert upgrade.monitor_ids == ("web", "mon_made_over_the_api") and upgrade.heartbeat_ids == ()
    assert upgrade.group_ids == ("site", "grp_made_over_the_api") and patching.group_ids == ()
    assert patching.window == Window("rrule", expression="RRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=3", duration=7200)
    assert patching.heartbeat_ids == ("backup",) and patching.metadata == {"team": "ops"}
    assert nightly.window == Window("cron", expression="30 3 * * *", duration=900, timezone="Europe/Riga")
    assert timers.window.expression == "Mon..Fri 04:00\nSat 05:00"
    assert stamped.window.starts_at == 1796000000


CASES = [
    pytest.param("  - {key: a, title: A}\n", [f"6: maintenance[0]: {NEEDS}none"], id="no-schedule"),
    pytest.param("  - {key: a, title: A, cron: '0 3 * * *', rrule: FREQ=DAILY, duration: 1h}\n",
                 [f"6: maintenance[0]: {NEEDS}rrule and cron"], id="two-rules"),
    pytest.param("  - {key: a, title: A, cron: '0 3 * * *', starts_at: 2026-12-05 02:00, duration: 1h}\n",
                 [f"6: maintenance[0]: {NEEDS}cron and starts_at"], id="rule-and-times"),
    pytest.param("  - key: a\n    title: A\n    starts_at: 2026-12-05 02:00\n",
                 ["6: maintenance[0]: missing required key 'ends_at' (a one-off window needs starts_at and ends_at)"],
                 id="half-a-one-off"),
    pytest.param("  - key: a\n    title: A\n    starts_at: 2026-12-05 04:00\n    ends_at: 2026-12-05 02:00\n",
                 ["9: maintenance[0].ends_at: must be after starts_at"], id="ends-before-it-starts"),
    pytest.param("  - key: a\n    title: A\n    starts_at: 2026-12-05\n    ends_at: soon\n",
                 ["8: maintenance[0].starts_at: must be a date and time, not a date alone: like 2026-12-05 02:00",
                  "9: maintenance[0].ends_at: must be a date and time like 2026-12-05 02:00 (in the window's "
                  "timezone), 2026-12-05T02:00:00+02:00 or Unix seconds, got 'soon'"], id="bad-times"),
    pytest.param("  - key: a\n    title: A\n    cron: '0 3 * * *'\n",
                 ["6: maintenance[0]: missing required key 'duration' (how long each cron occurrence lasts, like 2h)"],
                 id="no-duration"),
    pytest.param("  - key: a\n    title: A\n    rrule: FREQ=FORTNIGHTLY\n    duration: 1h\n",
                 ["8: maintenance[0].rrule: 'FREQ=FORTNIGHTLY' is not a valid RRULE: invalid 'FREQ': FORTNIGHTLY"],
                 id="bad-rrule"),
    pytest.param("  - key: a\n    title: A\n    cron: '0 3 * *'\n    duration: 10s\n    timezone: Mars/Base\n",
                 ["9: maintenance[0].duration: must be >= 1m",
                  "10: maintenance[0].timezone: unknown time zone 'Mars/Base' (use an IANA name like Europe/Riga "
                  "or UTC)"], id="short-and-nowhere"),
    pytest.param("  - key: a\n    title: A\n    cron: '0 3 * *'\n    duration: 1h\n",
                 ["8: maintenance[0].cron: '0 3 * *' is not a 5-field cron expression (minute hour day-of-month "
                  "month day-of-week), it has 4 fields"], id="bad-cron"),
    pytest.param("  - key: a\n    title: A\n    cron: '0 3 * * *'\n    duration: 1h\n"
                 "    monitor_ids: [web, api]\n    heartbeat_ids: [nightly]\n",
                 ["10: maintenance[0].monitor_ids[1]: no monitor with key 'api' (monitors keys: web; one made over "
                  "the API is named by its id, mon_...)",
                  "11: maintenance[0].heartbeat_ids[0]: no heartbeat with key 'nightly' (heartbeats keys: backup; "
                  "one made over the API is named by its id, hbt_...)"], id="unknown-targets"),
    pytest.param("  - key: a\n    title: A\n    cron: '0 3 * * *'\n    duration: 1h\n    group_ids: [site, web]\n",
                 ["10: maintenance[0].group_ids[1]: no group named 'web' (group names (`group:` of monitors and "
                  "heartbeats): site; one made over the API is named by its id, grp_...)"], id="unknown-group"),
    pytest.param("  - key: a\n    title: A\n    cron: '0 3 * * *'\n    duration: 1h\n    group_ids: site\n",
                 ["10: maintenance[0].group_ids: must be a list of strings, got a string"], id="groups-not-a-list"),
    pytest.param("  - {key: a, title: A, cron: '0 3 * * *', duration: 1h, monitors: [web]}\n",
                 ["6: maintenance[0].monitors: unknown key (did you mean 'monitor_ids'? expected one of: cron, "
                  "description, duration, ends_at, group_ids, heartbeat_ids, key, metadata, monitor_ids, oncalendar, rrule, "
                  "starts_at, timezone, title)"], id="unknown-key"),
    pytest.param("  - {key: a, title: A, cron: '0 3 * * *', duration: 1h}\n"
                 "  - {key: a, title: B, cron: '0 4 * * *', duration: 1h}\n",
                 ["7: maintenance[1].key: duplicate key 'a' (first used on line 6)"], id="duplicate-key"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_every_mistake_names_its_line_and_key(make_config, tmp_path, text, expected):
    with pytest.raises(ConfigError) as caught:
        make_config(HEAD + text)
    path = tmp_path / "config.yaml"
    assert caught.value.messages == [f"{path}:{message}" for message in expected]
