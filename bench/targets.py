"""Targets that are never the bottleneck, all on 127.0.0.1.

- HTTP (also the TCP target): nginx (Debian's nginx-light, installed when
  missing and we are root), one worker per core, answering `200 ok` and
  closing every connection after its answer; without nginx, one process per
  core of a minimal asyncio server sharing the port (SO_REUSEPORT).
- DNS: a minimal UDP server answering every A question with 127.0.0.1
  (no parsing library: the header and question are copied back).
- ICMP needs no target: the kernel answers echo requests to 127.0.0.1.

    python -m bench.targets http --port P [--seconds S]   one asyncio HTTP server process
    python -m bench.targets dns [--seconds S]             prints {"port": P}; ends on stdin EOF
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path

from bench.proc import BenchError, Helper, free_port, python_module, spawn, stop, wait_port

LIFETIME = 4 * 3600  # seconds a target process lives at most, whatever happens to the harness


# -- installing Debian packages ----------------------------------------------------

def apt_install(package: str) -> str | None:
    """Install a Debian package; returns None when done, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("apt-get") is None:
        return "no apt-get"
    # Keep the package's service from starting (nginx on :80, blackbox on :9115):
    # the harness starts its own instances on 127.0.0.1 only.
    policy = Path("/usr/sbin/policy-rc.d")
    guard = not policy.exists()
    if guard:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    try:
        result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:  # maybe the package lists are stale: update once, retry once
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return f"apt-get install {package} failed: {result.stderr.strip()[-300:]}"
        return None
    except subprocess.TimeoutExpired:
        return f"apt-get install {package} timed out"
    finally:
        if guard:
            policy.unlink()


def find_program(name: str) -> str | None:
    return shutil.which(name) or next(
        (path for path in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(path, os.X_OK)), None)


# -- HTTP --------------------------------------------------------------------------

NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log error;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_timeout 0;   # every probe is one request on its own connection
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


class HttpTarget:
    """nginx when available, else one asyncio server process per core; `.port`, `.description`."""

    def __init__(self, workdir: Path, install: bool) -> None:
        self.workdir = workdir
        self.install = install
        self.port = 0
        self.description = ""
        self._procs: list[subprocess.Popen] = []

    def start(self) -> None:
        workers = os.cpu_count() or 1
        self.port = free_port()
        nginx = find_program("nginx")
        note = ""
        if nginx is None and self.install:
            note = apt_install("nginx-light") or ""
            nginx = find_program("nginx")
        if nginx is not None:
            conf = self.workdir / "nginx.conf"
            conf.write_text(NGINX_CONF.format(workers=workers, dir=self.workdir, port=self.port))
            self._procs = [spawn([nginx, "-c", str(conf), "-p", str(self.workdir)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
            version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
            self.description = f"{version.split(': ')[-1]}, {workers} workers"
        else:
            self._procs = [spawn(python_module("bench.targets", "http", "--port", str(self.port)),
                                 stdout=subprocess.DEVNULL) for _ in range(workers)]
            self.description = f"asyncio server, {workers} processes" + (f" ({note})" if note else "")
        wait_port(self.port, 10.0, self._procs[0])

    def stop(self) -> None:
        for proc in self._procs:
            stop(proc)
        self._procs = []


class _HttpServe(asyncio.Protocol):
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.head = b""

    def data_received(self, data: bytes) -> None:
        self.head += data
        if b"\r\n\r\n" in self.head or len(self.head) > 65536:
            self.transport.write(RESPONSE)
            self.transport.close()


async def serve_http(port: int, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_HttpServe, "127.0.0.1", port, reuse_port=True, backlog=4096)
    async with server:
        await asyncio.sleep(seconds)


# -- DNS ---------------------------------------------------------------------------

ANSWER_A = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes((127, 0, 0, 1))


def dns_answer(query: bytes) -> bytes | None:
    """NOERROR, authoritative; for an A question one record 127.0.0.1, else none."""
    if len(query) < 17 or query[2] & 0x80:
        return None
    end = 12
    while end < len(query) and query[end]:
        end += query[end] + 1
    end += 5  # the root label, type, class
    if end > len(query):
        return None
    is_a = query[end - 4:end - 2] == b"\x00\x01"
    flags = 0x8480 | ((query[2] & 0x01) << 8)  # QR, AA, RA, RD copied
    header = query[:2] + struct.pack("!HHHHH", flags, 1, 1 if is_a else 0, 0, 0)
    return header + query[12:end] + (ANSWER_A if is_a else b"")


class _DnsServe(asyncio.DatagramProtocol):
    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        answer = dns_answer(data)
        if answer is not None:
            self.transport.sendto(answer, addr)


async def serve_dns(seconds: float) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_DnsServe, local_addr=("127.0.0.1", 0))
    done = asyncio.Event()
    loop.add_reader(0, lambda: os.read(0, 4096) or done.set())
    print(json.dumps({"port": transport.get_extra_info("sockname")[1]}), flush=True)
    try:
        await asyncio.wait_for(done.wait(), seconds)
    except TimeoutError:
        pass
    transport.close()


class DnsTarget:
    def __init__(self) -> None:
        self.port = 0
        self._helper: Helper | None = None

    def start(self) -> None:
        self._helper = Helper("bench.targets", "dns", name="dns target")
        self.port = self._helper.ready["port"]

    def stop(self) -> None:
        if self._helper is not None:
            self._helper.proc.stdin.close()
            stop(self._helper.proc)
            self._helper = None


def icmp_allowed() -> bool:
    """Whether this process may ping: a raw socket (root, CAP_NET_RAW) or a ping socket."""
    for kind in (socket.SOCK_RAW, socket.SOCK_DGRAM):
        try:
            socket.socket(socket.AF_INET, kind, socket.IPPROTO_ICMP).close()
            return True
        except OSError:
            pass
    return False


class Targets:
    """Everything the scenarios probe, started once for the whole bench."""

    def __init__(self, workdir: Path, install: bool) -> None:
        self.http = HttpTarget(workdir, install)
        self.dns = DnsTarget()
        self.icmp = icmp_allowed()  # without it, ICMP is left out (noted in the machine line)

    def __enter__(self) -> Targets:
        try:
            self.http.start()
            self.dns.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.http.stop()
        self.dns.stop()

    def check(self) -> None:
        if self.http._procs and self.http._procs[0].poll() is not None:
            raise BenchError("the HTTP target died")


if __name__ == "__main__":
    import uvloop

    parser = argparse.ArgumentParser(prog="python -m bench.targets")
    parser.add_argument("kind", choices=("http", "dns"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=LIFETIME)
    args = parser.parse_args()
    if args.kind == "http":
        uvloop.run(serve_http(args.port, args.seconds))
    else:
        uvloop.run(serve_dns(args.seconds))
    sys.exit(0)
