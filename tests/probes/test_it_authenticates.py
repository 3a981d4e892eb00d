"""auth: basic and bearer headers as the server sees them; never sent to another origin."""

import base64
import json
from urllib.parse import quote

from upstatd.probes import run_probe


def authorization(server) -> str | None:
    return dict(server.seen[-1].headers).get("Authorization")


async def test_basic_auth_reaches_the_server(web, http_target):
    target = http_target(web.url("/echo"), auth={"basic": {"username": "monitor", "password": "pä ss:w0rd"}})
    result = await run_probe("http", target, 2)
    assert result.outcome == "up"
    scheme, _, encoded = authorization(web).partition(" ")
    assert (scheme, base64.b64decode(encoded).decode()) == ("Basic", "monitor:pä ss:w0rd")


async def test_bearer_auth_reaches_the_server_and_the_body_can_be_checked(web, http_target):
    target = http_target(web.url("/echo"), auth={"bearer": "eyJhbGciOi.J9-x_y"},
                         json=[{"path": "$.method", "equals": "GET"}])
    result = await run_probe("http", target, 2)
    assert result.outcome == "up"
    assert authorization(web) == "Bearer eyJhbGciOi.J9-x_y"


async def test_auth_follows_a_redirect_on_the_same_origin_only(web, other_web, http_target):
    auth = {"bearer": "t0ken"}
    await run_probe("http", http_target(web.url(f"/redirect-to?url={quote('/echo')}"), auth=auth), 2)
    assert [s.path for s in web.seen][-1] == "/echo" and authorization(web) == "Bearer t0ken"
    url = web.url(f"/redirect-to?url={quote(other_web.url('/echo'), safe='')}")
    result = await run_probe("http", http_target(url, auth=auth), 2)
    assert result.outcome == "up"
    assert [s.path for s in other_web.seen] == ["/echo"] and authorization(other_web) is None


async def test_a_post_with_a_body_and_auth(web, http_target):
    target = http_target(web.url("/echo"), method="POST", body='{"ping": 1}', auth={"bearer": "abc"},
                         headers={"Content-Type": "application/json"}, keyword='"body": "{\\"ping\\": 1}"')
    result = await run_probe("http", target, 2)
    assert (result.outcome, result.error_message) == ("up", None)
    seen = web.seen[-1]
    assert (seen.method, seen.body, dict(seen.headers)["Authorization"]) == ("POST", b'{"ping": 1}', "Bearer abc")
    assert json.loads(seen.body) == {"ping": 1}
