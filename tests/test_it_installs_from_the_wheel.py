"""README's "Install as a systemd service", step by step, as far as a machine
without systemd as PID 1 allows: build the wheel, install it into a fresh
venv (what pipx does), `upstatd init` into temp prefixes, check the files and
their modes, `check-config` the written config, run the daemon on it until
READY=1 and /healthz answers, stop it with SIGTERM, and have
`systemd-analyze` verify the generated units (the daemon's, the backup's
service and timer) and rate the daemon's; the daemon and then the backup run
under their units' sandboxes.

The fresh venv gets the wheel alone (--no-deps, no index: no network); its
dependencies come from the test venv's site-packages through a .pth line,
which adds that directory to sys.path without running its .pth files, so the
editable install of this checkout stays out and `upstatd` is the wheel's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from loopback import closed_port

ROOT = Path(__file__).resolve().parent.parent
# one worker builds the wheel and the venv for all of this file's tests (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("wheel")
SOURCES = ("pyproject.toml", "README.md", "MANIFEST.in", "config.example.yaml", "systemd", "upstatd")


def run(*args, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kwargs)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout (so no build/ or egg-info lands in it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", tmp / "dist", source)
    (built,) = (tmp / "dist").glob("upstatd-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed: what `pipx install` makes in /opt/pipx/venvs/upstatd."""
    path = tmp_path_factory.mktemp("pipx") / "venvs" / "upstatd"
    run(sys.executable, "-m", "venv", "--without-pip", path)
    python = path / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)
    return path


def test_the_wheel_carries_the_units_and_the_example_config(wheel):
    with zipfile.ZipFile(wheel) as archive:
        for name in ("upstatd.service", "upstatd-backup.service", "upstatd-backup.timer"):
            assert archive.read(f"upstatd/data/{name}") == (ROOT / "systemd" / name).read_bytes(), name
        assert archive.read("upstatd/data/config.example.yaml") == (ROOT / "config.example.yaml").read_bytes()


def test_the_venv_runs_the_wheel_not_the_checkout(venv):
    # cwd elsewhere: `python -c` puts the working directory (here the checkout) first on sys.path.
    where = run(venv / "bin/python", "-c", "import upstatd; print(upstatd.__file__)", cwd=venv).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    out = run(venv / "bin/upstatd", "version").stdout
    assert out.startswith("upstatd ") and "\nsqlite " in out and "\naiohttp " in out, out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def free_port() -> int:
    return closed_port()


@pytest.fixture(scope="module")
def installed(venv, tmp_path_factory) -> dict[str, Path]:
    """`upstatd init` with temp prefixes, as the README's step runs it with the defaults."""
    root = tmp_path_factory.mktemp("root")
    paths = {"prefix": root / "etc/upstatd", "state": root / "var/lib/upstatd",
             "units": root / "etc/systemd/system"}
    done = run(venv / "bin/upstatd", "init", "--prefix", paths["prefix"], "--state", paths["state"],
               "--unit-dir", paths["units"])
    paths["config"], paths["unit"] = paths["prefix"] / "config.yaml", paths["units"] / "upstatd.service"
    paths["backup"], paths["timer"] = paths["units"] / "upstatd-backup.service", paths["units"] / "upstatd-backup.timer"
    paths["out"] = done.stdout
    return paths


def test_init_writes_the_config_the_state_directory_and_the_unit(venv, installed):
    config, state, unit = installed["config"], installed["state"], installed["unit"]
    assert mode(config) == 0o640 and mode(state) == 0o750 and mode(unit) == 0o644
    text = config.read_text()
    assert f"  path: {state}/upstatd.db\n" in text and "var/upstatd.db" not in text
    lines = unit.read_text().splitlines()
    assert f"ExecStart={venv}/bin/upstatd run -c {config}" in lines
    assert f"ReadWritePaths={state}" in lines  # outside /var/lib: no StateDirectory=
    for needed in ("ProtectProc=invisible", "ProcSubset=pid", "PrivateMounts=yes", "RemoveIPC=yes",
                   "UMask=0077", "AmbientCapabilities=CAP_NET_RAW", "CapabilityBoundingSet=CAP_NET_RAW",
                   "ExecReload=/bin/kill -HUP $MAINPID"):
        assert needed in lines, needed
    out = installed["out"]
    for step in ("useradd --system", f"chown root:upstatd {config}", f"chown upstatd:upstatd {state}",
                 "systemctl daemon-reload", "systemctl enable --now upstatd"):
        assert step in out, out


def test_init_writes_the_backup_service_and_timer(venv, installed):
    config, state, backup, timer = installed["config"], installed["state"], installed["backup"], installed["timer"]
    copies = state.with_name("upstatd-backup")  # beside the state directory, as /var/lib/upstatd-backup
    assert mode(backup) == 0o644 and mode(timer) == 0o644 and mode(copies) == 0o750
    lines = backup.read_text().splitlines()
    assert f"ExecStart={venv}/bin/upstatd backup {copies}/ -c {config}" in lines
    assert f"ExecStartPost=/usr/bin/find {copies} -maxdepth 1 -name 'upstatd-*.db' -mtime +14 -delete" in lines
    assert f"ReadWritePaths={state} {copies}" in lines  # outside /var/lib: no StateDirectory=
    assert "/var/lib/upstatd-backup" not in backup.read_text().replace(str(copies), "")  # the shipped path, nowhere
    for needed in ("User=upstatd", "UMask=0077", "PrivateNetwork=yes", "RestrictAddressFamilies=AF_UNIX",
                   "CapabilityBoundingSet="):
        assert needed in lines, needed
    assert timer.read_text() == (ROOT / "systemd/upstatd-backup.timer").read_text()
    out = installed["out"]
    assert f"chown upstatd:upstatd {state} {copies}" in out and "systemctl enable --now upstatd-backup.timer" in out, out


def test_init_leaves_existing_files_alone_without_force(venv, installed):
    args = (venv / "bin/upstatd", "init", "--prefix", installed["prefix"], "--state", installed["state"],
            "--unit-dir", installed["units"])
    before = installed["config"].read_text() + "# edited by the admin\n"
    installed["config"].write_text(before)
    refused = run(*args, check=False)
    assert refused.returncode == 1 and "--force" in refused.stderr, refused
    assert installed["config"].read_text() == before
    run(*args, "--force")
    assert "# edited by the admin" not in installed["config"].read_text()
    assert mode(installed["config"]) == 0o640


def test_init_uses_state_and_configuration_directories_under_var_lib_and_etc(venv, tmp_path):
    """The default paths give the shipped unit's StateDirectory=/ConfigurationDirectory= back;
    checked with the unit's text alone, as /etc and /var/lib are not ours to write here."""
    code = ("from upstatd.install import unit_text; from pathlib import Path; "
            "print(unit_text('/x/upstatd', Path('/etc/upstatd/config.yaml'), Path('/var/lib/upstatd'), "
            "Path('/etc/upstatd')))")
    lines = run(venv / "bin/python", "-c", code, cwd=tmp_path).stdout.splitlines()
    assert "StateDirectory=upstatd" in lines and "ConfigurationDirectory=upstatd" in lines
    assert not any(line.startswith("ReadWritePaths=") for line in lines)
    code = ("from upstatd.install import backup_unit_text; from pathlib import Path; "
            "print(backup_unit_text('/x/upstatd', Path('/etc/upstatd/config.yaml'), Path('/var/lib/upstatd')))")
    text = run(venv / "bin/python", "-c", code, cwd=tmp_path).stdout
    assert text == (ROOT / "systemd/upstatd-backup.service").read_text().replace(
        "ExecStart=/usr/local/bin/upstatd ", "ExecStart=/x/upstatd ") + "\n"  # the shipped unit, but ExecStart=


def test_the_written_config_checks_and_runs(venv, installed, tmp_path):
    config = installed["config"]
    assert run(venv / "bin/upstatd", "check-config", "-c", config).stdout.startswith(f"{config}: OK")
    # The example listens on 127.0.0.1:8080 and probes itself there: move both to a free port.
    port = free_port()
    config.write_text(config.read_text().replace("127.0.0.1:8080", f"127.0.0.1:{port}"))
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(0.2)
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen([venv / "bin/upstatd", "run", "-c", config], stdout=subprocess.DEVNULL,
                              stderr=log, env={**os.environ, "NOTIFY_SOCKET": notify_path})
    try:
        messages: list[str] = []
        deadline = time.monotonic() + 20
        while "READY=1" not in messages and time.monotonic() < deadline:
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
            try:
                messages += notify.recv(4096).decode().splitlines()
            except TimeoutError:
                pass
        assert "READY=1" in messages, (messages, (tmp_path / "daemon.log").read_text())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200
        assert (installed["state"] / "upstatd.db").exists()
        token = installed["state"] / "admin-token"
        assert token.exists() and mode(token) == 0o600
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        notify.close()
        log.close()
    assert code == 0, (tmp_path / "daemon.log").read_text()


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package has it; .ci/run installs it)")
    return path


def test_systemd_analyze_verifies_the_generated_units(installed):
    analyze = systemd_analyze()
    # verify also checks that ExecStart='s binary exists and is executable (the venv's upstatd),
    # and that the timer's service is there
    done = run(analyze, "verify", installed["unit"], installed["backup"], installed["timer"], check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_systemd_analyze_rates_the_unit_well_hardened(installed):
    analyze = systemd_analyze()
    version = int(run(analyze, "--version").stdout.split()[1].split(".")[0])
    if version < 250:
        pytest.skip(f"systemd-analyze {version} has no security --offline (needs systemd 250)")
    out = run(analyze, "security", "--offline=yes", installed["unit"], check=False).stdout
    exposure = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", out).group(1))
    assert exposure <= 1.5, out
    failed = {line.split()[1].split("=")[0] for line in out.splitlines() if line.startswith("✗")}
    # What is left is what probing needs: the network, sockets of these families, CAP_NET_RAW for ICMP
    # (which PrivateUsers= would make useless), and the host's root directory.
    assert failed <= {"RootDirectory", "AmbientCapabilities", "RestrictAddressFamilies", "CapabilityBoundingSet",
                      "PrivateNetwork", "PrivateUsers", "DeviceAllow", "IPAddressDeny"}, out


def sandbox_command(unit: Path, command: list) -> list[str]:
    """COMMAND as the unit would run it, as far as this machine allows: a mount namespace with
    /proc as ProtectProc=invisible and ProcSubset=pid make it, no capability but CAP_NET_RAW
    (ambient, as AmbientCapabilities= gives it), and the unit's seccomp filters (tests/sandbox.py).
    Still root: /root, where this machine's Python lives, is closed to other users."""
    if os.geteuid() != 0:
        pytest.skip("the sandbox needs root (a mount namespace and a fresh /proc)")
    for tool in ("unshare", "setpriv"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} (util-linux) is not installed")
    systemd_analyze()
    import ctypes.util
    if ctypes.util.find_library("seccomp") is None:
        pytest.skip("libseccomp is not installed (systemd depends on it)")
    probe = run("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount -t proc -o hidepid=invisible,subset=pid proc /proc", check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a private /proc here: {probe.stderr.strip()}")
    inner = " ".join(f"'{a}'" for a in (
        "setpriv", "--bounding-set=-all,+net_raw", "--inh-caps=-all,+net_raw", "--ambient-caps=-all,+net_raw",
        sys.executable, Path(__file__).parent / "sandbox.py", unit, *command))
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            f"mount -t proc -o hidepid=invisible,subset=pid proc /proc && exec {inner}"]


def test_the_daemon_survives_the_units_sandbox(venv, tmp_path):
    """http, tcp and icmp monitors and a heartbeat ping, a reload and a stop, under the generated
    unit's SystemCallFilter= (without @privileged and @resources), MemoryDenyWriteExecute=,
    RestrictNamespaces=, RestrictAddressFamilies=, ProtectProc=, ProcSubset= and capabilities;
    then a backup of its database under the generated backup unit's, and the rotation."""
    prefix, state, units = tmp_path / "etc", tmp_path / "state", tmp_path / "units"
    run(venv / "bin/upstatd", "init", "--prefix", prefix, "--state", state, "--unit-dir", units)
    unit, config = units / "upstatd.service", prefix / "config.yaml"
    command = sandbox_command(unit, [venv / "bin/upstatd", "run", "-c", config])
    port, token = free_port(), "0b8f2c3e-55a1-4d6e-9f7a-1c2d3e4f5a6b"
    config.write_text("\n".join([
        f'server: {{listen: "127.0.0.1:{port}"}}',
        f"storage: {{path: {state}/upstatd.db}}",
        "defaults: {interval: 1s, timeout: 1s, confirmation: {failures: 1, successes: 1, recheck: 1s}}",
        "monitors:",
        f"  - {{key: http, type: http, url: 'http://127.0.0.1:{port}/healthz'}}",
        f"  - {{key: tcp, type: tcp, url: 'tcp://127.0.0.1:{port}'}}",
        "  - {key: icmp, type: icmp, url: 'icmp://127.0.0.1'}",
        "heartbeats:",
        f"  - {{key: job, period: 1h, grace: 10m, token: {token}}}",
    ]) + "\n")
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(0.2)
    log_path = tmp_path / "daemon.log"
    messages: list[str] = []

    def wait(prefix: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert daemon.poll() is None, log_path.read_text()
            try:
                new = notify.recv(4096).decode().splitlines()
            except TimeoutError:
                continue
            messages.extend(new)
            if any(m.startswith(prefix) for m in new):
                return
        raise AssertionError(f"no {prefix}: {messages}\n{log_path.read_text()}")

    def states() -> dict[str, str]:
        out = run(venv / "bin/upstatd", "status", "-c", config, "--json").stdout
        return {row["key"]: row["state"] for row in json.loads(out)}

    with log_path.open("wb") as log:
        daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log,
                                  env={**os.environ, "NOTIFY_SOCKET": notify_path})
    try:
        wait("READY=1")
        status = Path(f"/proc/{daemon.pid}/status").read_text()
        assert re.search(r"^Seccomp:\s+2$", status, re.M) and re.search(r"^NoNewPrivs:\s+1$", status, re.M)
        assert re.search(r"^CapEff:\s+0000000000002000$", status, re.M), status  # CAP_NET_RAW alone
        request = urllib.request.Request(f"http://127.0.0.1:{port}/ping/{token}", data=b"ok", method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200
        expected = {"http": "up", "tcp": "up", "icmp": "up", "job": "up"}
        deadline = time.monotonic() + 20
        while (found := states()) != expected and time.monotonic() < deadline:
            time.sleep(0.3)
        assert found == expected, log_path.read_text()
        daemon.send_signal(signal.SIGHUP)
        wait("RELOADING=1")
        wait("READY=1")
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
        notify.close()
    text = log_path.read_text()
    assert code == 0, text
    assert "Operation not permitted" not in text and "PermissionError" not in text, text

    # Then the backup service's two commands, the copy under its own unit's filters (AF_UNIX alone, ...),
    # on the database the daemon left; the rotation deletes a copy older than 14 days, not the new one.
    backup = units / "upstatd-backup.service"
    commands = {key: shlex.split(value) for key, _, value in
                (line.partition("=") for line in backup.read_text().splitlines())
                if key in ("ExecStart", "ExecStartPost")}
    copies = state.with_name(state.name + "-backup")
    old = copies / "upstatd-20000101T000000Z.db"
    old.write_bytes(b"")
    os.utime(old, (time.time() - 20 * 86400,) * 2)
    done = run(*sandbox_command(backup, commands["ExecStart"]), check=False)
    assert done.returncode == 0 and done.stdout.startswith(f"wrote {copies}/upstatd-"), done
    run(*commands["ExecStartPost"])
    (made,) = copies.glob("upstatd-*.db")
    assert made != old and mode(made) == 0o600
