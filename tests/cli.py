"""Running the real `upstatd` command line in a subprocess."""

from __future__ import annotations

import asyncio
import sys


async def upstatd(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    """`python -m upstatd ARGS` -> (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "upstatd", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    return proc.returncode, out.decode(), err.decode()
