"""Ctrl-C in a process holding a lab (KeyboardInterrupt through asyncio.run, as pytest gets
it) still takes every namespace, the root-side veth and the spawned processes down."""

from __future__ import annotations

import asyncio
import signal

import labchild


async def test_an_interrupted_lab_is_torn_down(netns_available):
    child, run_id, sleeper = await labchild.start()
    assert len(labchild.namespaces_of(run_id)) == 4 and labchild.root_link_of(run_id)

    child.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(child.wait(), 10) != 0

    assert labchild.namespaces_of(run_id) == []
    assert labchild.root_link_of(run_id) is None
    assert await labchild.wait_dead(sleeper)
