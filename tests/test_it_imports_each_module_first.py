"""Every upstatd module imports when it is the first one imported (no import
cycle that only a lucky order hides): the bench imports
`upstatd.monitors.service` on its own, and a cycle through `upstatd.subjects`
once broke that."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import importlib, pkgutil, sys, traceback
import upstatd
names = sorted(m.name for m in pkgutil.walk_packages(upstatd.__path__, "upstatd.")
               if not m.name.endswith(".__main__"))  # that one runs the CLI
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "upstatd" or m.startswith("upstatd.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\n".join(failed))
print(f"{len(names)} modules")
"""


def test_every_module_imports_first():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    *failed, count = result.stdout.strip().split("\n")
    assert [line for line in failed if line] == [], "\n".join(failed)
    assert int(count.split()[0]) > 50
