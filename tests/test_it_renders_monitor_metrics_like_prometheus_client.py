"""The per-monitor lines of /metrics (upstatd.metrics.MonitorLines, cached and
rendered a chunk at a time) say exactly what prometheus-client's own
generate_latest says for the same monitors (MonitorCollector): first, and again
after states, checks and specs changed and a monitor went away. The certificate
expiry stays known when a later check saw no certificate. The heartbeat lines
likewise (heartbeat_pieces against HeartbeatCollector)."""

from __future__ import annotations

from types import SimpleNamespace

import msgspec
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from upstatd.heartbeats.deadlines import HeartbeatState
from upstatd.metrics import HeartbeatCollector, MonitorCollector, MonitorLines, heartbeat_pieces

EXPIRES = 1_900_000_000


def row(latency_us: int, phases=(None,) * 5, details: dict | None = None) -> tuple:
    return (1, 0, 1, "up", latency_us, None, None, None, *phases,
            None if details is None else msgspec.json.encode(details).decode())


def monitor(key: str, kind: str, state: str, check: tuple | None, name: str | None = None,
            regional: dict | None = None):
    return SimpleNamespace(spec=SimpleNamespace(key=key, name=name or key, type=kind),
                           state=SimpleNamespace(state=state), last_check=check, regional=regional)


def region(state: str, latency_ms: float | None) -> SimpleNamespace:
    return SimpleNamespace(state=SimpleNamespace(state=state), latency_ms=latency_ms)


def samples(text: str) -> list:
    return sorted((family.name, sorted(sample.labels.items()), sample.value, family.type, family.documentation)
                  for family in text_string_to_metric_families(text) for sample in family.samples)


def reference(monitors: list, collector=MonitorCollector) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector(lambda: monitors))
    return generate_latest(registry).decode()


def render(lines: MonitorLines, monitors: list, chunk: int) -> tuple[str, int]:
    steps, yields = lines.collect(monitors, chunk), 0
    while True:
        try:
            next(steps)
            yields += 1
        except StopIteration as done:
            return b"".join([*lines.pieces(done.value, chunk), *lines.region_pieces(chunk)]).decode(), yields


def test_it_says_what_prometheus_client_says():
    monitors = [
        monitor("web", "http", "up", row(12_345, (100, 2_000, 5_000, 4_000, 1_245),
                                        {"cert_expires_at": EXPIRES, "cert_expires_in_days": 30})),
        monitor("db", "tcp", "down", row(1_000_000, (50, 999_950, None, None, None))),
        monitor("new", "dns", "pending", None),
        monitor("odd", "tls", "degraded", row(7, details={"other": 1}), name='a "b" \\ c\nd'),
        *(monitor(f"m{i}", "tcp", "up", row(i)) for i in range(1200)),
    ]
    lines = MonitorLines()
    text, yields = render(lines, monitors, chunk=500)
    assert yields == 2  # 1204 monitors, 500 a chunk: the loop gets two turns
    assert samples(text) == samples(reference(monitors))
    assert 'upstatd_monitor_cert_expiry_timestamp_seconds{key="web",name="web",type="http"} 1900000000' in text

    # Changes: a state, a new check without a certificate, a renamed spec, one monitor gone.
    monitors[1].state = SimpleNamespace(state="up")
    monitors[0].last_check = row(9_000, details={"error": "timeout"})
    monitors[2] = monitor("new", "dns", "up", row(3_000, (3_000, None, None, None, None)), name="renamed")
    del monitors[3]
    text, _ = render(lines, monitors, chunk=500)
    expected = samples(reference(monitors))
    cert = ("upstatd_monitor_cert_expiry_timestamp_seconds", [("key", "web"), ("name", "web"), ("type", "http")],
            float(EXPIRES))
    # the reference reads the last check only; the lines keep the expiry a check saw before
    assert [s for s in samples(text) if s[:3] != cert] == expected
    assert any(s[:3] == cert for s in samples(text))
    assert 'name="renamed"' in text and 'key="odd"' not in text


def test_the_region_lines_say_what_prometheus_client_says():
    monitors = [
        monitor("local", "tcp", "up", row(1_000)),  # the daemon's region alone: no region series
        monitor("shop", "http", "up", row(12_345), regional={
            "eu": region("up", 12.5), "us": region("down", 3.0), "ap": region("pending", None)}),
        *(monitor(f"r{i}", "tcp", "down", row(i), regional={"eu": region("down", i / 7)}) for i in range(30)),
    ]
    lines = MonitorLines()
    text, _ = render(lines, monitors, chunk=7)
    assert samples(text) == samples(reference(monitors))
    assert 'upstatd_monitor_region_up{key="shop",name="shop",type="http",region="us"} 0' in text
    assert 'upstatd_monitor_region_probe_duration_seconds{key="shop",name="shop",type="http",region="eu"} 0.0125' \
        in text
    assert 'key="local",name="local",type="tcp",region=' not in text

    monitors[1].regional["us"] = region("up", 20.0)  # a new result from us
    text, _ = render(lines, monitors, chunk=7)
    assert 'upstatd_monitor_region_up{key="shop",name="shop",type="http",region="us"} 1' in text
    assert samples(text) == samples(reference(monitors))


def test_the_heartbeat_lines_say_what_prometheus_client_says():
    def beat(key: str, kind: str, state: str, last_ping_at: float | None, name: str | None = None):
        return SimpleNamespace(spec=SimpleNamespace(key=key, name=name or key, schedule=SimpleNamespace(kind=kind)),
                               state=HeartbeatState(state, EXPIRES, last_ping_at))
    beats = [beat("backup", "period", "up", EXPIRES + 0.25), beat("never", "cron", "new", None),
             beat("late", "oncalendar", "late", 1.5, name='x"y\\z\n'), beat("gone", "period", "down", 7.0),
             *(beat(f"b{i}", "period", "up", float(i)) for i in range(450))]
    pieces = list(heartbeat_pieces(beats, chunk=200))
    assert len(pieces) == 3 * (1 + 3)  # each family: its header, then 200 + 200 + 54 heartbeats
    assert samples(b"".join(pieces).decode()) == samples(reference(beats, HeartbeatCollector))
