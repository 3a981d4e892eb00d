"""End to end: the runbook link of an alert (the default webhook payload, a
receiver on loopback), opened over HTTP on the daemon with no API token, shows
the runbook's current version: its title, every step as an ordered list (with
one marked done on this incident), its markdown body, and the incident it came
from, with the security headers and a CSP that allows no script. The body's
hostile markdown is inert. A tampered, expired, foreign, cut or missing token,
a token for another runbook than the path's and a valid token for an unknown
runbook all get the same 404 page; a POST is a 405."""

from __future__ import annotations

import html as htmlmod

import aiohttp
from notifykit import STEPS, TITLE, eventually, postgres, receiver, start_api, webhook_channel  # noqa: F401
from runbookrows import NOW_MS

from upstatd.alerts import links as incident_links
from upstatd.alerts import runbook_links


async def _get(session: aiohttp.ClientSession, url: str, method: str = "GET"):
    async with session.request(method, url) as answer:
        return answer.status, dict(answer.headers), await answer.text()


async def test_the_link_of_an_alert_opens_the_runbook(start_api, receiver, tmp_path):
    pg = await postgres(start_api, tmp_path, {"hook": webhook_channel(receiver.url("/hook"))})
    try:
        await pg.fail()
        await eventually(lambda: receiver.got, timeout=15)
        [runbook] = receiver.json(0)["runbooks"]
        incident_id = await pg.incident_id()
        await pg.api.daemon.writer.run(lambda conn: conn.execute(  # as the API's "mark done" writes it
            "INSERT INTO incident_runbook_steps VALUES (?, 'rbk_pg', 1, 2, 'ana', ?)", (incident_id, NOW_MS)))
        page_url = pg.local(runbook["url"])
        async with aiohttp.ClientSession() as browser:
            status, headers, page = await _get(browser, page_url)
            assert status == 200, page
            assert headers["Content-Type"].startswith("text/html")
            csp = headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
            assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
            assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"

            assert f"<h1>{TITLE}</h1>" in page
            items = page.split('<ol class="steps">')[1].split("</ol>")[0]
            assert [htmlmod.unescape(item.split("</li>")[0]) for item in items.split("<li>")[1:]] == [
                STEPS[0], STEPS[1] + ' <span class="done">(done by ana, 2023-11-14 22:13:20 UTC)</span>',
                *STEPS[2:]]
            assert "For incident postgres is down" in page and incident_id in page
            assert "<h1>When postgres is down</h1>" in page and "<strong>api</strong>" in page
            assert '<a href="https://grafana.example.com/d/pg" rel="nofollow noopener noreferrer">' in page

            # the hostile parts of the body are text
            assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
            assert "&lt;script&gt;alert(&quot;raw html&quot;)&lt;/script&gt;" in page
            assert "[click me](javascript:alert(1))" in page and "&lt;img src=x onerror=alert(2)&gt;" in page

            status, headers, head = await _get(browser, page_url, "HEAD")
            assert status == 200 and "Content-Security-Policy" in headers
            status, headers, refused = await _get(browser, page_url, "POST")
            assert status == 405 and headers["Allow"] == "GET, HEAD" and "Content-Security-Policy" in headers

            key, now = pg.api.daemon.api.link_key, int(pg.api.clock.time())
            token = runbook["url"].partition("?t=")[2]
            tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
            base = page_url.partition("?")[0]
            unknown = runbook_links.make(key, "rbk_nope", incident_id, now + 60)
            bad = {
                "tampered": f"{base}?t={tampered}",
                "expired": f"{base}?t={runbook_links.make(key, 'rbk_pg', incident_id, now - 1)}",
                "another key": f"{base}?t={runbook_links.make(b'x' * 32, 'rbk_pg', incident_id, now + 60)}",
                "an acknowledge link": f"{base}?t={incident_links.make(key, incident_id, 'acknowledge', now + 60)}",
                "cut": f"{base}?t={token[:-3]}",
                "too long": f"{base}?t={'A' * 300}",
                "no token": base,
                "two tokens": f"{page_url}&t={token}",
                "another runbook's path": page_url.replace("/runbooks/rbk_pg?", "/runbooks/rbk_nope?"),
                "an unknown runbook": pg.local(f"{base.rpartition('/')[0]}/rbk_nope?t={unknown}"),
                "an unknown incident": f"{base}?t={runbook_links.make(key, 'rbk_pg', 'inc_nope', now + 60)}",
            }
            answers = {}
            for case, url in bad.items():
                status, headers, page = await _get(browser, url)
                assert status == 404, (case, page)
                assert "Content-Security-Policy" in headers and TITLE not in page and STEPS[0] not in page, case
                answers[case] = page
            assert len(set(answers.values())) == 1  # a guess learns nothing, not even that a runbook exists
    finally:
        pg.close()
