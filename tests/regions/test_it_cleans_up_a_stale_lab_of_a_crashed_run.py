"""A run SIGKILLed while holding a lab leaves its namespaces behind (its processes die with
it, by their death signal); the next lab built removes them, and leaves live labs alone."""

from __future__ import annotations

import asyncio
import signal

import labchild
import netns


async def test_a_dead_runs_lab_is_removed_at_the_next_start(netns_available):
    async with netns.Lab(regions=("local",)) as live:
        child, run_id, sleeper = await labchild.start()
        with netns.lab_lock():  # a lab built meanwhile by another worker would clean it up
            child.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(child.wait(), 10) == -signal.SIGKILL
            assert await labchild.wait_dead(sleeper), "the death signal did not kill the spawned process"
            assert len(labchild.namespaces_of(run_id)) == 4 and labchild.root_link_of(run_id)

        async with netns.Lab(regions=("local",)):
            assert labchild.namespaces_of(run_id) == []
            assert labchild.root_link_of(run_id) is None
            assert live.leftovers() == [*sorted(live.ns(role) for role in live.roles), live.root_link]
