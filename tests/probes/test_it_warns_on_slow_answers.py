"""max_response_time: a correct but slow answer is degraded, not down."""

import re

from upstatd.probes import run_probe


async def test_a_slow_correct_answer_is_degraded(web, http_target):
    result = await run_probe("http", http_target(web.url("/slow/300"), max_response_time="100ms"), 2)
    assert (result.ok, result.outcome, result.status_code, result.error_kind) == (True, "degraded", 200, "slow_response")
    match = re.fullmatch(r"answered in (\d+)ms, above max_response_time 100ms", result.error_message)
    assert match and 300 <= int(match.group(1)) < 1000
    assert result.latency_ms >= 300


async def test_a_fast_answer_is_up(web, http_target):
    result = await run_probe("http", http_target(web.url("/ok"), max_response_time="1s"), 2)
    assert (result.outcome, result.error_kind) == ("up", None)


async def test_a_slow_wrong_answer_is_down_for_what_is_wrong(web, http_target):
    result = await run_probe("http", http_target(web.url("/slow/200"), max_response_time="50ms", keyword="healthy"), 2)
    assert (result.outcome, result.error_kind) == ("down", "keyword_missing")


async def test_past_the_timeout_it_is_a_timeout_not_slow(web, http_target):
    result = await run_probe("http", http_target(web.url("/slow/500"), max_response_time="100ms"), 0.2)
    assert (result.outcome, result.error_kind) == ("down", "timeout")
