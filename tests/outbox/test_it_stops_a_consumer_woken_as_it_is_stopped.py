"""A consumer stopped in the very moment it is woken stops: Python 3.11's
asyncio.wait_for returns the wake and drops the cancel, so a consumer removed
just after an event woke it ran on (an API change that disabled its endpoint
hung waiting for it, and it outlived the daemon's stop)."""

from __future__ import annotations

import asyncio

from outboxkit import Script


async def test_a_consumer_woken_and_removed_at_once_stops(box):
    box.outbox.poll_interval = 30  # idle consumers wait on their wake, not on the poll
    for round in range(20):  # bounded; each round a fresh consumer, idle, then woken and removed together
        consumer = box.consumer(Script())
        for _ in range(100):  # until it waits for its wake (bounded)
            await asyncio.sleep(0.005)
            if consumer.position == consumer.cursor and box.outbox.consumers:
                break
        consumer.wake.set()
        await asyncio.sleep(0)  # the wake lands in the consumer's wait first
        await asyncio.wait_for(box.outbox.remove(consumer.name), 3)
        assert consumer.task.done(), f"round {round}: the consumer ran on"
