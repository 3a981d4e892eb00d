"""With `metrics.token` set, /metrics answers 401 (with WWW-Authenticate) to a scrape
without it or with another token, the API's tokens included, and 200 with it; the
token is never in the output, an answer or the log."""

from __future__ import annotations

TOKEN = "prom-scrape-7f3c9a1e5b2d4c6f8a0b"


async def scrape(api, authorization: str | None) -> tuple[int, dict, str]:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with api.session.get(api.url + "/metrics", headers=headers) as response:
        return response.status, dict(response.headers), await response.text()


async def test_it_requires_the_token_when_one_is_set(start_api, capfd, monkeypatch):
    api = await start_api("metrics:\n  enabled: true\n  token: ${METRICS_TOKEN}\n",
                          environ={"METRICS_TOKEN": TOKEN})

    for sent in (None, "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}",
                 f"Bearer {api.admin_token}"):
        status, headers, body = await scrape(api, sent)
        assert status == 401, sent
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert TOKEN not in body and "upstatd_" not in body

    status, headers, body = await scrape(api, f"Bearer {TOKEN}")
    assert status == 200
    assert "# TYPE upstatd_monitor_up gauge" in body
    assert TOKEN not in body and api.admin_token not in body

    monkeypatch.setenv("METRICS_TOKEN", TOKEN)  # a reload reads the process environment
    assert await api.daemon.reload()  # a reload logs the config it applied: still no token
    status, _, _ = await scrape(api, f"Bearer {TOKEN}")
    assert status == 200
    captured = capfd.readouterr()
    assert TOKEN not in captured.out + captured.err


async def test_without_a_token_anyone_on_the_listener_may_scrape(start_api):
    api = await start_api("metrics: {enabled: true}")
    status, _, body = await scrape(api, None)
    assert status == 200 and "# HELP upstatd_monitor_up " in body
