"""`upstatd --version` and `upstatd version`: the installed version, exit 0."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from cli import upstatd


@pytest.mark.parametrize("args", [("--version",), ("version",)])
async def test_it_prints_its_version(args):
    code, out, err = await upstatd(*args)
    assert (code, out, err) == (0, f"upstatd {version('upstatd')}\n", "")
