"""End to end: postgres's monitor goes down; the default webhook payload (an HTTP
receiver on loopback) has a `runbooks` list (id, title, the page's signed url,
the API path, the first three steps, how many more) and an Apprise json://
message's text names the runbook, its link and its first steps; their recovery
messages have none. PagerDuty (its Events API v2 on loopback): the trigger
carries the runbook as one of its `links` and in `custom_details.runbooks`."""

from __future__ import annotations

from notifykit import (LINK, STEPS, TITLE, Receiver, apprise_channel, eventually, facts, pagerduty,  # noqa: F401
                       postgres, receiver, start_api, webhook_channel)

from upstatd.alerts.message import notes, render
from upstatd.alerts.pagerduty import PagerDutyChannel

KEY = "R0UT1NGKEY0123456789abcdefABCDEF"


async def test_a_webhook_and_an_apprise_chat_name_the_runbook(start_api, receiver, tmp_path):
    chat = await Receiver().start()
    pg = await postgres(start_api, tmp_path, {"hook": webhook_channel(receiver.url("/hook")),
                                              "chat": apprise_channel(chat)})
    try:
        await pg.fail()
        await eventually(lambda: receiver.got and chat.got, timeout=15)
        [runbook] = receiver.json(0)["runbooks"]
        assert LINK.fullmatch(runbook.pop("url")), runbook
        assert runbook == {"id": "rbk_pg", "title": TITLE, "api_path": "/api/runbooks/rbk_pg",
                           "steps": STEPS[:3], "more_steps": 2}

        message = chat.json(0)["message"]
        line = next(line for line in message.splitlines() if line.startswith("Runbook: "))
        title, _, link = line.removeprefix("Runbook: ").rpartition(" ")
        assert title == TITLE and LINK.fullmatch(link), message
        assert f"  1. {STEPS[0]}\n  2. {STEPS[1]}\n  3. {STEPS[2]}\n  ... 2 more steps" in message
        assert STEPS[3] not in message

        await pg.recover()
        await eventually(lambda: len(receiver.got) >= 2 and len(chat.got) >= 2, timeout=15)
        assert receiver.json(1)["reason"] == "resolved" and receiver.json(1)["runbooks"] == []
        assert "up again" in chat.json(1)["message"] and TITLE not in chat.json(1)["message"]
    finally:
        pg.close()
        await chat.close()


async def test_a_pagerduty_trigger_links_the_runbook(pagerduty):
    runbooks = notes([("rbk_pg", TITLE, STEPS)], lambda runbook_id: f"https://status.example/runbooks/{runbook_id}?t=x")
    message = render(facts(runbooks=runbooks), "https://status.example", "pagerduty")
    channel = PagerDutyChannel(KEY, url=pagerduty.url("/v2/enqueue"))
    try:
        attempt = await channel.send(message)
        assert attempt.ok, attempt
        without = render(facts(), "https://status.example", "pagerduty")  # no runbook: the shape of before
        assert (await channel.send(without)).ok
    finally:
        await channel.close()
    event = pagerduty.events[0]
    assert event["links"] == [
        {"href": "https://status.example/api/incidents/inc_7Hq2", "text": "upstatd incident inc_7Hq2"},
        {"href": "https://status.example/runbooks/rbk_pg?t=x", "text": f"Runbook: {TITLE}"}]
    assert event["payload"]["custom_details"]["runbooks"] == [
        {"id": "rbk_pg", "title": TITLE, "url": "https://status.example/runbooks/rbk_pg?t=x",
         "api_path": "/api/runbooks/rbk_pg", "steps": STEPS[:3], "more_steps": 2}]
    assert "runbooks" not in pagerduty.events[1]["payload"]["custom_details"]
    assert len(pagerduty.events[1]["links"]) == 1
