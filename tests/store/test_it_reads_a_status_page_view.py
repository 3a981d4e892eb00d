"""store/status_page_view.py: what the public renderer reads. A published page
by slug or custom domain (any case); an unpublished one only as a draft; its
resources outside any section first, then each section in order with its
resources, each with its subject's created_at, status, state and state_since;
active reports, reports resolved in the last 14 days, and an archive of every
resolved one, paged."""

from __future__ import annotations

from upstatd.clock import FakeClock
from upstatd.store.status_page_view import page_view, report_archive

NOW = 1_800_000_000
DAY = 86_400
CONFIG = """
    heartbeats:
      - {key: nightly, name: Nightly, period: 1d}
"""


async def test_it_gives_the_renderer_one_view(start_api):
    api = await start_api(CONFIG, clock=FakeClock(wall=NOW))
    _, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Acme", "slug": "acme", "custom_domain": "status.acme.example", "timezone": "Europe/Paris",
        "accent_color": "#112233", "password": "open sesame"})
    path = f"/api/status-pages/{page['id']}"
    _, _, monitor = await api.request("POST", "/api/monitors", json={
        "name": "Shop", "type": "tcp", "url": "tcp://127.0.0.1:9"})
    _, _, jobs = await api.request("POST", f"{path}/sections", json={"name": "Jobs", "position": 2})
    _, _, web = await api.request("POST", f"{path}/sections", json={"name": "Web", "position": 1})
    await api.request("POST", f"{path}/sections", json={"name": "Empty", "position": 3})
    _, _, shop = await api.request("POST", f"{path}/resources", json={
        "monitor_id": monitor["id"], "section_id": web["id"], "public_name": "Storefront"})
    _, _, backup = await api.request("POST", f"{path}/resources", json={"heartbeat_id": "nightly",
                                                                        "section_id": jobs["id"]})

    def read(address: str, drafts: bool = False):
        return api.daemon.read_db.call(lambda conn: page_view(conn, address, round(api.clock.time() * 1000),
                                                              drafts=drafts))

    assert await read("acme") is None  # not published
    draft = await read("acme", drafts=True)
    assert draft.page.id == page["id"] and draft.page.published is False
    await api.request("PATCH", path, json={"published": True})

    view = await read("STATUS.acme.example")
    assert view is not None and view == await read("acme")
    assert (view.page.slug, view.page.timezone, view.page.accent_color) == ("acme", "Europe/Paris", "#112233")
    assert view.page.password_hash.startswith("scrypt$")
    assert [(section.name, [item.public_name for item in section.resources]) for section in view.sections] == [
        ("Web", ["Storefront"]), ("Jobs", ["Nightly"]), ("Empty", [])]
    storefront = view.sections[0].resources[0]
    assert (storefront.id, storefront.kind, storefront.subject_id, storefront.status, storefront.state,
            storefront.created_at, storefront.show_uptime) == (
        shop["id"], "monitor", monitor["id"], "active", "pending", NOW * 1000, True)
    nightly = view.sections[1].resources[0]
    assert (nightly.id, nightly.kind, nightly.state) == (backup["id"], "heartbeat", "new")
    assert view.active_reports == [] and view.recent_reports == []

    # outside any section: listed first, in a section without id or name
    await api.request("PATCH", f"{path}/resources/{backup['id']}", json={"section_id": None})
    view = await read("acme")
    assert (view.sections[0].id, view.sections[0].name, [item.id for item in view.sections[0].resources]) == (
        None, None, [backup["id"]])

    # reports: resolved 20 days ago (archive only), 3 days ago (recent), and one still open
    made = []
    for title in ("old", "recent", "open"):
        _, _, report = await api.request("POST", f"{path}/reports", json={
            "title": title, "message": "Looking", "affected_resource_ids": [shop["id"]]})
        made.append(report)
        if title != "open":
            await api.request("POST", f"{path}/reports/{report['id']}/updates", json={
                "status": "resolved", "message": "Fixed"})
        api.clock.advance({"old": 17 * DAY, "recent": 3 * DAY}.get(title, 0))
    view = await read("acme")
    assert [report.title for report in view.active_reports] == ["open"]
    assert [report.title for report in view.recent_reports] == ["recent"]
    recent = view.recent_reports[0]
    assert [(update.status, update.message) for update in recent.updates] == [
        ("investigating", "Looking"), ("resolved", "Fixed")]
    assert recent.updates[0].id == made[1]["updates"][0]["id"]
    assert (recent.affected_resource_ids, recent.resolved_at) == ([shop["id"]], (NOW + 17 * DAY) * 1000)

    archive = await api.daemon.read_db.call(lambda conn: report_archive(conn, view.page.seq, limit=1))
    assert [report.title for report in archive.reports] == ["recent"] and archive.newer is None
    assert archive.older == archive.reports[0].id
    archive = await api.daemon.read_db.call(lambda conn: report_archive(
        conn, view.page.seq, limit=1, before=archive.older))
    assert [report.title for report in archive.reports] == ["old"] and archive.older is None
    assert archive.newer == archive.reports[0].id

    assert await read("nothing-here") is None
