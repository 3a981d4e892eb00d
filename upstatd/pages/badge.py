"""Shields-style badges of a monitor: its state and its 30-day uptime, as SVG
(a label on grey, a value on its colour) and as the JSON of a Shields.io
endpoint badge (https://shields.io/badges/endpoint-badge), for those who
would rather let shields.io draw it. Pure.
"""

from __future__ import annotations

from typing import NamedTuple
from xml.sax.saxutils import escape

COLOURS = {"operational": "#4c1", "degraded": "#dfb317", "down": "#e05d44", "maintenance": "#007ec6",
           "unknown": "#9f9f9f"}
WORDS = {"operational": "up", "degraded": "degraded", "down": "down", "maintenance": "maintenance",
         "unknown": "unknown"}
# approximate advance widths of Verdana at 11 px (the font shields badges use), by character class
_NARROW, _WIDE = set("fijlrtI!.,:;|'()[] "), set("mwMW%@")
PADDING = 6  # px each side of a text


class Badge(NamedTuple):
    label: str
    value: str
    colour: str


def text_width(text: str) -> int:
    return sum(4 if c in _NARROW else 10 if c in _WIDE else 7 for c in text)


def state_badge(label: str, state: str) -> Badge:
    """`state`: a public state (pages/banner.py)."""
    return Badge(label, WORDS.get(state, "unknown"), COLOURS.get(state, COLOURS["unknown"]))


def uptime_badge(label: str, uptime: float | None) -> Badge:
    if uptime is None:
        return Badge(label, "no data", COLOURS["unknown"])
    colour = ("#4c1" if uptime >= 99.9 else "#97ca00" if uptime >= 99 else "#dfb317" if uptime >= 95
              else "#e05d44")
    return Badge(label, f"{uptime:.2f}%".replace(".00%", "%"), colour)


def svg(badge: Badge) -> str:
    left, right = text_width(badge.label) + 2 * PADDING, text_width(badge.value) + 2 * PADDING
    total = left + right
    label, value = escape(badge.label), escape(badge.value)
    title = escape(f"{badge.label}: {badge.value}", {'"': "&quot;"})  # also an attribute's value
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{badge.colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="15" fill="#010101" fill-opacity=".3">{label}</text>'
        f'<text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="15" fill="#010101" fill-opacity=".3">{value}</text>'
        f'<text x="{left + right / 2}" y="14">{value}</text></g></svg>')


def shields(badge: Badge) -> dict:
    """The endpoint badge JSON: shields.io fetches it and draws the badge itself."""
    return {"schemaVersion": 1, "label": badge.label, "message": badge.value, "color": badge.colour.lstrip("#")}
