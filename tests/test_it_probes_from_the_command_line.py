"""`upstatd probe TARGET`: the real CLI against loopback targets."""

from __future__ import annotations

import json

from loopback import closed_port, start_web

from cli import upstatd


async def test_it_prints_each_phase_of_a_good_answer():
    web = await start_web()
    try:
        code, out, err = await upstatd("probe", web.url("/ok"))
    finally:
        await web.close()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{web.url('/ok')} (http, timeout 10s)"
    assert [line.split()[0] for line in lines[1:]] == [
        "resolve", "connect", "first_byte", "transfer", "total", "status", "up"]
    assert lines[-2].split() == ["status", "200"]


async def test_it_exits_non_zero_and_says_why_on_failure():
    port = closed_port()
    code, out, _ = await upstatd("probe", f"tcp://127.0.0.1:{port}")
    assert code == 1
    assert out.splitlines()[-1] == f"down: connection_error: connection refused by 127.0.0.1:{port}"


async def test_it_takes_type_options_and_prints_json():
    web = await start_web()
    try:
        code, out, _ = await upstatd("probe", web.url("/fail"), "-o", "expected_status=[500]", "--json")
        bad_code, bad_out, _ = await upstatd("probe", web.url("/fail"), "--json")
    finally:
        await web.close()
    assert code == 0
    result = json.loads(out)
    assert (result["outcome"], result["status_code"], result["error_kind"]) == ("up", 500, None)
    assert bad_code == 1
    assert json.loads(bad_out)["error_message"] == "status 500, expected 2xx"


async def test_it_rejects_bad_arguments_with_the_config_messages():
    code, out, err = await upstatd("probe", "https://127.0.0.1:1/", "-o", "method=FETCH", "--timeout", "0s")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "upstatd probe: timeout: must be >= 100ms",
        "upstatd probe: http.method: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got 'FETCH'",
    ]
    code, _, err = await upstatd("probe", "gopher://example/")
    assert code == 2 and "cannot tell the probe type of 'gopher://example/'; give --type" in err
