"""The Apprise sender against HTTP receivers on loopback: `json://` and
`ntfy://` URLs deliver the message (the receiver checks the payload); a 500
is a failed attempt whose error is Apprise's, with the URL's secrets masked;
a receiver slower than the timeout fails the attempt on time while the event
loop keeps running; a send still queued for a thread at its deadline never
runs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import time

import pytest
from alertkit import LagMeter, Receiver, facts

from upstatd.alerts.apprise_channel import AppriseChannel, mask, secrets_of
from upstatd.alerts.message import render

PUBLIC = "https://status.example"
SECRET = "tok3nS3cretValue"


@pytest.fixture
def executor():
    pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="test-apprise")
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


async def test_a_json_url_posts_the_message(receiver, executor):
    message = render(facts(), PUBLIC, "apprise")
    attempt = await AppriseChannel(f"json://127.0.0.1:{receiver.port}/alerts", executor=executor).send(message)
    assert attempt.ok and attempt.error is None, attempt
    [got] = receiver.got
    assert got.path == "/alerts"
    body = json.loads(got.body)
    assert body["title"] == "[DOWN] monitor shop frontend is down (timeout)"
    assert body["message"] == message.text.strip()
    assert "timeout: no answer within 10s" in body["message"] and "12m 5s" in body["message"]
    assert body["type"] == "failure"


async def test_a_recovery_is_a_success_notification(receiver, executor):
    message = render(facts(reason="resolved", resolved_at=facts().started_at + 300), PUBLIC, "apprise")
    assert (await AppriseChannel(f"json://127.0.0.1:{receiver.port}/", executor=executor).send(message)).ok
    body = json.loads(receiver.got[0].body)
    assert body["type"] == "success" and "up again after 5m" in body["title"]


async def test_an_ntfy_url_publishes_to_the_topic(receiver, executor):
    message = render(facts(), PUBLIC, "apprise")
    attempt = await AppriseChannel(f"ntfy://127.0.0.1:{receiver.port}/shop-alerts-x7", executor=executor).send(message)
    assert attempt.ok, attempt
    [got] = receiver.got
    body = json.loads(got.body)
    assert body["topic"] == "shop-alerts-x7"
    assert body["title"] == message.subject
    assert body["message"] == message.text.strip()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_500_fails_with_apprises_error_and_no_secret(receiver, executor):
    receiver.status = 500
    url = f"json://alerts:{SECRET}@127.0.0.1:{receiver.port}/hook/{SECRET}x"
    channel = AppriseChannel(url, executor=executor)
    root, seen, level = logging.getLogger(), Records(), logging.getLogger().level
    root.addHandler(seen)  # where the daemon's log handler sits
    root.setLevel(logging.DEBUG)
    try:
        attempt = await channel.send(render(facts(), PUBLIC, "apprise"))
    finally:
        root.removeHandler(seen)
        root.setLevel(level)
    assert not attempt.ok and attempt.retry is True, attempt
    assert "500" in attempt.error and "JSON" in attempt.error
    assert len(receiver.got) == 1
    for text in (attempt.error, repr(channel), channel.where):
        assert SECRET not in text
    assert not [r for r in seen.records if r.name.startswith("apprise")]  # Apprise's records stay out of the daemon's log


async def test_concurrent_sends_keep_their_own_errors(executor):
    failing, fine = await Receiver(status=500).start(), await Receiver().start()
    try:
        bad = AppriseChannel(f"json://127.0.0.1:{failing.port}/", executor=executor)
        good = AppriseChannel(f"json://127.0.0.1:{fine.port}/", executor=executor)
        message = render(facts(), PUBLIC, "apprise")
        results = await asyncio.gather(*(channel.send(message) for channel in [bad, good] * 3))
        assert [a.ok for a in results] == [False, True] * 3
        assert all(a.error is None for a in results[1::2])
        assert all("500" in a.error for a in results[::2])
    finally:
        await failing.close()
        await fine.close()


async def test_a_slow_receiver_fails_the_attempt_on_time_without_blocking_the_loop(receiver, executor):
    receiver.delay = 3.0
    channel = AppriseChannel(f"json://127.0.0.1:{receiver.port}/", timeout=0.5, executor=executor)
    with LagMeter(0.01) as lag:
        started = time.monotonic()
        attempt = await channel.send(render(facts(), PUBLIC, "apprise"))
        took = time.monotonic() - started
    assert not attempt.ok and attempt.retry is True and attempt.error == "no answer within 0.5s", attempt
    assert 0.45 <= took < 1.0
    # the loop ran all along: a blocked loop would tick about once, ~0.5 s late
    # (the margins allow for a machine busy with other work)
    assert lag.ticks >= 15, lag.ticks
    assert lag.worst < 0.25, lag.worst
    assert len(receiver.got) == 1


async def test_a_send_queued_past_its_deadline_never_runs(receiver):
    receiver.delay = 1.0
    single = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="test-apprise-one")
    try:
        slow = AppriseChannel(f"json://127.0.0.1:{receiver.port}/first", timeout=0.6, executor=single)
        queued = AppriseChannel(f"json://127.0.0.1:{receiver.port}/second", timeout=0.2, executor=single)
        first = asyncio.ensure_future(slow.send(render(facts(), PUBLIC, "apprise")))
        await asyncio.sleep(0.05)
        second = await queued.send(render(facts(), PUBLIC, "apprise"))
        assert not second.ok and second.error == "no answer within 0.2s"
        assert not (await first).ok
        await asyncio.sleep(1.2)  # the thread is free again: the queued send was cancelled, not run late
        assert [got.path for got in receiver.got] == ["/first"]
    finally:
        single.shutdown(wait=False, cancel_futures=True)


def test_an_unusable_url_is_refused_without_showing_it():
    with pytest.raises(ValueError, match=r"scheme 'nosuch'") as caught:
        AppriseChannel(f"nosuch://{SECRET}@example.test/")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("url, hidden, shown", [
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/12345/", ["AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"], []),
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", ["TIiajkdnlazkcOXrIdevi7FQ", "A1BRTD4JD"], []),
    ("ntfys://user:pa55word@ntfy.example.org/topic-x?token=tk_abcdef", ["pa55word", "tk_abcdef", "topic-x"],
     ["ntfy.example.org"]),
])
def test_the_parts_of_a_url_that_may_be_secret_are_masked(url, hidden, shown):
    text = mask(f"failed for {url}: " + " ".join(hidden + shown), secrets_of(url))
    assert all(secret not in text for secret in hidden), text
    assert all(name in text for name in shown), text
