"""The iCalendar serializer (oncall/ics.py): TEXT escaped per RFC 5545 3.3.11,
content lines folded at 75 octets (3.1) without cutting a UTF-8 character, UTC
times; and what `icalendar` (a calendar app's parser) reads back."""

from __future__ import annotations

import icalendar
import pytest

from upstatd.oncall import ics

from oncallkit import utc


@pytest.mark.parametrize("text, expected", [
    ("Anna Bērziņa", "Anna Bērziņa"),
    ("Smith, John; Jr.", "Smith\\, John\\; Jr."),
    ("back\\slash", "back\\\\slash"),
    ("two\nlines\r\nand\rthree", "two\\nlines\\nand\\nthree"),
    ("bell\x07 and\x00nul\ttab", "bell andnul\ttab"),
    ("END:VEVENT", "END:VEVENT"),  # a colon needs no escape in a value: it cannot end the line
])
def test_it_escapes_text(text, expected):
    assert ics.escape(text) == expected


@pytest.mark.parametrize("line, physical", [
    ("x" * 75, ["x" * 75]),
    ("x" * 76, ["x" * 75, " x"]),
    ("x" * 150, ["x" * 75, " " + "x" * 74, " x"]),
    # ā is 2 octets: 37 of them are 74 octets, the 38th would make 76
    ("ā" * 40, ["ā" * 37, " " + "ā" * 3]),
    ("x" + "€" * 30, ["x" + "€" * 24, " " + "€" * 6]),   # € is 3 octets: 1 + 72 = 73, + 3 = 76
])
def test_it_folds_lines_at_75_octets(line, physical):
    folded = ics.fold(line)
    assert folded.endswith("\r\n")
    assert folded[:-2].split("\r\n") == physical
    assert all(len(part.encode()) <= 75 for part in physical)


def test_a_calendar_parses_back_with_its_events():
    hostile = "Ann, \"the; boss\"\nBEGIN:VEVENT\\ " + "ž" * 60
    body = ics.calendar("Ops; night", [
        ics.CalendarEvent("sch_a-usr_a-1@upstatd", f"On call: {hostile}", utc("2026-03-28T07:00:00"),
                          utc("2026-03-29T06:00:00")),
        ics.CalendarEvent("sch_a-usr_b-2@upstatd", "On call: Bob", utc("2026-03-29T06:00:00"),
                          utc("2026-03-30T06:00:00")),
    ], utc("2026-03-01T00:00:00"))
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    assert body.endswith(b"END:VCALENDAR\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    parsed = icalendar.Calendar.from_ical(body)
    assert b"\r\nNAME:Ops\\; night\r\n" in body  # icalendar leaves a calendar's NAME unparsed
    events = parsed.walk("VEVENT")
    assert [(str(e["UID"]), str(e["SUMMARY"]), e["DTSTART"].dt.timestamp(), e["DTEND"].dt.timestamp(),
             e["DTSTAMP"].dt.timestamp()) for e in events] == [
        ("sch_a-usr_a-1@upstatd", f"On call: {hostile}", utc("2026-03-28T07:00:00"), utc("2026-03-29T06:00:00"),
         utc("2026-03-01T00:00:00")),
        ("sch_a-usr_b-2@upstatd", "On call: Bob", utc("2026-03-29T06:00:00"), utc("2026-03-30T06:00:00"),
         utc("2026-03-01T00:00:00"))]
    assert all(e["DTSTART"].dt.utcoffset().total_seconds() == 0 for e in events)
