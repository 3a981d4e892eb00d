"""The peer: Debian's prometheus-blackbox-exporter probing the same targets.

blackbox runs as its own process on a free 127.0.0.1 port with one module per
probe type. A separate driver process (`python -m bench.peer drive ...`)
asks its /probe endpoint at the fixed rate over keep-alive connections (as
Prometheus does) and counts `probe_success 1` answers; only blackbox's own
CPU is read from /proc, the driver's is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
from pathlib import Path
from urllib.parse import quote

from bench import pacing
from bench.proc import BenchError, Helper, free_port, spawn, stop, wait_port
from bench.targets import apt_install, find_program

PACKAGE = "prometheus-blackbox-exporter"
MODULES = {"http": "http_2xx", "tcp": "tcp_connect", "icmp": "icmp", "dns": "dns_a"}
CONFIG = """\
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http: {{preferred_ip_protocol: ip4, ip_protocol_fallback: false}}
  tcp_connect:
    prober: tcp
    timeout: 5s
    tcp: {{preferred_ip_protocol: ip4, ip_protocol_fallback: false}}
  icmp:
    prober: icmp
    timeout: 5s
    icmp: {{preferred_ip_protocol: ip4, ip_protocol_fallback: false}}
  dns_a:
    prober: dns
    timeout: 5s
    dns:
      query_name: {dns_name}
      query_type: A
      transport_protocol: udp
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
"""


def available(install: bool) -> tuple[str | None, str]:
    """(path of the binary or None, a note: its version, or why it is missing)."""
    binary = find_program(PACKAGE)
    if binary is None and install:
        why = apt_install(PACKAGE)
        binary = find_program(PACKAGE)
        if binary is None:
            return None, why or "not installed"
    if binary is None:
        return None, "not installed"
    result = subprocess.run([binary, "--version"], capture_output=True, text=True)
    version = (result.stdout + result.stderr).split("\n")[0].strip()
    return binary, version


def targets_for(targets) -> dict[str, str]:
    return {"http": f"http://127.0.0.1:{targets.http.port}/",
            "tcp": f"127.0.0.1:{targets.http.port}",
            "icmp": "127.0.0.1",
            "dns": f"127.0.0.1:{targets.dns.port}"}


class Blackbox:
    def __init__(self, binary: str, workdir: Path, dns_name: str = "bench.test") -> None:
        self.binary = binary
        self.workdir = workdir
        self.dns_name = dns_name
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def __enter__(self) -> Blackbox:
        config = self.workdir / "blackbox.yml"
        config.write_text(CONFIG.format(dns_name=self.dns_name))
        self.port = free_port()
        self.log = open(self.workdir / "blackbox.log", "wb")
        self.proc = spawn([self.binary, f"--config.file={config}",
                           f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                          stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, 10.0, self.proc)
        return self

    def __exit__(self, *exc) -> None:
        stop(self.proc)
        self.log.close()

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(f"blackbox_exporter exited with {self.proc.returncode}")

    def driver(self, kind: str, target: str, rate: float, duration: float) -> Helper:
        return Helper("bench.peer", "drive", "--port", str(self.port), "--module", MODULES[kind],
                      "--target", target, "--rate", str(rate), "--duration", str(duration),
                      name=f"blackbox driver ({kind})")


# -- the driver process ------------------------------------------------------------

async def drive(args: argparse.Namespace) -> None:
    import httptools

    loop = asyncio.get_running_loop()
    counts = pacing.Counts()
    request = (f"GET /probe?module={args.module}&target={quote(args.target, safe='')} HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{args.port}\r\n\r\n").encode()
    idle: list[Connection] = []

    class Connection(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpResponseParser(self)
            self.body = bytearray()
            self.busy = False
            self.transport = None

        def connection_made(self, transport) -> None:
            self.transport = transport

        def send(self) -> None:
            self.busy = True
            self.body.clear()
            self.transport.write(request)

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.transport.close()

        def on_body(self, body: bytes) -> None:
            self.body += body

        def on_message_complete(self) -> None:
            if self.parser.get_status_code() == 200 and b"\nprobe_success 1" in self.body:
                counts.ok += 1
            else:
                counts.failed += 1
            counts.in_flight -= 1
            self.busy = False
            idle.append(self)

        def connection_lost(self, exc) -> None:
            if self.busy:
                self.busy = False
                counts.failed += 1
                counts.in_flight -= 1
            if self in idle:
                idle.remove(self)

    async def connect_and_send() -> None:
        try:
            _, conn = await loop.create_connection(Connection, "127.0.0.1", args.port)
        except OSError:
            counts.failed += 1
            counts.in_flight -= 1
            return
        conn.send()

    def start_one() -> None:
        counts.in_flight += 1
        if idle:
            idle.pop().send()
        else:
            loop.create_task(connect_and_send())

    await pacing.run_paced(start_one, counts, args.rate, args.duration, ready={"module": args.module})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.peer")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("drive", help="ask blackbox's /probe at a fixed rate")
    cmd.add_argument("--port", type=int, required=True)
    cmd.add_argument("--module", required=True)
    cmd.add_argument("--target", required=True)
    cmd.add_argument("--rate", type=float, required=True)
    cmd.add_argument("--duration", type=float, required=True)
    pacing.run(drive(parser.parse_args()))
