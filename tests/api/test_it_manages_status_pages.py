"""/api/status-pages over real HTTP to the in-process daemon: a page is
created with its settings (a password stored hashed, shown only as
`password_protected`), listed, retrieved, changed (PATCH and PUT, partial;
null clears) and deleted with everything on it; each change is one event
(status_page.created/updated/deleted)."""

from __future__ import annotations

import json
import sqlite3

from upstatd.clock import FakeClock
from upstatd.status_pages.password import verify

NOW = 1_800_000_000


def stored(api, sql: str, args: tuple = ()) -> list:
    with sqlite3.connect(api.db_path) as conn:
        return conn.execute(sql, args).fetchall()


async def events_of(api, kind: str) -> list[dict]:
    _, _, listed = await api.request("GET", f"/api/events?type={kind}&limit=100")
    return listed["data"]


async def test_it_creates_a_page_with_its_defaults(start_api):
    api = await start_api(clock=FakeClock(wall=NOW))
    status, _, page = await api.request("POST", "/api/status-pages", json={"name": "Acme", "slug": "acme"})
    assert status == 201, page
    assert page["id"].startswith("stp_") and page["object"] == "status_page"
    assert page == {"id": page["id"], "object": "status_page", "name": "Acme", "slug": "acme",
                    "custom_domain": None, "logo_url": None, "accent_color": None, "footer_text": None,
                    "password_protected": False, "timezone": "UTC", "published": False, "metadata": {},
                    "created_at": NOW, "updated_at": NOW}
    (event,) = await events_of(api, "status_page.created")
    assert event["data"]["object"] == page


async def test_it_stores_the_password_hashed_and_never_shows_it(api):
    status, _, page = await api.request("POST", "/api/status-pages", json={
        "name": "Acme", "slug": "acme", "password": "correct horse", "custom_domain": "Status.Example.COM",
        "accent_color": "#A1B2C3", "footer_text": "© Acme",
        "timezone": "Europe/Paris", "published": True, "metadata": {"team": "ops"}})
    assert status == 201, page
    assert page["password_protected"] is True and "password" not in page
    assert "correct horse" not in json.dumps(page)
    assert (page["custom_domain"], page["accent_color"], page["timezone"], page["published"]) == (
        "status.example.com", "#a1b2c3", "Europe/Paris", True)
    ((hashed,),) = stored(api, "SELECT password_hash FROM status_pages")
    assert "correct horse" not in hashed and verify("correct horse", hashed) and not verify("wrong one", hashed)
    for event in await events_of(api, "status_page.*"):
        assert "correct horse" not in json.dumps(event)

    status, _, changed = await api.request("PATCH", f"/api/status-pages/{page['id']}", json={"password": None})
    assert status == 200 and changed["password_protected"] is False, changed
    assert stored(api, "SELECT password_hash FROM status_pages") == [(None,)]


async def test_it_lists_retrieves_updates_and_deletes(api):
    made = []
    for slug in ("one", "two", "three"):
        _, _, page = await api.request("POST", "/api/status-pages", json={"name": slug, "slug": slug,
                                                                          "published": slug != "two"})
        made.append(page)
    status, _, listed = await api.request("GET", "/api/status-pages?limit=2")
    assert status == 200 and [page["slug"] for page in listed["data"]] == ["three", "two"] and listed["has_more"]
    _, _, published = await api.request("GET", "/api/status-pages?published=false")
    assert [page["slug"] for page in published["data"]] == ["two"]

    page_id = made[0]["id"]
    status, _, got = await api.request("GET", f"/api/status-pages/{page_id}")
    assert status == 200 and got == made[0]
    for method in ("PATCH", "PUT"):
        status, _, changed = await api.request(method, f"/api/status-pages/{page_id}", json={
            "footer_text": f"by {method}", "metadata": {"k": method}})
        assert status == 200, changed
        assert (changed["footer_text"], changed["name"], changed["metadata"]) == (f"by {method}", "one",
                                                                                  {"k": method})
    status, _, same = await api.request("PATCH", f"/api/status-pages/{page_id}", json={"footer_text": "by PUT"})
    assert status == 200
    assert len(await events_of(api, "status_page.updated")) == 2  # the change that changed nothing wrote nothing
    status, _, cleared = await api.request("PATCH", f"/api/status-pages/{page_id}", json={"footer_text": None})
    assert cleared["footer_text"] is None

    _, _, section = await api.request("POST", f"/api/status-pages/{page_id}/sections", json={"name": "API"})
    _, _, report = await api.request("POST", f"/api/status-pages/{page_id}/reports", json={
        "title": "Slow", "message": "Looking"})
    status, _, body = await api.request("DELETE", f"/api/status-pages/{page_id}")
    assert status == 204 and body is None
    status, _, gone = await api.request("GET", f"/api/status-pages/{page_id}")
    assert status == 404 and gone["error"]["param"] == "id"
    for table in ("status_page_sections", "status_reports", "status_report_updates"):
        assert stored(api, f"SELECT count(*) FROM {table}") == [(0,)], table
    (deleted,) = await events_of(api, "status_page.deleted")
    assert deleted["data"]["object"]["id"] == page_id
