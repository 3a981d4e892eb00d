"""Pings that must not count are recorded as `ignored`: a GET or HEAD to a
heartbeat with `methods: post`, any ping to one paused with `manual_resume`.
A paused heartbeat without manual_resume is resumed by its next ping (but not
by a /log). Pauses go through the API, as an operator's would."""

from __future__ import annotations

from pingkit import BACKUP, MANUAL, PING_KEY, POSTONLY


async def ping_ok(pinger, path: str, method: str = "GET") -> None:
    status, _, text = await pinger.ping(method, path)
    assert (status, text) == (200, "" if method == "HEAD" else "OK"), (path, text)


async def pause(pinger, key: str) -> None:
    heartbeat_id = pinger.heartbeat(key)["id"]
    status, _, body = await pinger.api.request("POST", f"/api/heartbeats/{heartbeat_id}/pause")
    assert (status, body["status"]) == (200, "paused"), body
    row = pinger.heartbeat(key)
    assert row["status"] == "paused" and row["paused_at"] is not None


async def resume(pinger, key: str) -> dict:
    heartbeat_id = pinger.heartbeat(key)["id"]
    status, _, body = await pinger.api.request("POST", f"/api/heartbeats/{heartbeat_id}/resume")
    assert status == 200, body
    return body


def kinds(pinger, key: str) -> list[tuple[str, str]]:
    return [(row["kind"], row["method"]) for row in pinger.pings(key)]


def status_of(pinger, key: str) -> tuple:
    row = pinger.heartbeat(key)
    return row["status"], row["current_state"], row["started_at"] is not None


async def test_get_and_head_to_a_post_only_heartbeat_are_ignored(pinger):
    for method in ("GET", "HEAD"):
        for action in ("", "/start", "/fail", "/0", "/1"):
            await ping_ok(pinger, POSTONLY + action, method)
            assert pinger.pings("postonly")[-1]["kind"] == "ignored", (method, action)
            assert status_of(pinger, "postonly") == ("active", "new", False)
    await ping_ok(pinger, f"{PING_KEY}/postonly", "GET")   # by slug too
    assert pinger.pings("postonly")[-1]["kind"] == "ignored"
    assert pinger.heartbeat("postonly")["last_ping_at"] is None
    # an ignored ping keeps its exit status and body: it is still a record of what came
    assert (await pinger.ping("GET", f"{POSTONLY}/3", data=b"rc=3"))[0] == 200
    row = pinger.pings("postonly")[-1]
    assert (row["kind"], row["exit_status"], row["body"]) == ("ignored", 3, b"rc=3")

    await ping_ok(pinger, f"{POSTONLY}/start", "POST")
    assert pinger.pings("postonly")[-1]["kind"] == "start"
    await ping_ok(pinger, POSTONLY, "POST")
    assert pinger.pings("postonly")[-1]["kind"] == "success"
    assert pinger.pings("postonly")[-1]["duration_ms"] is not None
    assert status_of(pinger, "postonly") == ("active", "up", False)
    await ping_ok(pinger, f"{POSTONLY}/fail", "GET")   # ignored: still up
    assert kinds(pinger, "postonly")[-1] == ("ignored", "GET")
    assert status_of(pinger, "postonly") == ("active", "up", False)
    await ping_ok(pinger, f"{POSTONLY}/fail", "POST")
    assert status_of(pinger, "postonly") == ("active", "down", False)
    assert len(pinger.pings("postonly")) == 16


async def test_any_ping_resumes_a_paused_heartbeat(pinger):
    await ping_ok(pinger, f"{BACKUP}/fail")
    await pause(pinger, "backup")
    await ping_ok(pinger, BACKUP, "HEAD")
    assert kinds(pinger, "backup")[-1] == ("success", "HEAD")
    row = pinger.heartbeat("backup")
    assert (row["status"], row["paused_at"], row["current_state"]) == ("active", None, "up")
    # the API sees it too
    status, _, body = await pinger.api.request("GET", f"/api/heartbeats/{row['id']}")
    assert (status, body["status"], body["current_state"]) == (200, "active", "up")
    flips = pinger.rows("SELECT from_state, to_state, reason FROM heartbeat_flips WHERE heartbeat_seq = ? "
                        "ORDER BY seq", row["seq"])
    # resumed as over the API (new: the slots missed while paused are forgotten), then the ping counts
    assert [tuple(flip) for flip in flips] == [("new", "down", "fail"), ("down", "new", "resumed"),
                                               ("new", "up", "ping")]


async def test_start_fail_and_exit_status_pings_resume_too(pinger):
    for action, state, started in (("/start", "new", True), ("/fail", "down", False), ("/0", "up", False),
                                   ("/5", "down", False)):
        await pause(pinger, "backup")
        await ping_ok(pinger, f"{PING_KEY}/backup{action}", "POST")
        assert pinger.pings("backup")[-1]["kind"] != "ignored"
        assert status_of(pinger, "backup") == ("active", state, started), action


async def test_a_log_ping_does_not_resume(pinger):
    await ping_ok(pinger, BACKUP)
    await pause(pinger, "backup")
    await ping_ok(pinger, f"{BACKUP}/log", "POST")
    assert kinds(pinger, "backup")[-1] == ("log", "POST")
    assert status_of(pinger, "backup") == ("paused", "up", False)
    await ping_ok(pinger, BACKUP)
    assert status_of(pinger, "backup") == ("active", "up", False)


async def test_a_paused_post_only_heartbeat_is_not_resumed_by_a_get(pinger):
    await pause(pinger, "postonly")
    await ping_ok(pinger, POSTONLY, "GET")
    assert kinds(pinger, "postonly")[-1] == ("ignored", "GET")
    assert status_of(pinger, "postonly") == ("paused", "new", False)
    await ping_ok(pinger, POSTONLY, "POST")
    assert kinds(pinger, "postonly")[-1] == ("success", "POST")
    assert status_of(pinger, "postonly") == ("active", "up", False)


async def test_manual_resume_ignores_every_ping_until_resumed_over_the_api(pinger):
    await ping_ok(pinger, f"{MANUAL}/fail")
    assert status_of(pinger, "manual") == ("active", "down", False)
    await pause(pinger, "manual")
    paused_at = pinger.heartbeat("manual")["paused_at"]
    for method in ("HEAD", "GET", "POST"):
        for path in (MANUAL, f"{MANUAL}/start", f"{MANUAL}/0", f"{MANUAL}/fail?rid={BACKUP}",
                     f"{PING_KEY}/manual", f"{MANUAL}/log"):
            await ping_ok(pinger, path, method)
            assert kinds(pinger, "manual")[-1] == ("ignored", method), path
            row = pinger.heartbeat("manual")
            assert (row["status"], row["current_state"], row["paused_at"], row["started_at"]) == \
                ("paused", "down", paused_at, None), path
    assert len(pinger.pings("manual")) == 1 + 18

    body = await resume(pinger, "manual")
    assert (body["status"], body["current_state"]) == ("active", "new")
    await ping_ok(pinger, MANUAL)
    assert kinds(pinger, "manual")[-1] == ("success", "GET")
    assert status_of(pinger, "manual") == ("active", "up", False)


async def test_manual_resume_counts_pings_while_not_paused(pinger):
    await ping_ok(pinger, f"{MANUAL}/start", "HEAD")
    await ping_ok(pinger, MANUAL, "HEAD")
    assert [kind for kind, _ in kinds(pinger, "manual")] == ["start", "success"]
    assert status_of(pinger, "manual") == ("active", "up", False)


async def test_a_start_before_the_pause_is_forgotten_when_a_ping_resumes(pinger):
    await ping_ok(pinger, f"{BACKUP}/start?rid={MANUAL}")
    assert status_of(pinger, "backup") == ("active", "new", True)
    await pause(pinger, "backup")
    await ping_ok(pinger, f"{BACKUP}?rid={MANUAL}")
    row = pinger.pings("backup")[-1]
    assert (row["kind"], row["duration_ms"]) == ("success", None)   # the run was dropped at the resume
    assert status_of(pinger, "backup") == ("active", "up", False)
