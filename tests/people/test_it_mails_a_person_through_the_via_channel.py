"""A person's email goes out through the SMTP settings of their `via` channel
as they are at the time of sending (host, port, sender), to the person's own
address only: changing the shared channel moves the person's mail with it."""

from __future__ import annotations

from loopback import closed_port, eventually


async def test_the_via_channels_settings_of_the_moment_send_the_persons_mail(api, smtp):
    status, shared = (await api.request("POST", "/api/alert-channels", json={
        "type": "email", "email": {"host": "127.0.0.1", "port": closed_port(), "security": "none",
                                   "from": "upstatd@example.com", "to": ["ops@example.com"]}}))[::2]
    assert status == 201, shared
    status, _, person = await api.request("POST", "/api/people", json={
        "name": "Anna", "contact_methods": [{"email": "anna@example.com", "via": shared["id"]}]})
    assert status == 201, person
    [own] = person["alert_channel_ids"]
    status, _, tested = await api.request("POST", f"/api/alert-channels/{own}/test")
    assert status == 200 and tested["ok"] is False  # the relay's port is closed

    status, _, _ = await api.request("PATCH", f"/api/alert-channels/{shared['id']}", json={
        "email": {"port": smtp.port, "from": "pager@example.com"}})
    assert status == 200
    status, _, tested = await api.request("POST", f"/api/alert-channels/{own}/test")
    assert status == 200 and tested["ok"] is True, tested
    await eventually(lambda: len(smtp.mails) == 1, timeout=5)
    assert (smtp.mails[0].sender, smtp.mails[0].recipients) == ("pager@example.com", ["anna@example.com"])
