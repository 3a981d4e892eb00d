"""`upstatd check-config` run as a real subprocess, the way an admin runs it
before a reload: exit 0 and OK, or exit 1 and every error on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import upstatd

ROOT = Path(upstatd.__file__).resolve().parent.parent


def upstatd_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("UPSTATD_") and key != "STATE_DIRECTORY"}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "upstatd", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)


def test_a_valid_file_is_ok(write_config):
    path = write_config("""\
        server:
          listen: "127.0.0.1:8080"
        storage:
          path: var/upstatd.db
        defaults:
          interval: 30s
        monitors:
          - key: web
            type: http
            url: https://${SITE}/health
          - key: db
            type: tcp
            url: tcp://db.internal:5432
        """)
    result = upstatd_cli("check-config", "-c", path, env={"SITE": "example.com"})
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{path}: OK, 2 monitors, 0 heartbeats\n", "")


def test_a_broken_file_exits_1_and_prints_every_error_one_per_line(write_config):
    path = write_config("""\
        monitors:
          - key: web
            type: http
            url: https://example.com/
          - key: db
            type: tcp
            url: tcp://db.internal
          - key: web
            type: http
            url: https://${UPSTATD_TEST_UNSET}/
        """)
    result = upstatd_cli("check-config", "-c", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}:7: monitors[1].url: must be tcp://host:port, got 'tcp://db.internal'\n"
        f"{path}:8: monitors[2].key: duplicate key 'web' (first used on line 2)\n"
        f"{path}:10: monitors[2].url: environment variable UPSTATD_TEST_UNSET is not set\n"
    )


def test_a_yaml_syntax_error_is_one_line_on_stderr(write_config):
    path = write_config("""\
        monitors:
          - key: web
            type: [http
        """)
    result = upstatd_cli("check-config", "-c", path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:3: YAML syntax error: expected ',' or ']', but got '<stream end>' "
                             "(while parsing a flow sequence)\n")


def test_a_missing_file_is_named(tmp_path):
    path = str(tmp_path / "missing.yaml")
    result = upstatd_cli("check-config", "-c", path)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"{path}: cannot read: No such file or directory\n")


def test_the_config_path_defaults_to_upstatd_config(write_config):
    path = write_config("monitors: []\n")
    result = upstatd_cli("check-config", env={"UPSTATD_CONFIG": path})
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{path}: OK, 0 monitors, 0 heartbeats\n", "")


def test_version_prints_the_version_first():
    # The lines after it name Python, SQLite and the dependencies (test_it_prints_its_version.py).
    result = upstatd_cli("version")
    assert (result.returncode, result.stdout.split("\n")[0], result.stderr) == (0, f"upstatd {upstatd.__version__}", "")
