"""The kept page follows the services its resources need: postgres's monitor
going down (nothing on the page changed, the page's 30 seconds not up) makes
the page again at once with a new ETag, and so does its recovery; a monitor
of a service the page does not need changing state does not (the same render
is answered, its ETag kept)."""

from __future__ import annotations

import pytest

from catalogkit import add_service, make_page, monitor, set_state, shown
from upstatd.clock import FakeClock
from upstatd.pages import view

NOW = 1_800_000_000


@pytest.fixture
async def api(start_api):
    return await start_api(clock=FakeClock(wall=NOW))


async def test_the_cache_follows_the_dependencies_state(api, monkeypatch):
    renders = []
    build = view.build

    def counted(*args, **kwargs):
        renders.append(args[1].page.id)
        return build(*args, **kwargs)
    monkeypatch.setattr(view, "build", counted)

    path = str(api.db_path)
    add_service(path, "svc_pg", "postgres")
    add_service(path, "svc_other", "billing")
    add_service(path, "svc_api", "api", needs=("svc_pg",))
    pg_monitor = await monitor(api, "pg", "up", "svc_pg")
    other = await monitor(api, "billing", "up", "svc_other")
    api_monitor = await monitor(api, "api", "up", "svc_api")
    await make_page(api, [(api_monitor, "API")])

    html, _, first = await shown(api)
    assert len(renders) == 1 and "Affected" not in html
    await set_state(api, other, "down")  # billing: not needed by anything on the page
    html, _, etag = await shown(api)
    assert (len(renders), etag) == (1, first)

    await set_state(api, pg_monitor, "down")
    html, _, down = await shown(api)
    assert len(renders) == 2 and down != first and "Affected: postgres is down" in html
    _, _, again = await shown(api)
    assert (len(renders), again) == (2, down)  # kept while nothing changes

    await set_state(api, pg_monitor, "up")
    html, _, up = await shown(api)
    assert len(renders) == 3 and up != down and "Affected" not in html
