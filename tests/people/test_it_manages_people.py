"""Over the API: a person is created, listed, read, changed and deleted; their
email and apprise methods become alert channels of their own (written in the
person's transaction, replaced when the methods change, deleted with them),
which /api/alert-channels neither lists nor serves; a shared channel is named
by key or id and shown by id. Each change is a person.created/updated/deleted
event with the person's public shape (the Apprise URL masked)."""

from __future__ import annotations

from peoplekit import relay

PHONE = "ntfys://ntfy.sh/anna-s3cret-topic"


async def channels_of(api, person_id: str) -> list[dict]:
    rows = api.daemon.read_db
    found = await rows.call(lambda conn: conn.execute(
        "SELECT id, name, type, settings, managed_by FROM alert_channels WHERE person_id = ? ORDER BY seq",
        (person_id,)).fetchall())
    return [{"id": r[0], "name": r[1], "type": r[2], "settings": r[3], "managed_by": r[4]} for r in found]


async def test_a_person_is_created_changed_and_deleted_with_their_own_channels(start_api, smtp):
    api = await start_api(relay(smtp))
    status, _, person = await api.request("POST", "/api/people", json={
        "name": "Anna Berzina", "email": "anna@example.com", "timezone": "Europe/Riga",
        "contact_methods": [{"channel": "chat"}, {"email": "anna@example.com", "via": "relay"},
                            {"apprise": PHONE}], "metadata": {"team": "ops"}})
    assert status == 201, person
    assert person["id"].startswith("usr_") and person["object"] == "person"
    assert (person["name"], person["timezone"], person["managed_by"]) == ("Anna Berzina", "Europe/Riga", "api")
    _, _, shared = await api.request("GET", "/api/alert-channels")
    ids = {row["key"]: row["id"] for row in shared["data"]}
    assert set(ids) == {"relay", "chat"}  # the personal ones are not listed
    assert person["contact_methods"] == [{"channel": ids["chat"]},
                                         {"email": "anna@example.com", "via": ids["relay"]},
                                         {"apprise": "********"}]
    own = await channels_of(api, person["id"])
    assert [(c["name"], c["type"], c["managed_by"]) for c in own] == [
        ("Anna Berzina (email)", "email", "api"), ("Anna Berzina (apprise)", "apprise", "api")]
    assert person["alert_channel_ids"] == [c["id"] for c in own]
    assert f'"via":"{ids["relay"]}"' in own[0]["settings"] and '"to":["anna@example.com"]' in own[0]["settings"]
    status, _, _ = await api.request("GET", f"/api/alert-channels/{own[0]['id']}")
    assert status == 404
    status, _, _ = await api.request("DELETE", f"/api/alert-channels/{own[0]['id']}")
    assert status == 404
    assert set(api.daemon.alerts.workers) >= {c["id"] for c in own}  # their consumers run

    status, _, listed = await api.request("GET", "/api/people")
    assert status == 200 and [row["id"] for row in listed["data"]] == [person["id"]]
    status, _, read = await api.request("GET", f"/api/people/{person['id']}")
    assert status == 200 and read == person

    # the masked URL sent back keeps the stored one; only the apprise channel's cursor goes on
    status, _, changed = await api.request("PATCH", f"/api/people/{person['id']}", json={
        "name": "Anna B.", "contact_methods": [{"apprise": "********"}]})
    assert status == 200, changed
    replaced = await channels_of(api, person["id"])
    assert [(c["name"], c["type"]) for c in replaced] == [("Anna B. (apprise)", "apprise")]
    assert PHONE in replaced[0]["settings"]
    assert changed["alert_channel_ids"] == [replaced[0]["id"]]
    assert own[0]["id"] not in api.daemon.alerts.workers  # the email channel's consumer stopped

    status, _, _ = await api.request("DELETE", f"/api/people/{person['id']}")
    assert status == 204
    assert await channels_of(api, person["id"]) == []
    status, _, _ = await api.request("GET", f"/api/people/{person['id']}")
    assert status == 404
    assert replaced[0]["id"] not in api.daemon.alerts.workers

    status, _, events = await api.request("GET", "/api/events?type=person.*&limit=100")
    assert status == 200, events
    said = [(event["type"], event["data"]["object"]["name"]) for event in reversed(events["data"])]
    assert said == [("person.created", "Anna Berzina"), ("person.updated", "Anna B."), ("person.deleted", "Anna B.")]
    assert PHONE not in str(events) and "********" in str(events)
