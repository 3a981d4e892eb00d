"""A runbook's markdown on its page (api/markdown.py), a pure function: CommonMark
with raw HTML as text, links only to absolute http(s) and mailto targets (with
rel="nofollow noopener noreferrer"), no images, and the body cut at a bound."""

from __future__ import annotations

import pytest

from upstatd.api.markdown import REL, render, safe_link


@pytest.mark.parametrize("source, expected", [
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
    ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"),
    ('<a href="https://x.example">raw</a>', "<p>&lt;a href=&quot;https://x.example&quot;&gt;raw&lt;/a&gt;</p>\n"),
    ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>\n"),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
    ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>\n"),
    ("[x](java&#x73;cript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
    ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"),
    ("[x][r]\n\n[r]: javascript:alert(1)", "<p>[x][r]</p>\n<p>[r]: javascript:alert(1)</p>\n"),
    ("[x](data:image/png;base64,AAAA)", "<p>[x](data:image/png;base64,AAAA)</p>\n"),  # markdown-it's default allows it
    ("[x](vbscript:msgbox)", "<p>[x](vbscript:msgbox)</p>\n"),
    ("[x](ftp://files.example/a)", "<p>[x](ftp://files.example/a)</p>\n"),
    ("[x](/api/tokens)", "<p>[x](/api/tokens)</p>\n"),                                # not the daemon's own routes
    ("[x](//evil.example/a)", "<p>[x](//evil.example/a)</p>\n"),
    ("[ok](https://grafana.example/d?a=1&b=2)",
     f'<p><a href="https://grafana.example/d?a=1&amp;b=2" rel="{REL}">ok</a></p>\n'),
    ("<https://grafana.example>", f'<p><a href="https://grafana.example" rel="{REL}">https://grafana.example</a></p>\n'),
    ("[mail](mailto:ops@example.com)", f'<p><a href="mailto:ops@example.com" rel="{REL}">mail</a></p>\n'),
    ('[t](https://x.example "a\\" onclick=\\"x")',
     f'<p><a href="https://x.example" title="a&quot; onclick=&quot;x" rel="{REL}">t</a></p>\n'),
    ("![logo](https://tracker.example/p.png)",                                       # no images: a link at most
     f'<p>!<a href="https://tracker.example/p.png" rel="{REL}">logo</a></p>\n'),
    ("```sh\nrm -rf </tmp/x>\n```", '<pre><code class="language-sh">rm -rf &lt;/tmp/x&gt;\n</code></pre>\n'),
    ('```"><script>\nx\n```', '<pre><code class="language-&quot;&gt;&lt;script&gt;">x\n</code></pre>\n'),
    ("# Fail over\n\n1. one\n2. two", "<h1>Fail over</h1>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"),
])
def test_it_renders(source, expected):
    assert render(source) == (expected, False)


@pytest.mark.parametrize("url, ok", [
    ("https://a.example/x", True), ("http://a.example", True), ("HTTPS://A.EXAMPLE", True),
    ("mailto:ops@example.com", True), ("mailto:", False), ("https://", False), ("https:relative", False),
    ("javascript:alert(1)", False), ("data:text/html,x", False), ("/relative", False), ("#top", False),
    ("", False), ("http://[::1", False),
])
def test_it_links_only_to_the_web_and_mail(url, ok):
    assert safe_link(url) is ok


def test_it_cuts_a_long_body_at_the_bound():
    html, cut = render("a" * 50 + "<b>", limit=50)
    assert cut and html == "<p>" + "a" * 50 + "</p>\n"
    assert render("short", limit=50).cut is False
    deep, _ = render("> " * 5000 + "deep")  # markdown-it's nesting limit: no recursion, a bounded page
    assert 0 < deep.count("<blockquote>") <= 100
