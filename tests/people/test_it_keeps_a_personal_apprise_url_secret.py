"""A person's Apprise URL may carry tokens: every read shows it as "********",
a body sending "********" back keeps it, a refusal does not quote it, and no
log line has it (a test message through the person's channel included); the
spec's and the row's repr leave it out."""

from __future__ import annotations

from loopback import closed_port

from upstatd.config.people import PersonSpec
from upstatd.store.people import PersonRow

TOKEN = "s3cretT0kenXyz"


async def test_the_apprise_url_is_masked_kept_and_never_logged(api, capsys):
    url = f"json://127.0.0.1:{closed_port()}/{TOKEN}"
    status, _, person = await api.request("POST", "/api/people", json={
        "name": "Anna", "contact_methods": [{"apprise": url}]})
    assert status == 201, person
    assert person["contact_methods"] == [{"apprise": "********"}]
    _, _, listed = await api.request("GET", "/api/people")
    _, _, read = await api.request("GET", f"/api/people/{person['id']}")
    assert TOKEN not in str(listed) + str(read)

    status, _, changed = await api.request("PATCH", f"/api/people/{person['id']}", json={
        "name": "Anna B.", "contact_methods": [{"apprise": "********"}, {"apprise": "********"}]})
    assert status == 422 and changed["error"]["param"] == "contact_methods.1.apprise", changed  # none to keep
    status, _, changed = await api.request("PATCH", f"/api/people/{person['id']}", json={
        "name": "Anna B.", "contact_methods": [{"apprise": "********"}]})
    assert status == 200, changed
    stored = await api.daemon.read_db.call(lambda conn: conn.execute(
        "SELECT p.contact_methods, c.settings FROM people AS p JOIN alert_channels AS c ON c.person_id = p.id"
    ).fetchone())
    assert url in stored[0] and url in stored[1]

    [channel_id] = changed["alert_channel_ids"]
    status, _, tested = await api.request("POST", f"/api/alert-channels/{channel_id}/test")
    assert status == 200 and tested["ok"] is False, tested  # the closed port: a failure, logged
    status, _, refused = await api.request("PATCH", f"/api/people/{person['id']}", json={
        "contact_methods": [{"apprise": f"nosuch://{TOKEN}"}]})
    assert status == 422 and TOKEN not in refused["error"]["message"]

    row = await api.daemon.people_commands.get(person["id"])
    assert TOKEN not in repr(row) and TOKEN not in repr(row.spec())
    assert isinstance(row, PersonRow) and isinstance(row.spec(), PersonSpec)
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err
