"""iCalendar (RFC 5545) text of a schedule's shifts, pure: what the `.ics` feed
answers. Hand-written because it is small: a calendar of VEVENTs with UTC
times, TEXT values escaped (backslash, semicolon, comma, newline) and content
lines folded at 75 octets without splitting a UTF-8 character."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import NamedTuple

PRODID = "-//upstatd//on-call//EN"
FOLD_AT = 75                    # octets of a content line, CRLF excluded (RFC 5545 3.1)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # not allowed in TEXT: dropped (\t, \n are kept)


class CalendarEvent(NamedTuple):
    uid: str
    summary: str
    start: float        # Unix seconds, [start, end)
    end: float


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): \\ ; , escaped, any newline as \\n, other controls dropped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return _CONTROL.sub("", text)


def fold(line: str) -> str:
    """One content line as CRLF-ended physical lines of at most 75 octets (continuations start
    with a space, which counts in their 75), cut between characters, never inside one."""
    out, piece, size, limit = [], [], 0, FOLD_AT
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append("".join(piece))
            piece, size, limit = [" "], 1, FOLD_AT
        piece.append(char)
        size += width
    out.append("".join(piece))
    return "\r\n".join(out) + "\r\n"


def utc_stamp(t: float) -> str:
    """DATE-TIME in UTC form: 20260329T060000Z (whole seconds)."""
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[CalendarEvent], stamp: float) -> bytes:
    """The VCALENDAR text, UTF-8. `stamp`: every event's DTSTAMP (when this calendar's
    information last changed: a stable one keeps the body, and so the ETag, stable)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"NAME:{escape(name)}", f"X-WR-CALNAME:{escape(name)}"]  # RFC 7986's, and the older one apps read
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{escape(event.uid)}", f"DTSTAMP:{utc_stamp(stamp)}",
                  f"DTSTART:{utc_stamp(event.start)}", f"DTEND:{utc_stamp(event.end)}",
                  f"SUMMARY:{escape(event.summary)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines).encode()
