"""The password form of a protected page takes 10 wrong passwords a minute from
one client address (an IPv6 client: its /64) for one page; the 11th try, right
or wrong, is a 429 with Retry-After and a form saying how long to wait, and no
scrypt check runs. The minute over (an injected clock), the right password
works. The count is per page and per address (behind a trusted proxy, the
X-Forwarded-For one), and the table of counts stays within its cap."""

from __future__ import annotations

import aiohttp
import pytest

from upstatd.clock import FakeClock
from upstatd.status_pages import password
from upstatd.status_pages.attempts import Attempts, client_key

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(start=1_000.0, wall=NOW), server="trusted_proxies: [127.0.0.1]")


async def protected(api, slug: str) -> None:
    status, _, _ = await api.request("POST", "/api/status-pages", json={
        "name": slug, "slug": slug, "published": True, "password": "correct horse"})
    assert status == 201


async def tries(session, api, slug: str, password: str, client: str = "203.0.113.9"):
    async with session.post(api.url + f"/status/{slug}", data={"password": password}, allow_redirects=False,
                            headers={"X-Forwarded-For": client}) as answer:
        return answer.status, answer.headers, await answer.text()


async def test_the_eleventh_try_in_a_minute_waits(api, monkeypatch):
    await protected(api, "shop")
    await protected(api, "other")
    checked = []
    real_verify = password.verify
    monkeypatch.setattr(password, "verify", lambda given, stored: checked.append(given) or real_verify(given, stored))
    api.clock.advance(60 - api.clock.monotonic() % 60)  # at the start of a window
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as visitor:
        for _ in range(10):
            assert (await tries(visitor, api, "shop", "wrong"))[0] == 401
        api.clock.advance(15)
        status, headers, html = await tries(visitor, api, "shop", "correct horse")
        assert status == 429 and headers["Retry-After"] == "45" and "Wait 45 seconds" in html, html
        assert 'type="password"' in html and headers["Cache-Control"] == "no-store"
        assert len(checked) == 10  # the refused try cost no scrypt

        # another page, another address: their own counts
        assert (await tries(visitor, api, "other", "wrong"))[0] == 401
        assert (await tries(visitor, api, "shop", "wrong", client="198.51.100.4"))[0] == 401

        api.clock.advance(45)
        status, _, _ = await tries(visitor, api, "shop", "correct horse")
        assert status == 303
        async with visitor.get(api.url + "/status/shop") as answer:
            assert answer.status == 200


async def test_the_right_password_clears_the_count(api):
    await protected(api, "shop")
    api.clock.advance(60 - api.clock.monotonic() % 60)
    async with aiohttp.ClientSession() as visitor:
        for _ in range(9):
            assert (await tries(visitor, api, "shop", "wrong"))[0] == 401
        assert (await tries(visitor, api, "shop", "correct horse"))[0] == 303
        for _ in range(10):
            assert (await tries(visitor, api, "shop", "wrong"))[0] == 401


@pytest.mark.parametrize("address, key", [
    ("203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("fe80::1%eth0", "fe80::/64"),
    (None, "?"),
    ("not an address", "not an address"),
])
def test_it_counts_an_ipv6_client_by_its_64(address, key):
    assert client_key(address) == key


def test_it_counts_in_fixed_windows():
    table = Attempts(tries=3, window=60)
    key = ("203.0.113.9", "stp_1")
    assert [table.take(key, now) for now in (120, 130, 140, 150, 179.5)] == [0, 0, 0, 30, 1]
    assert table.take(key, 180) == 0  # a new window
    table.forget(key)
    assert len(table) == 0


def test_its_table_stays_within_its_cap():
    table = Attempts(tries=1, window=60, cap=100)
    for number in range(1000):
        assert table.take((f"10.0.{number // 256}.{number % 256}", "stp_1"), 30) == 0
        assert len(table) <= 100
    assert table.take(("10.0.3.231", "stp_1"), 30) > 0  # the newest are kept: still counted
    assert table.take(("192.0.2.1", "stp_1"), 60) == 0
    assert len(table) == 1  # full again, in a new window: the ended windows went first
