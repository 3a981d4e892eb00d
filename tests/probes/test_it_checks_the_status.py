"""expected_status decides; a miss is a status_code failure carrying the status."""

import pytest

from upstatd.probes import run_probe


async def test_500_is_a_status_code_failure(web, http_target):
    result = await run_probe("http", http_target(web.url("/fail")), 2)
    assert not result.ok
    assert (result.error_kind, result.status_code) == ("status_code", 500)
    assert result.error_message == "status 500, expected 2xx"
    assert {"resolve", "connect", "first_byte"} <= set(result.phases)


@pytest.mark.parametrize("status, expected, ok, message", [
    (404, 404, True, None),
    (404, "4xx", True, None),
    (404, "400-404", True, None),
    (405, "400-404", False, "status 405, expected 400-404"),
    (200, ["3xx", 201], False, "status 200, expected 3xx, 201"),
    (201, ["3xx", 201], True, None),
    (503, ["2xx", "503"], True, None),
    (599, "5XX", True, None),
])
async def test_expected_status_table(web, http_target, status, expected, ok, message):
    target = http_target(web.url(f"/status/{status}"), expected_status=expected)
    result = await run_probe("http", target, 2)
    assert (result.ok, result.status_code, result.error_message) == (ok, status, message)
    assert result.error_kind == (None if ok else "status_code")
