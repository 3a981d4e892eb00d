"""`/metrics`: the daemon's in-memory state in the Prometheus text exposition
format (0.0.4), read at scrape time, so probes pay nothing for it.

Two parts, one answer:

- The per-monitor families (`upstatd_monitor_up`, `upstatd_monitor_state`,
  `upstatd_probe_duration_seconds`, `upstatd_probe_phase_duration_seconds`,
  `upstatd_monitor_cert_expiry_timestamp_seconds`) are rendered by
  `MonitorLines` and streamed, the event loop free between chunks (`CHUNK`
  monitors brought up to date, `PIECE` monitors' lines sent). With 100,000 monitors that is about 1.1 million
  samples; prometheus-client's `generate_latest` costs ~6-18 µs a sample
  (seconds in all, on the loop), so these lines are rendered here, with each
  monitor's label text and its lines cached until its spec, state or last
  check changes. `MonitorCollector` yields the same families as prometheus-client
  GaugeMetricFamily objects: the reference the tests compare the fast lines
  with, and what any prometheus-client registry can use.
- Everything else (heartbeats, incidents, and the scheduler, store, delivery
  and API counters of /healthz, read from the same `health()` dict) comes
  from `DaemonCollector`, a prometheus-client custom collector registered in
  a `CollectorRegistry` of its own (never the global one), rendered with
  prometheus-client's `generate_latest`.

The state families are one series per state with value 0 or 1 (the enum
pattern of node_exporter's systemd unit states and kube-state-metrics' pod
phases, OpenMetrics' StateSet): every series always exists, so
`avg_over_time(upstatd_monitor_state{state="down"}[1d])` is the fraction of
the day spent down, and a change of state never makes a series vanish.

Labels: `key` (the YAML key, or the `mon_…`/`hbt_…` id of one made over the
API), `name`, `type` (the probe type; for heartbeats the schedule's kind).

Probe regions (docs/regions.md): a monitor probed from several regions also has
one `upstatd_monitor_region_up` and `upstatd_monitor_region_probe_duration_seconds`
series per region (label `region`), rendered each scrape from the running
monitor's per-region state with its cached label text (a monitor of the daemon's
region alone costs one attribute test); each agent has `upstatd_agent_up`,
`upstatd_agent_last_contact_age_seconds` and `upstatd_agent_spool_*` (labels
`agent`, its name, and `region`), from `AgentCollector`.
Groups do not exist yet: no `group` label until they do. No URL or tag labels.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
import zlib
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator
from typing import Any

import msgspec
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from upstatd.heartbeats.deadlines import STATES as HEARTBEAT_STATES
from upstatd.monitors.evaluate import STATES as MONITOR_STATES
from upstatd.probes.result import PHASES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CHUNK = 100    # monitors (heartbeats) brought up to date between two turns of the event loop
PIECE = 1000   # monitors' lines joined into one piece of the answer (cheap: no formatting)
SEVERITIES = ("critical", "major", "minor", "warning")
UP_STATES = ("up", "degraded")     # upstatd_monitor_up is 1: the target answers
BEAT_UP_STATES = ("up", "late")    # upstatd_heartbeat_up is 1: not down (late is still within grace)
# the check row's columns (MonitorService.record): latency and phases in µs, details as JSON
LATENCY, PHASE_COLUMNS, DETAILS = 4, dict(zip(PHASES, range(8, 13))), 13
TLS_TYPES = ("http", "tls")
# gzip level 1, not the default 6: on a 100,000-monitor scrape (113 MB) 0.19 s of CPU instead of
# 0.55 s, for 8.2 MB instead of 6.9 MB (BENCHMARKS.md, scenario metrics: gzip_level*_s)
GZIP_LEVEL = 1
OFF_LOOP = 64 * 1024  # bytes: a larger piece is compressed on a thread (zlib releases the GIL)

MONITOR_FAMILIES = (
    ("upstatd_monitor_up", "1 when the monitor's confirmed state is up or degraded, else 0."),
    ("upstatd_monitor_state", "The monitor's confirmed state: 1 for the current state, 0 for the others."),
    ("upstatd_probe_duration_seconds", "Duration of the monitor's last check."),
    ("upstatd_probe_phase_duration_seconds", "Duration of each phase of the monitor's last check."),
    ("upstatd_monitor_cert_expiry_timestamp_seconds",
     "Expiry (Unix seconds) of the TLS certificate the monitor's checks last saw."),
)
REGION_FAMILIES = (
    ("upstatd_monitor_region_up",
     "1 when the monitor's confirmed state in the region is up or degraded, else 0 (monitors probed from "
     "several regions)."),
    ("upstatd_monitor_region_probe_duration_seconds", "Duration of the monitor's last check from the region."),
)


def escape(value: str) -> str:
    """A label value as the text format writes it (backslash, double quote, newline)."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


# -- the monitors: fast lines ---------------------------------------------------------


class MonitorLines:
    """Renders the per-monitor families, caching each monitor's lines.

    The cache entry of a monitor (by key) holds its spec, its label text and
    its lines with what they were made from (state, check row, details text);
    a part is made again only when its input is a different object (a spec is
    replaced, never mutated; a check row is a new tuple each check). A monitor
    gone from the running set drops out of the cache at the next scrape.

    `collect` brings every entry up to date, `pieces` cuts the families into
    byte strings of `chunk` monitors each: both are generators, so that the
    caller can give the loop a turn between steps (100,000 monitors make about
    110 MB, whose copying alone is a few hundred milliseconds here)."""

    def __init__(self) -> None:
        self._cache: dict[str, list] = {}
        self.regional: list[tuple[str, dict]] = []  # (label text, Running.regional) as of the last collect

    def collect(self, monitors: Iterable[Any], chunk: int = CHUNK) -> Generator[None, None, list]:
        """Yields between chunks; returns the entries, in the running set's order."""
        running = list(monitors)  # a snapshot of the set: the loop may change it between chunks
        old, cache = self._cache, {}
        entries: list[list] = []
        regional: list[tuple[str, dict]] = []
        keep, new_entry, state_lines, check_lines = entries.append, _entry, _state_lines, _check_lines
        for start in range(0, len(running), chunk):
            if start:
                yield
            for monitor in running[start:start + chunk]:
                spec = monitor.spec
                key = spec.key
                entry = old.get(key)
                if entry is None or entry[0] is not spec:
                    entry = new_entry(spec)
                cache[key] = entry
                state = monitor.state.state
                if entry[2] != state:
                    state_lines(entry, state)
                row = monitor.last_check
                if row is not entry[5]:
                    check_lines(entry, row)
                keep(entry)
                if monitor.regional is not None:  # probed from several regions
                    regional.append((entry[1], monitor.regional))
        self._cache = cache
        self.regional = regional
        return entries

    def region_pieces(self, chunk: int = PIECE) -> Generator[bytes, None, None]:
        """The per-region families of the monitors of the last `collect` that have regions,
        `chunk` monitors a piece: not cached (a region's state and latency change with each
        of its results)."""
        (up_name, up_help), (duration_name, duration_help) = REGION_FAMILIES
        regional = self.regional
        yield f"# HELP {up_name} {up_help}\n# TYPE {up_name} gauge\n".encode()
        for start in range(0, len(regional), chunk):
            yield "".join([f'{up_name}{{{labels},region="{escape(name)}"}} '
                           f'{1 if region.state.state in UP_STATES else 0}\n'
                           for labels, regions in regional[start:start + chunk]
                           for name, region in regions.items()]).encode()
        yield f"# HELP {duration_name} {duration_help}\n# TYPE {duration_name} gauge\n".encode()
        for start in range(0, len(regional), chunk):
            yield "".join([f'{duration_name}{{{labels},region="{escape(name)}"}} {region.latency_ms / 1000!r}\n'
                           for labels, regions in regional[start:start + chunk]
                           for name, region in regions.items() if region.latency_ms is not None]).encode()

    @staticmethod
    def pieces(entries: list[list], chunk: int = PIECE) -> Generator[bytes, None, None]:
        """The five families' text: HELP, TYPE, then their lines, `chunk` monitors a piece."""
        for index, (name, help_text) in zip((3, 4, 6, 7, 8), MONITOR_FAMILIES):
            yield f"# HELP {name} {help_text}\n# TYPE {name} gauge\n".encode()
            for start in range(0, len(entries), chunk):
                yield "".join([entry[index] for entry in entries[start:start + chunk]]).encode()

    def render(self, monitors: Iterable[Any]) -> bytes:
        """All of it at once (tests, the bench)."""
        steps = self.collect(monitors)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return b"".join([*self.pieces(done.value), *self.region_pieces()])


# A cache entry: [0 spec, 1 labels, 2 state, 3 up line, 4 state lines, 5 check row,
#                 6 duration line, 7 phase lines, 8 cert line, 9 details text seen].
# Durations are written as integer microseconds with an exponent (`12345e-6`): exact, a valid
# float for the text format's parsers (Go's ParseFloat, Python's float), and without float
# formatting, which was half the cost of a scrape. Each part is one f-string: a scrape of
# 100,000 monitors makes a million lines, and every call and join per line shows.
assert MONITOR_STATES == ("pending", "up", "degraded", "down"), "_state_lines writes them in this order"
_STATE_VALUES = {state: tuple("1" if name == state else "0" for name in MONITOR_STATES)
                 for state in MONITOR_STATES}


def _entry(spec: Any) -> list:
    labels = f'key="{escape(spec.key)}",name="{escape(spec.name)}",type="{escape(spec.type)}"'
    return [spec, labels, None, "", "", False, "", "", "", None]


def _state_lines(entry: list, state: str) -> None:
    labels = entry[1]
    entry[2] = state
    entry[3] = f"upstatd_monitor_up{{{labels}}} {1 if state in UP_STATES else 0}\n"
    pending, up, degraded, down = _STATE_VALUES.get(state) or ("0", "0", "0", "0")
    entry[4] = (f'upstatd_monitor_state{{{labels},state="pending"}} {pending}\n'
                f'upstatd_monitor_state{{{labels},state="up"}} {up}\n'
                f'upstatd_monitor_state{{{labels},state="degraded"}} {degraded}\n'
                f'upstatd_monitor_state{{{labels},state="down"}} {down}\n')


def _check_lines(entry: list, row: tuple | None) -> None:
    entry[5] = row
    if row is None:
        entry[6] = entry[7] = ""
        return
    labels = entry[1]
    entry[6] = f"upstatd_probe_duration_seconds{{{labels}}} {row[4]}e-6\n"
    times = row[8:13]
    if None not in times:  # every phase (an HTTPS check)
        entry[7] = (f'upstatd_probe_phase_duration_seconds{{{labels},phase="resolve"}} {times[0]}e-6\n'
                    f'upstatd_probe_phase_duration_seconds{{{labels},phase="connect"}} {times[1]}e-6\n'
                    f'upstatd_probe_phase_duration_seconds{{{labels},phase="tls"}} {times[2]}e-6\n'
                    f'upstatd_probe_phase_duration_seconds{{{labels},phase="first_byte"}} {times[3]}e-6\n'
                    f'upstatd_probe_phase_duration_seconds{{{labels},phase="transfer"}} {times[4]}e-6\n')
    elif times[2] is None and times[3] is None and times[4] is None and None not in times[:2]:  # TCP
        entry[7] = (f'upstatd_probe_phase_duration_seconds{{{labels},phase="resolve"}} {times[0]}e-6\n'
                    f'upstatd_probe_phase_duration_seconds{{{labels},phase="connect"}} {times[1]}e-6\n')
    else:
        entry[7] = "".join([f'upstatd_probe_phase_duration_seconds{{{labels},phase="{phase}"}} {value}e-6\n'
                            for phase, value in zip(PHASES, times) if value is not None])
    details = row[13]
    if details is not None and details != entry[9]:  # the same text: the same expiry
        entry[9] = details
        expiry = cert_expiry(row, entry[0].type)
        if expiry is not None:  # a check that saw no certificate keeps the one seen before
            entry[8] = f"upstatd_monitor_cert_expiry_timestamp_seconds{{{labels}}} {expiry}\n"


def cert_expiry(row: tuple | None, kind: str) -> int | None:
    """`cert_expires_at` (whole Unix seconds, probes/tls.py note_certificate) from the check's details, if it saw a certificate."""
    if row is None or kind not in TLS_TYPES:
        return None
    details = row[DETAILS]
    if not details or '"cert_expires_at"' not in details:
        return None
    value = msgspec.json.decode(details).get("cert_expires_at")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class MonitorCollector(Collector):
    """The per-monitor families as prometheus-client objects (the reference for
    MonitorLines: the same samples, rendered by generate_latest)."""

    def __init__(self, monitors: Callable[[], Iterable[Any]]) -> None:
        self.monitors = monitors

    def collect(self):
        names = [name for name, _ in MONITOR_FAMILIES]
        helps = dict(MONITOR_FAMILIES)
        labels = ["key", "name", "type"]
        up = GaugeMetricFamily(names[0], helps[names[0]], labels=labels)
        state = GaugeMetricFamily(names[1], helps[names[1]], labels=[*labels, "state"])
        duration = GaugeMetricFamily(names[2], helps[names[2]], labels=labels)
        phase = GaugeMetricFamily(names[3], helps[names[3]], labels=[*labels, "phase"])
        cert = GaugeMetricFamily(names[4], helps[names[4]], labels=labels)
        (up_name, up_help), (duration_name, duration_help) = REGION_FAMILIES
        region_up = GaugeMetricFamily(up_name, up_help, labels=[*labels, "region"])
        region_duration = GaugeMetricFamily(duration_name, duration_help, labels=[*labels, "region"])
        for monitor in list(self.monitors()):
            spec = monitor.spec
            values = [spec.key, spec.name, spec.type]
            current = monitor.state.state
            up.add_metric(values, 1 if current in UP_STATES else 0)
            for name in MONITOR_STATES:
                state.add_metric([*values, name], 1 if name == current else 0)
            row = monitor.last_check
            if row is not None:
                duration.add_metric(values, row[LATENCY] / 1e6)
                for name, column in PHASE_COLUMNS.items():
                    if row[column] is not None:
                        phase.add_metric([*values, name], row[column] / 1e6)
                expiry = cert_expiry(row, spec.type)
                if expiry is not None:
                    cert.add_metric(values, expiry)
            for name, region in (monitor.regional or {}).items():
                region_up.add_metric([*values, name], 1 if region.state.state in UP_STATES else 0)
                if region.latency_ms is not None:
                    region_duration.add_metric([*values, name], region.latency_ms / 1000)
        yield from (up, state, duration, phase, cert, region_up, region_duration)


# -- the heartbeats: fast lines, and their reference -----------------------------------------

HEARTBEAT_FAMILIES = (
    ("upstatd_heartbeat_up", "1 when the heartbeat is up or late (not down yet), else 0."),
    ("upstatd_heartbeat_state", "The heartbeat's state: 1 for the current state, 0 for the others."),
    ("upstatd_heartbeat_last_ping_timestamp_seconds",
     "Time (Unix seconds) of the heartbeat's last ping (success, fail or start)."),
)


def heartbeat_pieces(beats: Iterable[Any], chunk: int = CHUNK) -> Generator[bytes, None, None]:
    """The heartbeat families, `chunk` heartbeats a piece (the caller gives the loop a turn
    between pieces). Not cached: a heartbeat's state and last ping change with every ping."""
    running = list(beats)
    labels = [f'key="{escape(beat.spec.key)}",name="{escape(beat.spec.name)}",'
              f'type="{escape(beat.spec.schedule.kind)}"' for beat in running]
    states = [beat.state for beat in running]
    (up_name, up_help), (state_name, state_help), (ping_name, ping_help) = HEARTBEAT_FAMILIES
    yield f"# HELP {up_name} {up_help}\n# TYPE {up_name} gauge\n".encode()
    for start in range(0, len(running), chunk):
        yield "".join([f"upstatd_heartbeat_up{{{label}}} {1 if state.state in BEAT_UP_STATES else 0}\n"
                       for label, state in zip(labels[start:start + chunk], states[start:start + chunk])]).encode()
    yield f"# HELP {state_name} {state_help}\n# TYPE {state_name} gauge\n".encode()
    for start in range(0, len(running), chunk):
        yield "".join([f'upstatd_heartbeat_state{{{label},state="{name}"}} {1 if name == state.state else 0}\n'
                       for label, state in zip(labels[start:start + chunk], states[start:start + chunk])
                       for name in HEARTBEAT_STATES]).encode()
    yield f"# HELP {ping_name} {ping_help}\n# TYPE {ping_name} gauge\n".encode()
    for start in range(0, len(running), chunk):
        yield "".join([f"upstatd_heartbeat_last_ping_timestamp_seconds{{{label}}} {state.last_ping_at!r}\n"
                       for label, state in zip(labels[start:start + chunk], states[start:start + chunk])
                       if state.last_ping_at is not None]).encode()


class HeartbeatCollector(Collector):
    """The heartbeat families as prometheus-client objects (the reference for heartbeat_pieces)."""

    def __init__(self, heartbeats: Callable[[], Iterable[Any]]) -> None:
        self.heartbeats = heartbeats

    def collect(self):
        return self._heartbeats()

    def _heartbeats(self):
        labels = ["key", "name", "type"]
        (up_name, up_help), (state_name, state_help), (ping_name, ping_help) = HEARTBEAT_FAMILIES
        up = GaugeMetricFamily(up_name, up_help, labels=labels)
        state = GaugeMetricFamily(state_name, state_help, labels=[*labels, "state"])
        last = GaugeMetricFamily(ping_name, ping_help, labels=labels)
        for beat in list(self.heartbeats()):
            spec = beat.spec
            values = [spec.key, spec.name, spec.schedule.kind]
            current = beat.state.state
            up.add_metric(values, 1 if current in BEAT_UP_STATES else 0)
            for name in HEARTBEAT_STATES:
                state.add_metric([*values, name], 1 if name == current else 0)
            if beat.state.last_ping_at is not None:
                last.add_metric(values, beat.state.last_ping_at)
        yield from (up, state, last)


# -- the agents: a few, a prometheus-client collector ------------------------------------------


class AgentCollector(Collector):
    """Each agent of the regions (regions/service.py Agent): up, how long since its last pull
    or push, and what its spool held at its latest push."""

    def __init__(self, agents: Callable[[], Iterable[Any]], now: Callable[[], float]) -> None:
        self.agents = agents
        self.now = now

    def collect(self):
        labels = ["agent", "region"]
        up = GaugeMetricFamily("upstatd_agent_up", "1 while the agent reports (its last contact is within three "
                               "push intervals), else 0.", labels=labels)
        age = GaugeMetricFamily("upstatd_agent_last_contact_age_seconds",
                                "Seconds since the agent's last pull or push.", labels=labels)
        results = GaugeMetricFamily("upstatd_agent_spool_results",
                                    "Results waiting in the agent's spool at its latest push.", labels=labels)
        size = GaugeMetricFamily("upstatd_agent_spool_bytes", "Size of the agent's spool at its latest push.",
                                 labels=labels)
        launched = CounterMetricFamily("upstatd_agent_probes_launched", "Probes the agent started, since it "
                                       "started (its latest push).", labels=labels)
        skipped = CounterMetricFamily("upstatd_agent_probes_skipped", "Grid slots the agent did not probe, since "
                                      "it started (its latest push): late (its loop was behind), busy (the "
                                      "previous probe still ran), capacity (max_in_flight reached).",
                                      labels=[*labels, "reason"])
        in_flight = GaugeMetricFamily("upstatd_agent_probes_in_flight", "Probes running in the agent at its "
                                      "latest push.", labels=labels)
        now = self.now()
        for agent in list(self.agents()):
            row = agent.row
            values = [row.name, row.region]
            up.add_metric(values, 1 if agent.state == "up" else 0)
            if agent.last_contact is not None:
                age.add_metric(values, round(max(0.0, now - agent.last_contact), 3))
            results.add_metric(values, row.spool_results)
            size.add_metric(values, row.spool_bytes)
            scheduler = agent.scheduler
            if scheduler is not None:
                launched.add_metric(values, scheduler.launched)
                for reason in ("late", "busy", "capacity"):
                    skipped.add_metric([*values, reason], getattr(scheduler, f"skipped_{reason}"))
                in_flight.add_metric(values, scheduler.in_flight)
        yield from (up, age, results, size, launched, skipped, in_flight)


# -- everything else: a prometheus-client collector ----------------------------------------


class DaemonCollector(Collector):
    """Open incidents and the counters of /healthz, from `health()` (the same dict
    /healthz answers): a few dozen samples, whatever the number of monitors."""

    def __init__(self, health: Callable[[], dict]) -> None:
        self.health = health
        self.incidents_open: dict[str, int] = {}  # severity -> count, set before each collection

    def collect(self):
        health = self.health()
        info = GaugeMetricFamily("upstatd_build", "The running upstatd (value 1).", labels=["version"])
        info.add_metric([health["version"]], 1)
        yield info
        incidents = GaugeMetricFamily("upstatd_incidents_open",
                                      "Incidents not resolved yet (open or acknowledged), by severity.",
                                      labels=["severity"])
        for severity in SEVERITIES:
            incidents.add_metric([severity], self.incidents_open.get(severity, 0))
        yield incidents
        yield GaugeMetricFamily("upstatd_monitors", "Monitors running (active or paused).",
                                value=health["monitors"])
        yield GaugeMetricFamily("upstatd_heartbeats", "Heartbeats running (active or paused).",
                                value=health["heartbeats"])
        yield from self._scheduler(health)
        yield from self._store(health["store"])
        yield from self._delivery(health["delivery"])
        api = health["api"]
        yield GaugeMetricFamily("upstatd_api_connections_open", "HTTP connections open now.",
                                value=api["connections_open"])
        yield CounterMetricFamily("upstatd_api_connections_refused",
                                  "HTTP connections refused by max_connections or max_connections_per_address.",
                                  value=api["connections_refused"])

    @staticmethod
    def _scheduler(health: dict):
        scheduler = health["scheduler"]
        yield GaugeMetricFamily("upstatd_scheduler_in_flight", "Probes and jobs running now.",
                                value=health["in_flight"])
        yield CounterMetricFamily("upstatd_scheduler_timers_due", "Timers that fired.", value=scheduler["due"])
        yield CounterMetricFamily("upstatd_scheduler_launched", "Jobs (probes) started.",
                                  value=scheduler["launched"])
        skipped = CounterMetricFamily("upstatd_scheduler_skipped",
                                      "Jobs not started: late (the loop was behind), busy (the key's previous job "
                                      "still ran), capacity (max_in_flight).", labels=["reason"])
        for reason in ("late", "busy", "capacity"):
            skipped.add_metric([reason], scheduler[f"skipped_{reason}"])
        yield skipped
        lateness = scheduler["lateness_ms"]
        for name, what in (("p50", "Median"), ("p99", "99th percentile of the"), ("max", "Largest")):
            yield GaugeMetricFamily(f"upstatd_scheduler_lateness_{name}_seconds",
                                    f"{what} lateness of timers (recent ones; max: since start).",
                                    value=lateness[name] / 1000)

    @staticmethod
    def _store(store: dict):
        yield GaugeMetricFamily("upstatd_store_pending", "Rows and jobs queued on the writer, not committed yet.",
                                value=store["pending"])
        yield CounterMetricFamily("upstatd_store_rows_written", "Rows the writer committed.",
                                  value=store["rows_written"])
        yield CounterMetricFamily("upstatd_store_commits", "Transactions the writer committed.",
                                  value=store["commits"])
        yield CounterMetricFamily("upstatd_store_jobs", "Jobs (API writes) the writer ran.", value=store["jobs"])
        yield CounterMetricFamily("upstatd_store_dropped", "Rows the writer dropped (a queue over its bound).",
                                  value=store["dropped"])
        yield GaugeMetricFamily("upstatd_store_failing", "1 while the database cannot be written (disk full).",
                                value=int(store["failing"]))

    @staticmethod
    def _delivery(delivery: dict):
        consumers = GaugeMetricFamily("upstatd_delivery_consumers",
                                      "Outbox consumers delivering: webhook endpoints and alert channels.",
                                      labels=["kind"])
        failing = GaugeMetricFamily("upstatd_delivery_consumers_failing",
                                    "Outbox consumers whose last delivery failed (retrying).", labels=["kind"])
        for kind, counts in sorted(delivery.items()):
            consumers.add_metric([kind], counts["consumers"])
            failing.add_metric([kind], counts["failing"])
        yield from (consumers, failing)


# -- the scrape ------------------------------------------------------------------------------


def open_incidents(conn) -> dict[str, int]:
    """Incidents open or acknowledged, by severity (manual ones too: they are not in memory)."""
    return dict(conn.execute("SELECT severity, count(*) FROM incidents WHERE status IN ('open', 'acknowledged') "
                             "GROUP BY severity").fetchall())


class Metrics:
    """What /metrics answers: `monitors()` and `heartbeats()` give the running sets,
    `health()` the /healthz dict, `read_db` (optional) counts open incidents."""

    def __init__(self, health: Callable[[], dict], monitors: Callable[[], Iterable[Any]],
                 heartbeats: Callable[[], Iterable[Any]], read_db: Any = None,
                 agents: Callable[[], Iterable[Any]] | None = None, now: Callable[[], float] | None = None) -> None:
        self.monitors = monitors
        self.read_db = read_db
        self.heartbeats = heartbeats
        self.lines = MonitorLines()
        self.collector = DaemonCollector(health)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        if agents is not None:
            self.registry.register(AgentCollector(agents, now or time.time))

    async def stream(self, chunk: int = CHUNK) -> AsyncIterator[bytes]:
        """The answer in pieces, the loop given a turn before each (the probes' ticks run there)."""
        incidents = await self.read_db.call(open_incidents) if self.read_db is not None else {}
        steps = self.lines.collect(self.monitors(), chunk)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                entries = done.value
                break
            await asyncio.sleep(0)
        for piece in self.lines.pieces(entries):
            await asyncio.sleep(0)
            yield piece
        for piece in self.lines.region_pieces():
            await asyncio.sleep(0)
            yield piece
        for piece in heartbeat_pieces(self.heartbeats(), chunk):
            await asyncio.sleep(0)
            yield piece
        self.collector.incidents_open = incidents  # no await from here to the collection
        yield generate_latest(self.registry)

    async def warm(self, chunk: int = CHUNK) -> None:
        """Make every running monitor's label text and state lines now, a chunk at a time
        (the daemon runs this once after start when metrics are enabled), so that no scrape
        pays for them: the first one then costs what any scrape after new checks costs."""
        steps = self.lines.collect(self.monitors(), chunk)
        while True:
            try:
                next(steps)
            except StopIteration:
                return
            await asyncio.sleep(0)

    async def scrape(self) -> bytes:
        return b"".join([piece async for piece in self.stream()])

    def scrape_now(self, incidents: dict[str, int] | None = None) -> Iterator[bytes]:
        """The same pieces without the loop (the bench; a reader that keeps up)."""
        steps = self.lines.collect(self.monitors())
        while True:
            try:
                next(steps)
            except StopIteration as done:
                entries = done.value
                break
        yield from self.lines.pieces(entries)
        yield from self.lines.region_pieces()
        yield from heartbeat_pieces(self.heartbeats())
        self.collector.incidents_open = incidents or {}
        yield generate_latest(self.registry)


def accepts_gzip(header: str | None) -> bool:
    """`Accept-Encoding` lists gzip, and not with `q=0` (Prometheus sends `gzip`)."""
    for item in (header or "").lower().split(","):
        coding, _, params = item.partition(";")
        if coding.strip() == "gzip":
            return not re.fullmatch(r"q=0(\.0{0,3})?", params.replace(" ", ""))
    return False


async def gzipped(pieces: AsyncIterator[bytes], level: int = GZIP_LEVEL) -> AsyncIterator[bytes]:
    """The pieces as one gzip stream; the large ones compressed off the event loop."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: the gzip wrapper
    loop = asyncio.get_running_loop()
    async for piece in pieces:
        if len(piece) > OFF_LOOP:
            out = await loop.run_in_executor(None, compressor.compress, piece)
        else:
            out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()


def authorized(header: str | None, token: str | None) -> bool:
    """`Authorization: Bearer <token>` when a token is set (compared in constant time)."""
    if token is None:
        return True
    if header is None or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())
