"""The ping URLs over real HTTP: every form by HEAD, GET and POST, what each
records in the pings table (read from the file right after the answer: a 200
means committed), and what is refused: malformed URLs (400 with a reason),
unknown tokens, slugs and ping keys (404, nothing made), other methods (405)."""

from __future__ import annotations

import asyncio
import time

import pytest

from pingkit import BACKUP, PING_KEY, UNKNOWN, SlowPost

METHODS = ("HEAD", "GET", "POST")
AGENT = "backup.sh/2.0 (curl/8.5.0)"

# the last part of the URL -> (kind, exit status, state after it)
ACTIONS = [
    ("", "success", None, "up"),
    ("/start", "start", None, "up"),
    ("/fail", "fail", None, "down"),
    ("/log", "log", None, "down"),   # changes nothing
    ("/0", "success", 0, "up"),
    ("/1", "fail", 1, "down"),
    ("/0", "success", 0, "up"),
    ("/255", "fail", 255, "down"),
]


def check_ok(status: int, headers, text: str, method: str, expected: str = "OK") -> None:
    assert status == (201 if expected == "Created" else 200), text
    assert text == ("" if method == "HEAD" else expected)
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("method", METHODS)
async def test_it_records_every_action_by_every_method(pinger, method):
    before_ms = int(time.time() * 1000)
    for number, (action, kind, exit_status, state) in enumerate(ACTIONS, start=1):
        status, headers, text = await pinger.ping(method, BACKUP + action, headers={"User-Agent": AGENT})
        check_ok(status, headers, text, method)
        assert headers["Ping-Body-Limit"] == "102400"
        # No flush, no wait: the row is in the file already.
        rows = pinger.pings("backup")
        assert len(rows) == number, (action, rows)
        last = rows[-1]
        assert (last["n"], last["kind"], last["exit_status"], last["method"]) == (number, kind, exit_status, method)
        assert (last["remote_addr"], last["user_agent"]) == ("127.0.0.1", AGENT)
        assert (last["rid"], last["body_size"], last["body"]) == (None, 0, None)
        # the finish after the start (neither with a rid) is paired: it has a duration
        assert (last["duration_ms"] is not None) == (ACTIONS[number - 2][1] == "start" and number > 1)
        assert before_ms <= last["created_at"] <= int(time.time() * 1000) + 1
        assert pinger.heartbeat("backup")["current_state"] == state, action
    assert pinger.count("pings") == len(ACTIONS)  # nothing landed on another heartbeat


async def test_every_ping_is_committed_before_its_answer(pinger):
    for number in range(1, 41):
        action = ("", "/start", "/log", "/0")[number % 4]
        status, _, _ = await pinger.ping(("GET", "POST", "HEAD")[number % 3], BACKUP + action)
        assert status == 200
        assert pinger.count("pings") == number


async def test_a_bad_exit_status_or_action_is_400(pinger):
    for method in METHODS:
        for action in ("256", "-1", "abc", "1000", "0255", "1.5", "starts", "START", "%C2%B2", "%20"):
            status, headers, text = await pinger.ping(method, f"{BACKUP}/{action}")
            assert status == 400, (method, action)
            assert headers["Cache-Control"] == "no-store"
            if method != "HEAD":
                assert "exit status must be 0-255" in text or "unknown ping action" in text, text
    assert pinger.count("pings") == 0
    assert pinger.heartbeat("backup")["current_state"] == "new"


async def test_the_reason_names_what_is_wrong(pinger):
    assert (await pinger.ping("GET", f"{BACKUP}/256"))[2] == "exit status must be 0-255, got 256"
    text = (await pinger.ping("GET", f"{BACKUP}/abc"))[2]
    assert text.startswith("unknown ping action 'abc': ping URLs are /ping/<uuid>")


@pytest.mark.parametrize("method", METHODS)
async def test_a_trailing_slash_and_an_uppercase_uuid_are_taken(pinger, method):
    for path, kind in ((f"{BACKUP}/", "success"), (f"{BACKUP}/start/", "start"), (BACKUP.upper(), "success"),
                       (f"{BACKUP.upper()}/fail/", "fail"), (f"{BACKUP[:9]}{BACKUP[9:].upper()}/3", "fail")):
        status, headers, text = await pinger.ping(method, path)
        check_ok(status, headers, text, method)
        assert pinger.pings("backup")[-1]["kind"] == kind, path
    assert len(pinger.pings("backup")) == 5


MALFORMED = [
    "5bf66975-d4c7-4bf5-bcc8",                               # short
    "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea27",                   # one digit short
    "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea2780",                 # one digit long
    "5bf66975d4c74bf5bcc8b8d8a82ea278",                      # no hyphens
    "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea27g",                  # not hex
    "{5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278}",                # braces
    "5bf66975-d4c7-4bf5-bcc8/start",                         # short, with an action
    "5bf66975d4c74bf5bcc8b8d8a82ea278/fail",                 # no hyphens, with an action
    "backup",                                                # a key is not a token
]


async def test_a_malformed_uuid_is_400_with_a_reason(pinger):
    for method in METHODS:
        for path in MALFORMED:
            status, headers, text = await pinger.ping(method, path)
            assert status == 400, (method, path)
            assert headers["Cache-Control"] == "no-store" and headers["Ping-Body-Limit"] == "102400"
            if method != "HEAD":
                first = path.split("/")[0]
                assert text.startswith(f"'{first}' is not a UUID like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"), text
    assert pinger.count("pings") == 0


OTHER_MALFORMED = [
    ("", "missing ping UUID"),
    (f"{BACKUP}/start/extra", "too many parts"),
    (f"{BACKUP}/fail/1", "too many parts"),
    (f"{PING_KEY}/backup/start/extra", "too many parts"),
    (f"{PING_KEY}/bad%20slug", "is not a valid slug"),
    (f"{PING_KEY}/-backup", "is not a valid slug"),
]


async def test_other_malformed_urls_are_400_with_a_reason(pinger):
    for path, reason in OTHER_MALFORMED:
        status, _, text = await pinger.ping("GET", path)
        assert status == 400 and reason in text, (path, text)
    assert pinger.count("pings") == 0


async def test_an_unknown_uuid_is_404_and_makes_nothing(pinger):
    heartbeats = [tuple(row) for row in pinger.rows("SELECT * FROM heartbeats ORDER BY seq")]
    for method in METHODS:
        for action in ("", "/start", "/fail", "/log", "/0", "/7", "?create=1", "/?rid=" + BACKUP,
                       "/start?create=1"):
            status, headers, text = await pinger.ping(method, UNKNOWN + action,
                                                      data=b"output" if method == "POST" else None)
            assert status == 404, (method, action)
            assert text == ("" if method == "HEAD" else "not found")
            assert headers["Cache-Control"] == "no-store"
    assert pinger.count("pings") == 0
    assert [tuple(row) for row in pinger.rows("SELECT * FROM heartbeats ORDER BY seq")] == heartbeats


async def test_other_methods_are_405(pinger):
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        for path in (BACKUP, f"{BACKUP}/fail", f"{PING_KEY}/backup", f"{PING_KEY}/new-one?create=1", UNKNOWN):
            status, headers, text = await pinger.ping(method, path, data=b"x")
            assert status == 405, (method, path)
            assert text == f"{method} is not allowed: ping with HEAD, GET or POST"
            assert headers["Cache-Control"] == "no-store"
    assert pinger.count("pings") == 0
    assert pinger.count("heartbeats") == 4
    assert pinger.heartbeat("backup")["current_state"] == "new"


@pytest.mark.parametrize("method", METHODS)
async def test_slug_urls_take_every_action(pinger, method):
    # "reports" has the slug nightly-reports; "backup" has none, so its key is its slug.
    for number, (action, kind, exit_status, state) in enumerate(ACTIONS, start=1):
        status, headers, text = await pinger.ping(method, f"{PING_KEY}/nightly-reports{action}",
                                                  headers={"User-Agent": AGENT})
        check_ok(status, headers, text, method)
        assert headers["Ping-Body-Limit"] == "102400"
        rows = pinger.pings("reports")
        assert len(rows) == number
        assert (rows[-1]["kind"], rows[-1]["exit_status"], rows[-1]["method"]) == (kind, exit_status, method)
        assert (rows[-1]["remote_addr"], rows[-1]["user_agent"]) == ("127.0.0.1", AGENT)
        assert pinger.heartbeat("reports")["current_state"] == state
    for path, kind in (("backup", "success"), ("backup/", "success"), ("backup/start/", "start"),
                       ("backup/3", "fail")):
        status, headers, text = await pinger.ping(method, f"{PING_KEY}/{path}")
        check_ok(status, headers, text, method)
        assert pinger.pings("backup")[-1]["kind"] == kind
    assert pinger.count("pings") == len(ACTIONS) + 4
    assert pinger.count("heartbeats") == 4


async def test_an_unknown_slug_is_404_without_create(pinger):
    for path in (f"{PING_KEY}/nope", f"{PING_KEY}/nope/start", f"{PING_KEY}/nope?create=0",
                 f"{PING_KEY}/nope?create=yes", f"{PING_KEY}/reports",   # a key with its own slug is not a slug
                 f"{PING_KEY}/Backup"):                                  # slugs are case-sensitive
        status, _, text = await pinger.ping("GET", path)
        assert (status, text) == (404, "not found"), path
    assert pinger.count("heartbeats") == 4
    assert pinger.count("pings") == 0


async def test_a_wrong_ping_key_is_404_and_makes_nothing(pinger):
    for key in ("pk_0123456789abcdefXYz",        # one letter off
                PING_KEY.upper(), PING_KEY[:-1], PING_KEY + "0", "someone-elses-key-0123456789"):
        for path in (f"{key}/backup", f"{key}/nightly-reports/fail", f"{key}/backup?create=1",
                     f"{key}/brand-new?create=1"):
            status, _, text = await pinger.ping("POST", path, data=b"x")
            assert (status, text) == (404, "not found"), path
    assert pinger.count("heartbeats") == 4
    assert pinger.count("pings") == 0


async def test_create_makes_an_api_heartbeat_once(pinger):
    status, headers, text = await pinger.ping("POST", f"{PING_KEY}/db-dump/start?create=1", data=b"begin")
    check_ok(status, headers, text, "POST", "Created")
    made = pinger.rows("SELECT * FROM heartbeats WHERE slug = 'db-dump'")
    assert len(made) == 1
    assert (made[0]["managed_by"], made[0]["key"], made[0]["name"]) == ("api", None, "db-dump")
    assert made[0]["id"].startswith("hbt_")
    assert [(row["kind"], row["body"]) for row in pinger.pings(made[0]["id"])] == [("start", b"begin")]
    # Now it exists: ?create=1 is a plain ping, and so is the URL without it, and its UUID works.
    status, headers, text = await pinger.ping("GET", f"{PING_KEY}/db-dump?create=1")
    check_ok(status, headers, text, "GET")
    status, headers, text = await pinger.ping("HEAD", f"{PING_KEY}/db-dump/0")
    check_ok(status, headers, text, "HEAD")
    status, _, _ = await pinger.ping("GET", f"{made[0]['token']}/log")
    assert status == 200
    assert [row["kind"] for row in pinger.pings(made[0]["id"])] == ["start", "success", "success", "log"]
    assert pinger.count("heartbeats") == 5
    # It is a heartbeat like any other over the API.
    status, _, body = await pinger.api.request("GET", f"/api/heartbeats/{made[0]['id']}")
    assert status == 200 and body["slug"] == "db-dump" and body["managed_by"] == "api"


async def test_twenty_concurrent_creates_make_one_heartbeat(pinger):
    async def create(i: int) -> tuple[int, str]:
        status, _, text = await pinger.ping("POST", f"{PING_KEY}/burst?create=1", data=f"run {i}".encode())
        return status, text

    results = await asyncio.gather(*(create(i) for i in range(20)))
    made = pinger.rows("SELECT id FROM heartbeats WHERE slug = 'burst'")
    assert len(made) == 1
    assert pinger.count("heartbeats") == 5
    # One request made it (201); the others pinged the one it made (200).
    assert sorted(results) == [(200, "OK")] * 19 + [(201, "Created")]
    rows = pinger.pings(made[0]["id"])
    assert sorted(row["body"] for row in rows) == sorted(f"run {i}".encode() for i in range(20))
    assert [row["n"] for row in rows] == list(range(1, 21))


async def test_a_uuid_shaped_ping_key_still_names_slugs(start_pinger):
    key = "8e1c7f04-5a9b-4c3d-9e2f-1a2b3c4d5e6f"  # made with uuidgen: a valid pings.key
    pinger = await start_pinger(f"pings: {{key: \"{key}\"}}")
    for path, kind in ((f"{key}/backup", "success"), (f"{key}/backup/start", "start"),
                       (f"{key}/nightly-reports/fail", "fail")):
        status, _, text = await pinger.ping("GET", path)
        assert (status, text) == (200, "OK"), (path, text)
    assert [row["kind"] for row in pinger.pings("backup")] == ["success", "start"]
    assert [row["kind"] for row in pinger.pings("reports")] == ["fail"]
    assert (await pinger.ping("GET", BACKUP))[0] == 200  # tokens still work


async def test_a_long_user_agent_is_cut_and_none_is_null(pinger):
    assert (await pinger.ping("GET", BACKUP, headers={"User-Agent": "a" * 300}))[0] == 200
    assert pinger.pings("backup")[-1]["user_agent"] == "a" * 200
    assert (await pinger.ping("GET", BACKUP, headers={"User-Agent": ""}))[0] == 200
    assert pinger.pings("backup")[-1]["user_agent"] is None


async def test_a_heartbeat_deleted_while_its_ping_body_comes_is_not_pinged(pinger):
    status, _, _ = await pinger.ping("GET", f"{PING_KEY}/short-lived?create=1")
    assert status == 201
    (made,) = pinger.rows("SELECT seq, id, token FROM heartbeats WHERE slug = 'short-lived'")
    slow = await SlowPost.send(pinger.url, made["token"], b"first half, ", b"second half")
    assert (await pinger.ping("GET", BACKUP))[0] == 200  # the slow ping's handler is waiting by now
    status, _, body = await pinger.api.request("DELETE", f"/api/heartbeats/{made['id']}")
    assert (status, body) == (204, None)
    status, raw = await slow.finish()
    assert status == 404, raw
    assert pinger.rows("SELECT count(*) FROM pings WHERE heartbeat_seq = ?", made["seq"])[0][0] == 0


async def test_a_heartbeat_changed_while_its_ping_body_comes_loses_no_ping(pinger):
    """An API change replaces the running heartbeat; a ping that started before it
    must land on the new one (on the old one it took a ping number twice, and the
    next ping's batch was rejected after its 200)."""
    status, _, _ = await pinger.ping("GET", f"{PING_KEY}/changing?create=1")
    assert status == 201
    (made,) = pinger.rows("SELECT id, token FROM heartbeats WHERE slug = 'changing'")
    slow = await SlowPost.send(pinger.url, made["token"], b"slow ", b"ping")
    assert (await pinger.ping("GET", BACKUP))[0] == 200
    status, _, body = await pinger.api.request("PATCH", f"/api/heartbeats/{made['id']}",
                                               json={"grace_seconds": 120})
    assert (status, body["grace_seconds"]) == (200, 120)
    status, raw = await slow.finish()
    assert status == 200, raw
    for action in ("/start", "", "/log"):
        assert (await pinger.ping("GET", made["token"] + action))[0] == 200
        assert pinger.pings(made["id"])[-1]["kind"] == (action.strip("/") or "success")
    rows = pinger.pings(made["id"])
    assert [(row["n"], row["kind"], row["body"]) for row in rows] == [
        (1, "success", None), (2, "success", b"slow ping"), (3, "start", None), (4, "success", None),
        (5, "log", None)]
