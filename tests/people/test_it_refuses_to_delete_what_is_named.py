"""A person named by a schedule (a layer's users or an override) or by an
escalation policy's `user` target is not deleted: 409 naming them all. A shared
channel that a person's contact methods name (or send their mail through) is not
deleted either: 409 naming the people."""

from __future__ import annotations

import msgspec
from peoplekit import relay

NOW_MS = 1_700_000_000_000


def _json(value) -> str:
    return msgspec.json.encode(value).decode()


async def test_a_named_person_and_a_named_channel_stay(start_api, smtp):
    api = await start_api(relay(smtp))
    made = {}
    for name in ("Anna", "Bob", "Carl", "Dana"):
        status, _, person = await api.request("POST", "/api/people", json={"name": name})
        assert status == 201
        made[name] = person["id"]
    layer = {"users": [made["Anna"]], "starts_at": "2026-03-06T10:00", "length": "weekly"}

    def seed(conn):
        cursor = conn.execute("INSERT INTO on_call_schedules (id, managed_by, name, layers, created_at, updated_at) "
                              "VALUES ('sch_ops', 'api', 'Ops', ?, ?, ?)", (_json([layer]), NOW_MS, NOW_MS))
        conn.execute("INSERT INTO on_call_overrides (id, schedule_seq, managed_by, user_id, starts_at, ends_at, "
                     "created_at) VALUES ('ovr_1', ?, 'api', ?, 0, 1, ?)", (cursor.lastrowid, made["Bob"], NOW_MS))
        steps = [{"wait_seconds": 0, "targets": [{"type": "user", "id": made["Carl"]},
                                                 {"type": "current_on_call", "id": "sch_ops"}]}]
        conn.execute("INSERT INTO escalation_policies (id, managed_by, name, steps, created_at, updated_at) "
                     "VALUES ('esc_page', 'api', 'Page', ?, ?, ?)", (_json(steps), NOW_MS, NOW_MS))

    await api.daemon.writer.run(seed)
    for name, named in (("Anna", "schedule sch_ops (Ops)"), ("Bob", "schedule sch_ops (Ops)"),
                        ("Carl", "escalation policy esc_page (Page)")):
        status, _, answer = await api.request("DELETE", f"/api/people/{made[name]}")
        assert status == 409 and answer["error"]["code"] == "person_in_use", answer
        assert named in answer["error"]["message"]
    status, _, _ = await api.request("DELETE", f"/api/people/{made['Dana']}")
    assert status == 204

    status, _, shared = await api.request("POST", "/api/alert-channels", json={
        "type": "email", "email": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                                   "from": "upstatd@example.com", "to": ["ops@example.com"]}})
    assert status == 201, shared
    relay_id = shared["id"]
    status, _, person = await api.request("PATCH", f"/api/people/{made['Anna']}", json={
        "contact_methods": [{"email": "anna@example.com", "via": relay_id}]})
    assert status == 200, person
    status, _, answer = await api.request("DELETE", f"/api/alert-channels/{relay_id}")
    assert status == 409 and answer["error"]["code"] == "channel_in_use", answer
    assert f"{made['Anna']} (Anna)" in answer["error"]["message"]
    status, _, _ = await api.request("GET", f"/api/alert-channels/{relay_id}")
    assert status == 200
