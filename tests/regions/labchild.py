"""A lab held by another process, for the teardown tests: `python labchild.py` builds a lab
with regions "local" and "eu", starts `sleep 60` in "eu", prints "<run_id> <sleep's pid>"
and waits to be interrupted or killed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import netns

HERE = Path(__file__).parent


async def hold() -> None:
    async with netns.Lab(regions=("local", "eu")) as lab:
        sleeper = await lab.spawn("eu", ["sleep", "60"])
        print(lab.run_id, sleeper.pid, flush=True)
        await asyncio.sleep(60)


async def start() -> tuple[asyncio.subprocess.Process, str, int]:
    """This script as a child process, once its lab is up: (process, run_id, sleeper pid)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(HERE)})
    line = await asyncio.wait_for(child.stdout.readline(), 10)
    run_id, pid = line.decode().split()
    return child, run_id, int(pid)


def namespaces_of(run_id: str) -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return sorted(line.split()[0] for line in listed.splitlines() if line.startswith(f"{netns.PREFIX}-{run_id}-"))


def root_link_of(run_id: str) -> str | None:
    name = f"{netns.PREFIX}{run_id.replace('-', 'r')}"
    shown = subprocess.run(["ip", "link", "show", "dev", name], capture_output=True)
    return name if shown.returncode == 0 else None


async def wait_dead(pid: int, timeout: float = 5.0) -> bool:
    for _ in range(int(timeout / 0.01)):
        if not netns.pid_alive(pid):
            return True
        await asyncio.sleep(0.01)
    return False


if __name__ == "__main__":
    asyncio.run(hold())
