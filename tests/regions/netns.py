"""Probe regions as Linux network namespaces on this machine, for the tests of issue 19.

    async with Lab(regions=("local", "eu", "us")) as lab:   # or the `lab` fixture
        await lab.start_target()                            # lab.url(lab.target, 80) answers 200
        daemon = Daemon(config, log, tmp_path, prefix=lab.prefix("local"))  # tests/daemonproc.py
        agent = await lab.spawn("eu", [sys.executable, "-m", "upstatd", "agent", ...])
        lab.block("eu", lab.target)                         # eu alone cannot reach it
        agent.kill()                                        # the pid is the agent's own

One lab is, with names unique per run (`upst-<pid>-<n>-<role>`, so a crashed run's
leftovers are recognised by their dead pid and removed at the next start):

    hub namespace     a bridge `br0`; every other namespace has a veth port on it
    region namespaces one per region, `eth0` at 198.18.K.10, .11, ... (in the order given)
    targets namespace `eth0` with 198.18.K.100, .101, ...: where test target servers run
    root side         veth `upst<pid>r<n>` in the test's own namespace, 198.18.K.1

All on one /24 of 198.18.0.0/15 (RFC 2544 benchmarking space, never routed publicly),
K chosen under a lock among the /24s no address of the root namespace uses, so labs of
parallel pytest workers do not collide. No namespace has a default route: a probe to
anywhere but the lab fails at once with "network unreachable".

The test process reaches the daemon's API through the root-side veth, with plain
aiohttp/urllib to `lab.url("local", port)`: the alternative, running each control call
inside a namespace (setns in a thread, or a client subprocess per call), would keep
tests from using the ordinary client code and fixtures. The traffic still stays on
devices the lab made: the root namespace only gains a route to the lab's /24.

Blocking (`block(region, address)`) adds `unreachable <address>/32` in that region's
namespace: a connect from there fails at once with EHOSTUNREACH ("No route to host"),
as a probe sees a dead uplink whose router answers, so probes fail within milliseconds
rather than after their timeout. (`prohibit` gives EACCES, which reads like a local
permission problem; `blackhole` gives EINVAL.) Only new connections are affected: a
connection open across the block (an agent's keep-alive push) stalls until its timeout.

Processes (`spawn`) run as `setpriv --pdeathsig KILL ip netns exec <ns> argv...`; both
exec, so the Process' pid is the program's own and signals reach it directly. The death
signal takes them down with the test process even when it is SIGKILLed (it fires when
the thread that spawned them ends: spawn from the event loop's thread); spawn returns
once setpriv has exec'd, so a parent killed right after cannot slip past it. On exit the lab
SIGKILLs what it spawned and any other process left in its namespaces, deletes the
root-side veth, then the namespaces; also at interpreter exit (atexit) if the context
manager never closed. A test process killed outright leaves the namespaces: the next lab
built on the machine removes them.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import ipaddress
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest

PREFIX = "upst"
LAB_SPACE = ipaddress.ip_network("198.18.0.0/15")
ROOT_HOST, FIRST_REGION_HOST, FIRST_TARGET_HOST = 1, 10, 100
LOCK_FILE = Path("/run/lock" if Path("/run/lock").is_dir() else "/tmp") / "upstatd-netns-lab.lock"
TARGET_SERVER = Path(__file__).with_name("target_server.py")
IP, SETPRIV = shutil.which("ip") or "ip", shutil.which("setpriv") or "setpriv"
IFNAME_MAX = 15
RESERVED_ROLES = {"hub", "targets", "root", "br0", "lo"}  # roles, or names in the hub

# Run with `python -S -c REACH host port timeout` by Lab.reach.
REACH = """
import errno, socket, sys, time
host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
try:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(b"GET / HTTP/1.1\\r\\nHost: " + host.encode() + b"\\r\\nConnection: close\\r\\n\\r\\n")
        outcome = sock.recv(64).split(b" ")[1].decode()
except TimeoutError:
    outcome = "timeout"
except OSError as error:
    outcome = errno.errorcode.get(error.errno, str(error.errno))
print(outcome, time.monotonic() - start)
"""

# For test modules under tests/regions (whose conftest holds the fixture): skips them,
# with the reason, where a lab cannot be built.
requires_netns = pytest.mark.usefixtures("netns_available")

_counter = itertools.count()
_unavailable: list[str | None] = []


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([IP, *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def unavailable() -> str | None:
    """Why a lab cannot be built here (not root, no iproute2 or setpriv, namespaces refused),
    or None. Tried once per process with a throwaway namespace."""
    if not _unavailable:
        _unavailable.append(_why_unavailable())
    return _unavailable[0]


def _why_unavailable() -> str | None:
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    for tool, package in ((IP, "iproute2"), (SETPRIV, "util-linux")):
        if shutil.which(tool) is None:
            return f"{tool} is missing (package {package})"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    ip("netns", "delete", probe, check=False)
    return None


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _kill_in(namespace: str) -> None:
    """SIGKILL every process in `namespace`: only the lab's own children run there."""
    for word in ip("netns", "pids", namespace, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(word), signal.SIGKILL)


def clean_stale() -> list[str]:
    """Remove the namespaces and root-side veths of labs whose pid is dead (a crashed or
    SIGKILLed run); -> what was removed."""
    removed = []
    for line in ip("-o", "link", "show").stdout.splitlines():
        match = re.match(rf"\d+: ({PREFIX}(\d+)r\d+)[@:]", line)
        if match and not pid_alive(int(match.group(2))):
            ip("link", "delete", "dev", match.group(1), check=False)
            removed.append(match.group(1))
    for line in ip("netns", "list").stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = re.match(rf"{PREFIX}-(\d+)-", name)
        if match and not pid_alive(int(match.group(1))):
            _kill_in(name)
            ip("netns", "delete", name, check=False)
            removed.append(name)
    return removed


@contextlib.contextmanager
def lab_lock() -> Iterator[None]:
    """Held while a lab picks its subnet and while stale labs are removed: one process at a time."""
    with LOCK_FILE.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def free_subnet() -> ipaddress.IPv4Network:
    """The first /24 of the lab space that no address of the root namespace is in (or on)."""
    taken = [ipaddress.ip_interface(address).network
             for address in re.findall(r"inet (\S+)", ip("-o", "-4", "addr", "show").stdout)]
    for subnet in LAB_SPACE.subnets(new_prefix=24):
        if not any(subnet.overlaps(network) for network in taken):
            return subnet
    raise RuntimeError(f"every /24 of {LAB_SPACE} is in use by the root namespace")


async def _past_setpriv(pid: int) -> None:
    """Wait until setpriv has exec'd (its death signal is set by then). A parent that died
    before setpriv's prctl would leave the program running on; this closes that window."""
    for step in range(2050):  # 20 s at most: beyond that the machine is too loaded to test on
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "setpriv":
                return
        except FileNotFoundError:
            return
        await asyncio.sleep(0.001 if step < 50 else 0.01)


class Lab:
    """Namespaces for `regions` (each a role name, e.g. "local", "eu", "us"), a "targets"
    namespace with `targets` addresses, a hub bridge and a root-side veth; an async
    context manager (spawned processes are asyncio's)."""

    def __init__(self, regions: Sequence[str] = ("local", "eu", "us"), targets: int = 2) -> None:
        bad = [r for r in regions if r in RESERVED_ROLES or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", r)]
        if bad or len(set(regions)) != len(regions) or not regions:
            raise ValueError(f"region names must be distinct, [a-z0-9-], not {sorted(RESERVED_ROLES)}: {regions}")
        if not 1 <= targets <= 100:
            raise ValueError("targets: 1 to 100 addresses")
        self.regions = tuple(regions)
        self.run_id = f"{os.getpid()}-{next(_counter)}"
        self.root_link = f"{PREFIX}{self.run_id.replace('-', 'r')}"
        assert len(self.root_link) <= IFNAME_MAX, self.root_link
        self.subnet: ipaddress.IPv4Network | None = None
        self._target_count = targets
        self._addresses: dict[str, tuple[str, ...]] = {}
        self._blocked: set[tuple[str, str]] = set()
        self._children: list[asyncio.subprocess.Process] = []
        self._built = False

    # -- names and addresses ---------------------------------------------------------------

    @property
    def roles(self) -> tuple[str, ...]:
        """Every namespace's role: the regions, "targets", "hub"."""
        return (*self.regions, "targets", "hub")

    def ns(self, role: str) -> str:
        """The network namespace's name (for `ip netns exec`, `ip -n`)."""
        if role not in self.roles:
            raise KeyError(f"no namespace {role!r} in this lab: {self.roles}")
        return f"{PREFIX}-{self.run_id}-{role}"

    def addresses(self, role: str) -> tuple[str, ...]:
        """A region's address (one), the targets' addresses, or "root": the test process'."""
        if role not in self._addresses:
            raise KeyError(f"no addresses for {role!r}: {tuple(self._addresses)}")
        return self._addresses[role]

    def address(self, role: str) -> str:
        return self.addresses(role)[0]

    @property
    def targets(self) -> tuple[str, ...]:
        return self.addresses("targets")

    @property
    def target(self) -> str:
        return self.targets[0]

    @property
    def root_address(self) -> str:
        return self.address("root")

    def url(self, role_or_address: str, port: int, path: str = "/") -> str:
        host = self.address(role_or_address) if role_or_address in self._addresses else role_or_address
        return f"http://{host}:{port}{path}"

    # -- building and tearing down ---------------------------------------------------------

    async def __aenter__(self) -> Lab:
        self.build()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def build(self) -> None:
        """Make every namespace, link and address; on any failure, tear down what was made."""
        atexit.register(self.destroy)
        self._built = True
        try:
            with lab_lock():
                clean_stale()
                self.subnet = free_subnet()
                self._assign_addresses()
                self._make()
        except BaseException:
            self.destroy()
            raise

    def _assign_addresses(self) -> None:
        host = lambda n: str(self.subnet.network_address + n)  # noqa: E731
        self._addresses = {"root": (host(ROOT_HOST),)}
        for offset, region in enumerate(self.regions):
            self._addresses[region] = (host(FIRST_REGION_HOST + offset),)
        self._addresses["targets"] = tuple(host(FIRST_TARGET_HOST + n) for n in range(self._target_count))

    def _make(self) -> None:
        prefix = self.subnet.prefixlen
        hub = self.ns("hub")
        for role in self.roles:
            ip("netns", "add", self.ns(role))
            ip("-n", self.ns(role), "link", "set", "dev", "lo", "up")
        ip("-n", hub, "link", "add", "name", "br0", "type", "bridge")
        ip("-n", hub, "link", "set", "dev", "br0", "up")
        # The hub-side port of each namespace is named after its role (which may be longer than
        # an interface name may be: then numbered); the far end is `eth0` in its namespace.
        for number, role in enumerate((*self.regions, "targets")):
            port = role if len(role) <= IFNAME_MAX else f"port{number}"
            ip("-n", hub, "link", "add", "name", port, "type", "veth", "peer", "name", "eth0", "netns", self.ns(role))
            ip("-n", hub, "link", "set", "dev", port, "master", "br0", "up")
            for address in self.addresses(role):
                ip("-n", self.ns(role), "addr", "add", f"{address}/{prefix}", "dev", "eth0")
            ip("-n", self.ns(role), "link", "set", "dev", "eth0", "up")
        ip("link", "add", "name", self.root_link, "type", "veth", "peer", "name", "root", "netns", hub)
        ip("-n", hub, "link", "set", "dev", "root", "master", "br0", "up")
        ip("addr", "add", f"{self.root_address}/{prefix}", "dev", self.root_link)
        ip("link", "set", "dev", self.root_link, "up")

    async def close(self) -> None:
        """Kill what was spawned (and reap it), then destroy the lab."""
        for child in self._children:
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
        # their own children too: asyncio's wait() also waits for the pipes they may hold
        for role in self.roles if self._built else ():
            _kill_in(self.ns(role))
        for child in self._children:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(child.wait(), timeout=5)
        self.destroy()

    def destroy(self) -> None:
        """Synchronous teardown, safe to repeat, also run at interpreter exit: every step is
        tried whatever the one before did."""
        if not self._built:
            return
        self._built = False
        atexit.unregister(self.destroy)
        ip("link", "delete", "dev", self.root_link, check=False)
        for role in self.roles:
            _kill_in(self.ns(role))
            ip("netns", "delete", self.ns(role), check=False)

    def leftovers(self) -> list[str]:
        """This lab's namespaces and root-side link that still exist (empty after exit)."""
        names = {line.split()[0] for line in ip("netns", "list").stdout.splitlines() if line.split()}
        found = sorted(names & {self.ns(role) for role in self.roles})
        if ip("link", "show", "dev", self.root_link, check=False).returncode == 0:
            found.append(self.root_link)
        return found

    # -- processes -------------------------------------------------------------------------

    def prefix(self, role: str) -> list[str]:
        """What to put before an argv to run it inside the namespace of `role` (for code that
        starts its own processes, e.g. tests/daemonproc.py's Daemon(prefix=...)). Such
        processes are not the lab's children: it SIGKILLs them at exit all the same."""
        return [SETPRIV, "--pdeathsig", "KILL", IP, "netns", "exec", self.ns(role)]

    def command(self, role: str, argv: Sequence[str]) -> list[str]:
        """The argv that runs `argv` inside the namespace of `role`."""
        return [*self.prefix(role), *argv]

    async def spawn(self, role: str, argv: Sequence[str], **options) -> asyncio.subprocess.Process:
        """Start `argv` inside the namespace (options: env, stdin, stdout, stderr, cwd, as for
        asyncio.create_subprocess_exec). The Process' pid is the program's: send_signal,
        kill and terminate reach it. Killed at the lab's exit if still running."""
        process = await asyncio.create_subprocess_exec(*self.command(role, argv), **options)
        self._children.append(process)
        await _past_setpriv(process.pid)
        return process

    async def run(self, role: str, argv: Sequence[str], timeout: float = 10.0,
                  **options) -> tuple[int, str, str]:
        """Run `argv` inside the namespace to its end: (returncode, stdout, stderr)."""
        process = await self.spawn(role, argv, stdout=asyncio.subprocess.PIPE,
                                   stderr=asyncio.subprocess.PIPE, **options)
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"{argv} in {role} did not end within {timeout} s") from None
        return process.returncode, out.decode(), err.decode()

    async def reach(self, role: str, host: str, port: int = 80, timeout: float = 3.0) -> tuple[str, float]:
        """One HTTP GET from inside the namespace, by a bare socket client: ("200", seconds) or
        the error's errno name ("EHOSTUNREACH", "ECONNREFUSED", "timeout"), with the seconds
        the attempt took as measured in there (the interpreter's start not counted)."""
        code, out, err = await self.run(role, [sys.executable, "-S", "-c", REACH, host, str(port), str(timeout)],
                                        timeout=timeout + 10)
        if code != 0:
            raise AssertionError(f"the reach client failed in {role}: {err}")
        outcome, seconds = out.split()
        return outcome, float(seconds)

    async def stop(self, process: asyncio.subprocess.Process, sig: int = signal.SIGTERM,
                   timeout: float = 10.0) -> int:
        """Send `sig` and wait for the end (SIGKILL after `timeout`); -> the return code."""
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
        try:
            return await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            return await process.wait()

    async def start_target(self, port: int = 80, timeout: float = 10.0) -> asyncio.subprocess.Process:
        """tests/regions/target_server.py in the targets namespace, on every target address
        (`lab.url(lab.target, port)`); returns once it listens."""
        process = await self.spawn("targets", [sys.executable, str(TARGET_SERVER), "0.0.0.0", str(port)],
                                   stdout=asyncio.subprocess.PIPE)
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if not line.startswith(b"listening"):
            await self.stop(process, signal.SIGKILL)
            raise AssertionError(f"the target server did not start: {line!r}")
        return process

    # -- partitions ------------------------------------------------------------------------

    def block(self, region: str, address: str | Iterable[str]) -> None:
        """`address` (one, several, or a role's name for all of its) unreachable from `region`
        only: new connections fail at once with EHOSTUNREACH."""
        for one in self._resolve(address):
            ip("-n", self.ns(region), "route", "add", "unreachable", f"{one}/32")
            self._blocked.add((region, one))

    def unblock(self, region: str, address: str | Iterable[str]) -> None:
        for one in self._resolve(address):
            if (region, one) not in self._blocked:
                raise KeyError(f"{one} is not blocked from {region}")
            ip("-n", self.ns(region), "route", "delete", "unreachable", f"{one}/32")
            self._blocked.discard((region, one))

    def _resolve(self, address: str | Iterable[str]) -> list[str]:
        if isinstance(address, str):
            return list(self._addresses[address]) if address in self._addresses else [str(ipaddress.ip_address(address))]
        return [one for each in address for one in self._resolve(each)]
