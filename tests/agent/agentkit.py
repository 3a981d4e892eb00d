"""Helpers of the agent tests: the token file, an in-process Agent on loopback, the
real `python -m upstatd agent` process waited for by its READY=1 (as tests/daemonproc.py
does for the daemon), and polling for what the peer got."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from pathlib import Path

from agentpeer import TOKEN, AgentPeer
from upstatd.agent.config import load_agent_config
from upstatd.agent.process import Agent

READY_TIMEOUT = 15


def token_file(tmp_path: Path, mode: int = 0o600, token: str = TOKEN) -> Path:
    path = tmp_path / "agent.token"
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def agent_for(peer: AgentPeer, tmp_path: Path, clock=None, region: str | None = None, **spool) -> Agent:
    """An in-process agent of `peer`, its spool in tmp_path (spool: max_size, max_age)."""
    config = load_agent_config(None, server=peer.url, token_file=str(token_file(tmp_path)), region=region,
                               spool=str(tmp_path / "spool.db"), environ={})
    if spool:
        import msgspec
        config = msgspec.structs.replace(config, **{f"spool_{name}": value for name, value in spool.items()})
    return Agent(config, clock=clock)


async def until(predicate, timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.02)


class AgentProcess:
    def __init__(self, args: list[str], log: Path, tmp_path: Path, env: dict | None = None) -> None:
        self.args, self.log = args, log
        self.env = env or {}
        self.notify_path = str(tmp_path / "agent-notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.setblocking(False)
        self.messages: list[bytes] = []
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, wait_ready: bool = True) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("UPSTATD_AGENT_")}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "upstatd", "agent", *self.args,
            stdout=asyncio.subprocess.DEVNULL, stderr=self.log.open("ab"),
            env={**env, **self.env, "NOTIFY_SOCKET": self.notify_path})
        # read as they come: a full socket queue would drop the agent's datagrams
        asyncio.get_running_loop().add_reader(self.notify.fileno(), self.read_notify)
        if not wait_ready:
            return
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self.read_notify()
            if any(message.startswith(b"READY=1") for message in self.messages):
                return
            if self.proc.returncode is not None:
                raise AssertionError(f"agent exited {self.proc.returncode}:\n{self.log.read_text()}")
            await asyncio.sleep(0.02)
        raise AssertionError(f"no READY=1 within {READY_TIMEOUT} s:\n{self.log.read_text()}")

    def read_notify(self) -> None:
        while True:
            try:
                self.messages.append(self.notify.recv(4096))
            except BlockingIOError:
                return

    async def wait(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout=20)

    async def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.notify.fileno())
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.notify.close()
