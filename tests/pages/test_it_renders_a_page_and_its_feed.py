"""The page's HTML shows the banner, every section and resource with 90 bars,
the active report with its updates, maintenance and the history, escapes
every value; the RSS feed parses with a real feed parser."""

from __future__ import annotations

from html.parser import HTMLParser

import feedparser

from pagekit import HOSTILE, NOW, view
from upstatd.pages.render import feed_rss, page_html


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def test_it_shows_everything_on_the_page_and_escapes_it():
    html = page_html(view())
    tags = parsed(html)
    text = " ".join(" ".join(tags.text).split())
    assert "Partial outage" in text
    for words in ("Storefront", "Back office", "Website", "Nightly backup", "Checkout errors",
                  "A bad deploy; rolling back.", "We see errors at checkout.", "Database upgrade", "Slow search",
                  "99.99% uptime", HOSTILE):
        assert words in text, words   # shown as text
    assert not [tag for tag, _ in tags.tags if tag in ("script", "iframe", "object")]
    assert [attrs for tag, attrs in tags.tags if tag == "link" and attrs.get("rel") == "stylesheet"] == []
    bars = [attrs for tag, attrs in tags.tags if tag == "span" and "title" in attrs]
    assert len(bars) == 2 * 90
    assert any("1 incident" in attrs["title"] for attrs in bars)
    assert 'class="banner partial_outage"' in html


def test_it_hides_a_resources_uptime_when_asked_and_words_an_empty_history():
    html = page_html(view(history=[], active=[], maintenance=[], banner="operational"))
    text = " ".join(parsed(html).text)
    assert "All systems operational" in text and "No incidents in the last 14 days." in text


def test_it_writes_a_feed_a_feed_parser_reads():
    feed = feedparser.parse(feed_rss(view()))
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Example Shop status"
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Scheduled maintenance: Database upgrade", "Checkout errors: Identified",
                      "Checkout errors: Investigating", "Slow search: Resolved", "Slow search: Investigating"]
    assert feed.entries[1].published_parsed[:6] == __import__("time").gmtime(NOW - 600)[:6]  # newest first
    assert feed.entries[1].link.endswith("#rpt_1")


def test_it_answers_the_same_page_as_json():
    from upstatd.pages.summary import summary
    data = summary(view())
    assert data["status"] == {"indicator": "partial_outage", "description": "Partial outage"}
    assert [r["name"] for s in data["sections"] for r in s["resources"]] == ["Website", HOSTILE, "Nightly backup"]
    assert [r["state"] for s in data["sections"] for r in s["resources"]] == ["operational", "down", "degraded"]
    assert data["incidents"][0]["updates"][0] == {"status": "identified", "message": "A bad deploy; rolling back.",
                                                   "at": NOW - 600}
    assert data["history"][0]["resolved_at"] == NOW - 3 * 86400 + 600
    __import__("json").dumps(data)  # plain values only
