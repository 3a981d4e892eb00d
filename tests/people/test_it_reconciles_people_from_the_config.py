"""People from the config file: created at start with their own channels
(managed_by config, no key), which a reload of the alert channels leaves alone;
a reload that changes a person replaces their channels, one that drops a person
deletes them with theirs. Over the API they can be read, not changed (409
naming the file). Each change is a person.* event."""

from __future__ import annotations

from peoplekit import relay

PEOPLE = """
people:
  - key: anna
    name: Anna Berzina
    timezone: Europe/Riga
    contact_methods:
      - channel: chat
      - {email: anna@example.com, via: relay}
  - key: bob
    name: Bob
    contact_methods: [{email: bob@example.com}]
"""


async def personal(api) -> list[tuple]:
    return await api.daemon.read_db.call(lambda conn: conn.execute(
        "SELECT p.key, c.id, c.name, c.managed_by, c.key FROM alert_channels AS c JOIN people AS p "
        "ON p.id = c.person_id ORDER BY c.seq").fetchall())


async def test_the_files_people_are_reconciled_with_their_channels(start_api, smtp):
    api = await start_api(relay(smtp, PEOPLE))
    status, _, listed = await api.request("GET", "/api/people")
    people = {row["key"]: row for row in listed["data"]}
    assert set(people) == {"anna", "bob"} and people["anna"]["managed_by"] == "config"
    before = await personal(api)
    assert [(k, name, by, key) for k, _, name, by, key in before] == [
        ("anna", "Anna Berzina (email)", "config", None), ("bob", "Bob (email)", "config", None)]
    assert {row[1] for row in before} <= set(api.daemon.alerts.workers)

    status, _, answer = await api.request("PATCH", f"/api/people/{people['anna']['id']}", json={"name": "A"})
    assert status == 409 and str(api.config_path) in answer["error"]["message"], answer
    status, _, answer = await api.request("DELETE", f"/api/people/{people['bob']['id']}")
    assert status == 409

    assert await api.daemon.reload()  # unchanged: the same channels go on (alert channels reconciled first)
    assert await personal(api) == before

    api.config_path.write_text(api.config_path.read_text()
                               .replace("anna@example.com", "anna@riga.example").split("  - key: bob")[0])
    assert await api.daemon.reload()
    after = await personal(api)
    assert [(k, name) for k, _, name, _, _ in after] == [("anna", "Anna Berzina (email)")]
    assert after[0][1] != before[0][1]
    settings = await api.daemon.read_db.call(lambda conn: conn.execute(
        "SELECT settings FROM alert_channels WHERE id = ?", (after[0][1],)).fetchone()[0])
    assert "anna@riga.example" in settings
    status, _, _ = await api.request("GET", f"/api/people/{people['bob']['id']}")
    assert status == 404
    assert before[1][1] not in api.daemon.alerts.workers and after[0][1] in api.daemon.alerts.workers
    _, _, events = await api.request("GET", "/api/events?type=person.*&limit=100")
    assert sorted((e["type"], e["data"]["object"]["key"]) for e in events["data"]) == [
        ("person.created", "anna"), ("person.created", "bob"), ("person.deleted", "bob"), ("person.updated", "anna")]
