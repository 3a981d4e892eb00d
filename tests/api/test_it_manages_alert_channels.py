"""/api/alert-channels over real HTTP to the in-process daemon: each type is
created, listed (filters, pages), retrieved, changed (PATCH and PUT, partial:
a type block merges key by key) and deleted; the secrets (email password,
Apprise URL, webhook URL and headers, PagerDuty routing key) read as
"********" in every answer, and "********" sent back keeps the stored value,
which a test send to a loopback receiver proves. Bad values are 422 naming
the API's param, unknown fields 400. Channels from the config file are the
file's: read-only but for `enabled` (409 managed_by_config), and a secret from
`${ENV}` is never shown."""

from __future__ import annotations

import json

import pytest
from alertkit import PagerDuty, Receiver, SmtpServer

from upstatd.store import alerts as alert_store

MASK = "********"
ROUTING_KEY = "R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y32"   # 32 letters and digits
HOOK_TOKEN = "hook-token-5f3a9c"
SMTP_PASSWORD = "smtp-pa55word-Xq"


@pytest.fixture
async def peers():
    smtp, hook, pd, apprise = (await SmtpServer().start(), await Receiver().start(), await PagerDuty().start(),
                               await Receiver().start())
    yield smtp, hook, pd, apprise
    for peer in (smtp, hook, pd, apprise):
        await peer.close()


def bodies(smtp, hook, pd, apprise) -> dict[str, dict]:
    return {
        "email": {"type": "email", "name": "ops mail",
                  "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none", "username": "alerts",
                            "password": SMTP_PASSWORD, "from": "upstatd@example.com", "to": ["ops@example.com"]}},
        "apprise": {"type": "apprise", "name": "chat", "apprise": {"url": f"json://127.0.0.1:{apprise.port}/"}},
        "webhook": {"type": "webhook", "name": "hook",
                    "webhook": {"url": hook.url(f"/in/{HOOK_TOKEN}"), "headers": {"X-Token": HOOK_TOKEN},
                                "body": '{"text": {{ subject | tojson }}}'}},
        "pagerduty": {"type": "pagerduty", "name": "pager", "reminder_interval_seconds": 600,
                      "pagerduty": {"routing_key": ROUTING_KEY, "url": pd.url("/v2/enqueue")}},
    }


def assert_masked(channel: dict) -> None:
    block = channel[channel["type"]]
    text = json.dumps(channel)
    for secret in (SMTP_PASSWORD, HOOK_TOKEN, ROUTING_KEY, "json://"):
        assert secret not in text, (secret, channel)
    expected = {"email": {"password": MASK}, "apprise": {"url": MASK},
                "webhook": {"url": MASK, "headers": {"X-Token": MASK}}, "pagerduty": {"routing_key": MASK}}
    for name, value in expected[channel["type"]].items():
        assert block[name] == value, (name, channel)


async def test_it_creates_lists_retrieves_and_deletes_each_type(api, peers):
    made = {}
    for kind, body in bodies(*peers).items():
        status, _, channel = await api.request("POST", "/api/alert-channels", json=body)
        assert status == 201, channel
        assert channel["object"] == "alert_channel" and channel["id"].startswith("ch_")
        assert (channel["type"], channel["name"], channel["key"], channel["managed_by"]) == (
            kind, body["name"], None, "api")
        assert channel["enabled"] is True and channel["status"] == "enabled"
        assert channel["events"] == ["incident.created", "incident.reopened", "incident.resolved",
                                     "incident.escalated"]
        assert set(channel) >= {"degraded", "reminder_interval_seconds", "digest_window_seconds", "templates",
                                "failing_since", "created_at", "updated_at"}
        assert not {"email", "apprise", "webhook", "pagerduty"} - {kind} & set(channel)
        assert_masked(channel)
        made[kind] = channel
    assert made["pagerduty"]["digest_window_seconds"] == 0 and made["email"]["digest_window_seconds"] == 60
    assert made["pagerduty"]["reminder_interval_seconds"] == 600
    assert made["email"]["email"] == {"host": "127.0.0.1", "port": peers[0].port, "security": "none",
                                      "username": "alerts", "password": MASK, "from": "upstatd@example.com",
                                      "to": ["ops@example.com"]}

    for kind, channel in made.items():
        status, _, got = await api.request("GET", f"/api/alert-channels/{channel['id']}")
        assert status == 200 and got == channel
    status, _, page = await api.request("GET", "/api/alert-channels")
    assert status == 200 and page["object"] == "list" and page["url"] == "/api/alert-channels"
    assert [c["type"] for c in page["data"]] == ["pagerduty", "webhook", "apprise", "email"]  # newest first
    for channel in page["data"]:
        assert_masked(channel)

    _, _, page = await api.request("GET", "/api/alert-channels?type=webhook")
    assert [c["id"] for c in page["data"]] == [made["webhook"]["id"]]
    _, _, page = await api.request("GET", "/api/alert-channels?limit=2")
    assert [c["type"] for c in page["data"]] == ["pagerduty", "webhook"] and page["has_more"] is True
    _, _, rest = await api.request("GET", f"/api/alert-channels?limit=2&starting_after={page['data'][-1]['id']}")
    assert [c["type"] for c in rest["data"]] == ["apprise", "email"] and rest["has_more"] is False
    _, _, back = await api.request("GET", f"/api/alert-channels?limit=1&ending_before={rest['data'][0]['id']}")
    assert [c["type"] for c in back["data"]] == ["webhook"]

    status, _, off = await api.request("PATCH", f"/api/alert-channels/{made['apprise']['id']}",
                                       json={"enabled": False})
    assert status == 200 and off["enabled"] is False and off["status"] == "disabled"
    _, _, page = await api.request("GET", "/api/alert-channels?enabled=false")
    assert [c["id"] for c in page["data"]] == [made["apprise"]["id"]]
    _, _, page = await api.request("GET", "/api/alert-channels?enabled=true")
    assert len(page["data"]) == 3
    status, _, error = await api.request("GET", "/api/alert-channels?type=sms")
    assert status in (400, 422) and error["error"]["param"] == "type", error

    status, _, body = await api.request("DELETE", f"/api/alert-channels/{made['email']['id']}")
    assert status == 204 and body is None
    status, _, error = await api.request("GET", f"/api/alert-channels/{made['email']['id']}")
    assert status == 404 and error["error"]["type"] == "invalid_request_error"
    status, _, error = await api.request("DELETE", f"/api/alert-channels/{made['email']['id']}")
    assert status == 404


async def test_a_partial_update_changes_only_what_is_given_and_keeps_masked_secrets(api, peers):
    smtp, hook, pd, apprise = peers
    made = {}
    for kind, body in bodies(*peers).items():
        _, _, made[kind] = await api.request("POST", "/api/alert-channels", json=body)

    # the object as read, sent back whole: nothing changes, updated_at included
    webhook = made["webhook"]
    echo = {name: webhook[name] for name in ("name", "events", "degraded", "reminder_interval_seconds",
                                             "digest_window_seconds", "templates", "enabled", "webhook")}
    for method in ("PATCH", "PUT"):
        status, _, same = await api.request(method, f"/api/alert-channels/{webhook['id']}", json=echo)
        assert status == 200 and same == webhook, same

    # one key of the block: merged into the stored one, the secrets kept
    status, _, changed = await api.request("PATCH", f"/api/alert-channels/{webhook['id']}",
                                           json={"name": "hook 2", "webhook": {"body": '{"t": "x"}'}})
    assert status == 200 and changed["name"] == "hook 2" and changed["webhook"]["body"] == '{"t": "x"}'
    assert_masked(changed)
    status, _, changed = await api.request("PUT", f"/api/alert-channels/{webhook['id']}",
                                           json={"reminder_interval_seconds": 90.5, "events": ["incident.created"]})
    assert status == 200 and changed["reminder_interval_seconds"] == 90.5
    assert changed["events"] == ["incident.created"] and changed["name"] == "hook 2"
    status, _, changed = await api.request("PATCH", f"/api/alert-channels/{webhook['id']}",
                                           json={"reminder_interval_seconds": None})
    assert changed["reminder_interval_seconds"] is None

    # "********" sent back in each secret keeps it: each test send reaches its receiver with it
    for kind in ("apprise", "webhook", "pagerduty"):
        block = {"apprise": {"url": MASK}, "webhook": {"url": MASK, "headers": {"X-Token": MASK}},
                 "pagerduty": {"routing_key": MASK, "url": pd.url("/v2/enqueue")}}[kind]
        status, _, changed = await api.request("PATCH", f"/api/alert-channels/{made[kind]['id']}",
                                               json={kind: block})
        assert status == 200, changed
        assert_masked(changed)
        status, _, tested = await api.request("POST", f"/api/alert-channels/{made[kind]['id']}/test")
        assert status == 200 and tested["ok"] is True, tested
    assert hook.got[-1].path == f"/in/{HOOK_TOKEN}" and hook.got[-1].headers["X-Token"] == HOOK_TOKEN
    assert pd.events[-1]["routing_key"] == ROUTING_KEY
    assert len(apprise.got) == 1

    # the email password, sent back masked with a new recipient: kept (as stored)
    email = made["email"]
    status, _, changed = await api.request("PATCH", f"/api/alert-channels/{email['id']}",
                                           json={"email": {**email["email"], "to": ["oncall@example.com"]}})
    assert status == 200 and changed["email"]["to"] == ["oncall@example.com"]
    assert_masked(changed)
    row = await api.daemon.read_db.call(alert_store.get, email["id"])
    assert row.settings["password"] == SMTP_PASSWORD and row.settings["username"] == "alerts"
    assert SMTP_PASSWORD not in repr(row) and SMTP_PASSWORD not in repr(row.spec())  # a log line, a traceback

    # a port left to its default follows the security; one given stays
    _, _, plain = await api.request("POST", "/api/alert-channels", json={
        "type": "email", "email": {"host": "mail.example", "from": "a@example.com", "to": ["b@example.com"]}})
    assert (plain["email"]["security"], plain["email"]["port"]) == ("starttls", 587)
    one = f"/api/alert-channels/{plain['id']}"
    _, _, changed = await api.request("PATCH", one, json={"email": {"security": "tls"}})
    assert (changed["email"]["security"], changed["email"]["port"]) == ("tls", 465)
    _, _, changed = await api.request("PATCH", one, json={"email": {"port": 2525}})
    _, _, changed = await api.request("PATCH", one, json={"email": {"security": "none"}})
    assert (changed["email"]["security"], changed["email"]["port"]) == ("none", 2525)

    # a header not stored cannot be "********": there is nothing to keep
    status, _, error = await api.request("PATCH", f"/api/alert-channels/{webhook['id']}",
                                         json={"webhook": {"headers": {"X-Other": MASK}}})
    assert status == 422 and error["error"]["param"] == "webhook.headers.X-Other", error
    status, _, error = await api.request("POST", "/api/alert-channels",
                                         json={"type": "pagerduty", "pagerduty": {"routing_key": MASK}})
    assert status == 422 and error["error"]["param"] == "pagerduty.routing_key", error

    # another type: its whole block, and the old block is gone
    status, _, changed = await api.request("PATCH", f"/api/alert-channels/{webhook['id']}", json={
        "type": "apprise", "apprise": {"url": f"json://127.0.0.1:{apprise.port}/moved"}})
    assert status == 200 and changed["type"] == "apprise" and "webhook" not in changed
    assert_masked(changed)
    status, _, error = await api.request("PATCH", f"/api/alert-channels/{webhook['id']}", json={"type": "email"})
    assert status == 422 and error["error"]["param"] == "email", error


BAD = [
    # body, status, param, words in the message
    ({"type": "email", "email": {"host": "h", "from": "a@b.c", "to": ["not an address"]}}, 422, "email.to.0",
     "email address"),
    ({"type": "email", "email": {"host": "h", "from": "a@b.c", "to": []}}, 422, "email.to", "non-empty list"),
    ({"type": "email", "email": {"from": "a@b.c", "to": ["x@y.z"]}}, 422, "email.host", "missing required key"),
    ({"type": "email", "email": {"host": "h", "from": "a@b.c", "to": ["x@y.z"], "username": "u"}}, 422, "email",
     "username and password go together"),
    ({"type": "email", "email": {"host": "h", "from": "a@b.c", "to": ["x@y.z"], "hostname": "x"}}, 400,
     "email.hostname", "unknown key"),
    ({"type": "email"}, 422, "email", "missing required key 'email'"),
    ({"type": "webhook", "webhook": {"url": "http://127.0.0.1:9/"}, "email": {"host": "h"}}, 422, "email",
     "not allowed on a channel of type webhook"),
    ({"type": "webhook", "webhook": {"url": "ftp://127.0.0.1/secret-token"}}, 422, "webhook.url",
     "http:// or https://"),
    ({"type": "webhook", "webhook": {"url": "http://127.0.0.1:9/", "headers": {"Bad Name": "x"}}}, 422,
     "webhook.headers.Bad Name", "header name"),
    ({"type": "webhook", "webhook": {"url": "http://127.0.0.1:9/", "body": "{{ broken"}}, 422, "webhook.body",
     ""),
    ({"type": "apprise", "apprise": {"url": "nosuchscheme://token"}}, 422, "apprise.url", "Apprise cannot use"),
    ({"type": "pagerduty", "pagerduty": {"routing_key": "short"}}, 422, "pagerduty.routing_key", "32 letters"),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "reminder_interval_seconds": 5}, 422,
     "reminder_interval_seconds", ""),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "digest_window_seconds": 7200}, 422,
     "digest_window_seconds", ""),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "templates": {"subject": "{% if %}"}}, 422,
     "templates.subject", ""),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "templates": {"footer": "x"}}, 422,
     "templates.footer", "unknown template"),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "events": ["monitor.down"]}, 422,
     "events.0", ""),
    ({"type": "sms"}, 422, "type", ""),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "colour": "red"}, 400, "colour", ""),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "degraded": "yes"}, 400, "degraded", ""),
    ({"type": "pagerduty", "pagerduty": {"routing_key": ROUTING_KEY}, "key": "mine"}, 400, "key", ""),
]


@pytest.mark.parametrize("body, status, param, words", BAD, ids=[f"{case[2]}-{case[1]}" for case in BAD])
async def test_bad_input_names_the_api_param(api, body, status, param, words):
    answer_status, _, answer = await api.request("POST", "/api/alert-channels", json=body)
    assert answer_status == status, answer
    error = answer["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert words in error["message"], error["message"]
    assert "secret-token" not in error["message"] and ROUTING_KEY not in error["message"]
    _, _, page = await api.request("GET", "/api/alert-channels")
    assert page["data"] == []


async def test_an_update_is_checked_the_same_way(api):
    _, _, made = await api.request("POST", "/api/alert-channels", json={
        "type": "email", "email": {"host": "h", "from": "a@b.c", "to": ["x@y.z"]}})
    for body, status, param in (({"email": {"to": ["x@y.z", "bad"]}}, 422, "email.to.1"),
                                ({"reminder_interval_seconds": 1}, 422, "reminder_interval_seconds"),
                                ({"templates": {"html": "{{ x"}}, 422, "templates.html"),
                                ({"pagerduty": {"routing_key": ROUTING_KEY}}, 422, "pagerduty"),
                                ({"email": {"smtp": "x"}}, 400, "email.smtp"),
                                ({"id": "ch_other"}, 400, "id")):
        answer_status, _, answer = await api.request("PATCH", f"/api/alert-channels/{made['id']}", json=body)
        assert (answer_status, answer["error"]["param"]) == (status, param), answer
    _, _, same = await api.request("GET", f"/api/alert-channels/{made['id']}")
    assert same == made
    status, _, answer = await api.request("PATCH", "/api/alert-channels/ch_nosuchchannel", json={"name": "x"})
    assert status == 404, answer


async def test_config_channels_are_read_only_but_for_enabled_and_hide_env_secrets(start_api, peers):
    smtp, hook, pd, apprise = peers
    api = await start_api(f"""
        alert_channels:
          - key: ops-hook
            name: ops hook
            type: webhook
            webhook: {{url: "http://127.0.0.1:{hook.port}/in/${{HOOK_TOKEN}}", headers: {{X-Token: "${{HOOK_TOKEN}}"}}}}
          - key: ops-mail
            type: email
            email: {{host: 127.0.0.1, port: {smtp.port}, security: none, username: alerts,
                     password: "${{SMTP_PASSWORD}}", from: upstatd@example.com, to: [ops@example.com]}}
        """, environ={"HOOK_TOKEN": HOOK_TOKEN, "SMTP_PASSWORD": SMTP_PASSWORD})
    status, _, page = await api.request("GET", "/api/alert-channels")
    assert status == 200
    channels = {channel["key"]: channel for channel in page["data"]}
    assert set(channels) == {"ops-hook", "ops-mail"}
    for channel in channels.values():
        assert channel["managed_by"] == "config"
        assert_masked(channel)
    hook_id = channels["ops-hook"]["id"]

    for method, path, body in (("PATCH", hook_id, {"name": "renamed"}),
                               ("PUT", hook_id, {"events": ["incident.created"]}),
                               ("PATCH", hook_id, {"webhook": {"body": '{"a": 1}'}}),
                               ("PATCH", hook_id, {"name": "renamed", "enabled": False}),
                               ("DELETE", hook_id, None)):
        status, _, error = await api.request(method, f"/api/alert-channels/{path}", json=body)
        assert status == 409 and error["error"]["code"] == "managed_by_config", error
        assert "ops-hook" in error["error"]["message"] and str(api.config_path) in error["error"]["message"]
        assert HOOK_TOKEN not in json.dumps(error)

    status, _, off = await api.request("PATCH", f"/api/alert-channels/{hook_id}", json={"enabled": False})
    assert status == 200 and off["enabled"] is False and off["managed_by"] == "config"
    assert_masked(off)
    status, _, tested = await api.request("POST", f"/api/alert-channels/{hook_id}/test")
    assert status == 200 and tested["ok"] is True, tested
    assert hook.got[-1].path == f"/in/{HOOK_TOKEN}" and hook.got[-1].headers["X-Token"] == HOOK_TOKEN
    assert HOOK_TOKEN not in json.dumps(tested)

    # a reload of the unchanged file keeps what the API said
    await api.daemon.alert_commands.reconcile(api.daemon.config.alert_channels)
    _, _, still = await api.request("GET", f"/api/alert-channels/{hook_id}")
    assert still["enabled"] is False
    status, _, on = await api.request("PATCH", f"/api/alert-channels/{hook_id}", json={"enabled": True})
    assert status == 200 and on["enabled"] is True
