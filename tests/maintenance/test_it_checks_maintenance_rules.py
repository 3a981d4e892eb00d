"""check_window: what a window's rule must be, in words that name the mistake."""

from __future__ import annotations

import pytest

from upstatd.maintenance.windows import Window, WindowError, check_window

from windowkit import NOW


@pytest.mark.parametrize("window, message", [
    (Window("once", starts_at=200, ends_at=100), "ends_at must be after starts_at"),
    (Window("rrule", expression="FREQ=DAILY", duration=30), "duration must be between 60 s"),
    (Window("rrule", expression="FREQ=DAILY", duration=3600, timezone="Mars/Olympus"), "unknown time zone"),
    (Window("rrule", expression="FREQ=FORTNIGHTLY", duration=3600), "is not a valid RRULE"),
    (Window("rrule", expression="FREQ=SECONDLY", duration=3600), "FREQ=SECONDLY is not allowed"),
    (Window("rrule", expression="DTSTART:20260301T023000Z\nFREQ=DAILY", duration=3600), "DTSTART must be wall time"),
    (Window("rrule", expression="FREQ=DAILY\nFREQ=WEEKLY", duration=3600), "must be one RRULE line"),
    (Window("cron", expression="0 3 * *", duration=3600), "is not a 5-field cron expression"),
    (Window("cron", expression="0 3 30 2 *", duration=3600), "never matches a date"),
    (Window("oncalendar", expression="Mon 09:00 Europe/Riga", duration=3600), "not on the line"),
    (Window("oncalendar", expression="Someday 09:00", duration=3600), "is not a valid OnCalendar expression"),
])
def test_it_refuses_a_rule_saying_why(window, message):
    with pytest.raises(WindowError, match=message.replace("(", r"\(")):
        check_window(window, NOW)


@pytest.mark.parametrize("expression, checked", [
    ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", "RRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=2"),
    ("RRULE:FREQ=DAILY", "RRULE:FREQ=DAILY"),
    ("  DTSTART:20260301T023000\n RRULE:FREQ=DAILY  ", "DTSTART:20260301T023000\nRRULE:FREQ=DAILY"),
])
def test_it_keeps_an_rrule_in_one_form(expression, checked):
    window = check_window(Window("rrule", expression=expression, duration=3600), NOW)
    assert window.expression == checked
