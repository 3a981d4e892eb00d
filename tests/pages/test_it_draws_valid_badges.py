"""Badges are valid SVG whatever the label, escape what they show, and the
Shields.io endpoint JSON says the same."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from upstatd.pages.badge import shields, state_badge, svg, uptime_badge

SVG = "{http://www.w3.org/2000/svg}"


def test_it_draws_a_state_badge_as_valid_svg():
    root = ET.fromstring(svg(state_badge("shop", "down")))
    assert root.tag == f"{SVG}svg" and root.get("height") == "20"
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts == ["shop", "shop", "down", "down"]
    assert root.find(f"{SVG}title").text == "shop: down"
    assert '#e05d44' in svg(state_badge("shop", "down"))


def test_it_escapes_a_hostile_label():
    hostile = '<script>alert("x")</script> & "quotes"'
    text = svg(state_badge(hostile, "operational"))
    assert "<script>" not in text
    root = ET.fromstring(text)  # still one valid document
    assert root.find(f"{SVG}title").text == f"{hostile}: up"
    assert root.get("aria-label") == f"{hostile}: up"


def test_it_widens_the_badge_with_its_text():
    short = ET.fromstring(svg(state_badge("a", "operational")))
    long = ET.fromstring(svg(state_badge("a much longer label", "operational")))
    assert int(long.get("width")) > int(short.get("width"))


def test_it_shows_uptime_with_its_colour_and_the_shields_json():
    assert uptime_badge("uptime 30d", 100.0).value == "100%"
    assert uptime_badge("uptime 30d", 99.95).value == "99.95%"
    assert uptime_badge("uptime 30d", None).value == "no data"
    assert shields(uptime_badge("uptime 30d", 97.5)) == {
        "schemaVersion": 1, "label": "uptime 30d", "message": "97.50%", "color": "dfb317"}
