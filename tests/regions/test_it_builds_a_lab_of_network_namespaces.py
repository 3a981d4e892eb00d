"""The namespace lab of tests/regions/netns.py: regions reach a target server in their own
namespaces, a block cuts one region off at once and only that one, the test process
reaches a server in a region, a spawned process is the program itself and dies by
SIGKILL, and nothing of a lab is left after it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import urllib.request

import pytest

import netns

FAST = 0.5  # seconds: a refused connect takes under 5 ms here; a timeout would take 3 s


async def test_every_region_reaches_the_target(lab):
    await lab.start_target()
    outcomes = await asyncio.gather(*(lab.reach(region, target) for region in lab.regions for target in lab.targets))
    assert [outcome for outcome, _ in outcomes] == ["200"] * 6


async def test_a_region_reaches_nothing_outside_the_lab(lab):
    outcome, seconds = await lab.reach("eu", "192.0.2.1")
    assert (outcome, seconds < FAST) == ("ENETUNREACH", True)


async def test_a_block_cuts_off_one_region_from_one_address_at_once(lab):
    await lab.start_target()
    lab.block("eu", lab.target)
    outcome, seconds = await lab.reach("eu", lab.target)
    assert (outcome, seconds < FAST) == ("EHOSTUNREACH", True)
    others = [(region, lab.target) for region in ("local", "us")] + [("eu", lab.targets[1])]
    assert [(await lab.reach(region, target))[0] for region, target in others] == ["200"] * 3

    lab.unblock("eu", lab.target)
    assert (await lab.reach("eu", lab.target))[0] == "200"
    with pytest.raises(KeyError):
        lab.unblock("eu", lab.target)


async def test_a_block_by_role_name_covers_its_addresses(lab):
    await lab.start_target()
    lab.block("us", "targets")
    assert [(await lab.reach("us", target))[0] for target in lab.targets] == ["EHOSTUNREACH"] * 2
    assert (await lab.reach("local", lab.target))[0] == "200"


async def test_the_test_process_reaches_a_server_in_a_region(lab):
    server = await lab.spawn("local", [sys.executable, str(netns.TARGET_SERVER), lab.address("local"), "8080"],
                             stdout=asyncio.subprocess.PIPE)
    assert (await asyncio.wait_for(server.stdout.readline(), 10)).startswith(b"listening")

    def get(url: str) -> int:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status

    assert await asyncio.to_thread(get, lab.url("local", 8080, "/status/204")) == 204
    # and from another region, over the bridge
    assert (await lab.reach("eu", lab.address("local"), 8080))[0] == "200"


async def test_a_spawned_process_is_the_program_and_dies_by_sigkill(lab):
    script = ("import os, sys, time; print(os.getpid(), os.stat('/proc/self/ns/net').st_ino, flush=True); "
              "time.sleep(60)")
    process = await lab.spawn("eu", [sys.executable, "-c", script], stdout=asyncio.subprocess.PIPE)
    pid, inode = map(int, (await asyncio.wait_for(process.stdout.readline(), 10)).split())
    assert pid == process.pid
    assert inode == os.stat(f"/run/netns/{lab.ns('eu')}").st_ino != os.stat("/proc/self/ns/net").st_ino

    process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(process.wait(), 5) == -signal.SIGKILL


async def test_nothing_of_a_lab_remains_after_it_exits(netns_available):
    with pytest.raises(RuntimeError, match="the test failed"):
        async with netns.Lab(regions=("local", "eu")) as lab:
            sleeper = await lab.spawn("eu", ["sleep", "60"])
            assert lab.leftovers() == [*sorted(lab.ns(role) for role in lab.roles), lab.root_link]
            raise RuntimeError("the test failed")
    assert lab.leftovers() == []
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    assert f"{netns.PREFIX}-{lab.run_id}-" not in names
    assert lab.root_link not in links
    assert sleeper.returncode == -signal.SIGKILL
