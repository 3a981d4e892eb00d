"""The validated configuration, and the chain of functions that builds it.

Each section has one function; each reports every problem it finds under the
exact key path, and the chain carries on so that all errors come out at once.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import msgspec

from upstatd.config.check import (
    keyed, SEVERITIES, Invalid, Path, Problems, Rule, block, boolean, choice, duration, format_duration, integer,
    parse_metadata, take, text, text_list, type_name,
)
from upstatd.config.alert_channels import REMINDER_INTERVAL, ChannelSpec, parse_alert_channels, parse_refs
from upstatd.config.heartbeats import GROUP, HeartbeatSpec, PingSettings, parse_heartbeats, parse_pings
from upstatd.config.incidents import IncidentSettings, parse_incidents
from upstatd.config.maintenance import WindowSpec, check_target_refs, parse_maintenance
from upstatd.config.escalation_policies import POLICY_REF, PolicySpec, check_policy_refs, parse_escalation_policies
from upstatd.config.people import PersonSpec, check_method_refs, parse_people
from upstatd.config.on_call import ScheduleSpec, check_people_refs, parse_on_call
from upstatd.config.catalog import SERVICE_REF, ServiceSpec, check_service_refs, parse_services
from upstatd.config.webhooks import WebhookSpec, parse_webhooks
from upstatd.config.runbooks import RunbookSpec, check_runbook_links, parse_runbooks
from upstatd.config.regions import (LOCAL, RegionSpec, check_region_refs, own_region, parse_regions, region_list)
from upstatd.regions.quorum import Quorum, parse_quorum
from upstatd.probes import PROBES

KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"


class Confirmation(msgspec.Struct, frozen=True):
    failures: int = 2      # consecutive failures before down
    successes: int = 1     # consecutive successes before up
    recheck: float = 5.0   # seconds to the next probe while a change is unconfirmed


class Defaults(msgspec.Struct, frozen=True):
    interval: float = 60.0
    timeout: float = 10.0
    confirmation: Confirmation = Confirmation()
    alert_channels: tuple[str, ...] = ()   # channel keys or ids alerted for subjects that name none
    regions: tuple[str, ...] | None = None  # None: the daemon's own region
    quorum: Quorum | None = None            # None: majority


class MonitorSpec(msgspec.Struct, frozen=True):
    key: str
    name: str
    type: str
    url: str
    interval: float
    timeout: float
    confirmation: Confirmation
    severity: str
    tags: tuple[str, ...]
    metadata: dict[str, str]
    options: dict[str, Any]  # the type block as written (`http:`), for the store
    target: Any              # prepared by the probe module: what a probe needs
    alert_channels: tuple[str, ...] | None = None   # channel keys or ids; None: defaults.alert_channels
    reminder_interval: float | None = None          # seconds; None: each channel's own
    group: str | None = None                        # the name of its monitor group (made when first named)
    escalation_policy: str | None = None            # a policy key or esc_ id; None: the default policy
    service: str | None = None                      # the catalog service it belongs to: a key or svc_ id
    regions: tuple[str, ...] | None = None          # where it is probed from; None: the daemon's own region
    quorum: Quorum | None = None                    # how many fresh regions make it down; None: majority


class Server(msgspec.Struct, frozen=True):
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    header_timeout: float = 10.0          # s: a request's head must have come by then
    body_timeout: float = 30.0            # s: and its body (API and pings)
    max_connections: int = 1024           # open at once, in all
    max_connections_per_address: int = 128
    trusted_proxies: tuple[str, ...] = ()   # networks (`10.0.0.0/8`, `192.0.2.7/32`) whose X-Forwarded-* count
    region: str | None = LOCAL              # the daemon's own region; None: it probes nothing itself


class Scheduler(msgspec.Struct, frozen=True):
    max_in_flight: int = 1000


class Retention(msgspec.Struct, frozen=True):
    checks: float = 14 * 86400.0     # s: raw checks (their hourly and daily rollups stay)
    rollups: float = 400 * 86400.0   # s: daily rollups
    hourly: float = 14 * 86400.0     # s: hourly rollups (24 times the rows of the daily ones: see BENCHMARKS.md)
    deliveries: float = 30 * 86400.0  # s: webhook delivery attempts (as long as the events they deliver)
    alerts: float = 90 * 86400.0     # s: alerts and their attempts (a quarter of incident reviews)


class RateLimit(msgspec.Struct, frozen=True):
    per_token_minute: int = 1000
    per_token_hour: int = 10_000
    global_minute: int = 5000


class MetricsSettings(msgspec.Struct, frozen=True):
    enabled: bool = False          # /metrics answers 404 until enabled
    token: str | None = None       # a bearer token scrapers must send (never logged)

    def __repr__(self) -> str:     # a Config in a log line or traceback never shows the token
        return f"MetricsSettings(enabled={self.enabled}, token={'<set>' if self.token else None})"


class Config(msgspec.Struct, frozen=True):
    file: str
    server: Server
    storage_path: str
    scheduler: Scheduler
    defaults: Defaults
    monitors: tuple[MonitorSpec, ...]
    rate_limit: RateLimit = RateLimit()
    heartbeats: tuple[HeartbeatSpec, ...] = ()
    pings: PingSettings = PingSettings()
    incidents: IncidentSettings = IncidentSettings()
    webhooks: tuple[WebhookSpec, ...] = ()
    alert_channels: tuple[ChannelSpec, ...] = ()
    retention: Retention = Retention()
    metrics: MetricsSettings = MetricsSettings()
    maintenance: tuple[WindowSpec, ...] = ()
    people: tuple[PersonSpec, ...] = ()
    on_call: tuple[ScheduleSpec, ...] = ()
    escalation_policies: tuple[PolicySpec, ...] = ()
    services: tuple[ServiceSpec, ...] = ()
    runbooks: tuple[RunbookSpec, ...] = ()
    regions: tuple[RegionSpec, ...] = ()       # the agents' regions (not the daemon's own)


# The keys of each section, each with its parser (and so its JSON Schema: config/json_schema.py);
# a Rule is a key the section's function checks itself.
SECTIONS = ("server", "storage", "scheduler", "defaults", "monitors", "heartbeats", "pings", "incidents",
            "webhooks", "alert_channels", "retention", "api", "metrics", "maintenance",
            "people", "on_call", "escalation_policies", "services", "runbooks", "regions")


def parse_config(data: Any, file: str, problems: Problems,
                 environ: Mapping[str, str] = os.environ) -> Config | None:
    sections = SECTIONS
    if not isinstance(data, dict):
        problems.add((), f"the top level must be a mapping of sections ({', '.join(sorted(sections))}), "
                         f"got {type_name(data)}")
        return None
    # `x-` keys hold YAML anchors to reuse (`x-web: &web {...}`), like Compose files.
    top = block({k: v for k, v in data.items() if not str(k).startswith("x-")}, (), problems, sections)
    server = parse_server(top.get("server"), ("server",), problems)
    storage_path = parse_storage(top.get("storage"), ("storage",), problems, file, environ)
    scheduler = parse_scheduler(top.get("scheduler"), ("scheduler",), problems)
    defaults = parse_defaults(top.get("defaults"), ("defaults",), problems)
    monitors = parse_monitors(top.get("monitors"), ("monitors",), problems, defaults, environ)
    heartbeats = parse_heartbeats(top.get("heartbeats"), ("heartbeats",), problems)
    pings = parse_pings(top.get("pings"), ("pings",), problems)
    incidents = parse_incidents(top.get("incidents"), ("incidents",), problems)
    webhooks = parse_webhooks(top.get("webhooks"), ("webhooks",), problems)
    channels = parse_alert_channels(top.get("alert_channels"), ("alert_channels",), problems)
    check_channel_refs(top, channels, problems)
    retention = parse_retention(top.get("retention"), ("retention",), problems)
    rate_limit = parse_api(top.get("api"), ("api",), problems)
    metrics = parse_metrics(top.get("metrics"), ("metrics",), problems)
    maintenance = parse_maintenance(top.get("maintenance"), ("maintenance",), problems)
    check_target_refs(top, maintenance, problems)
    people = parse_people(top.get("people"), ("people",), problems)
    check_method_refs(top, problems)
    on_call = parse_on_call(top.get("on_call"), ("on_call",), problems)
    check_people_refs(top, problems)
    policies = parse_escalation_policies(top.get("escalation_policies"), ("escalation_policies",), problems)
    check_policy_refs(top, problems)
    services = parse_services(top.get("services"), ("services",), problems)
    check_service_refs(top, problems)
    runbooks = parse_runbooks(top.get("runbooks"), ("runbooks",), problems)
    check_runbook_links(top, runbooks, problems)
    regions = parse_regions(top.get("regions"), ("regions",), problems, file, server.region)
    check_region_refs(top, server.region, regions, problems)
    if problems:
        return None
    return Config(file, server, storage_path, scheduler, defaults, monitors, rate_limit, heartbeats, pings,
                  incidents, webhooks, channels, retention, metrics, maintenance, people=people, on_call=on_call,
                  escalation_policies=policies, services=services, runbooks=runbooks, regions=regions)


def parse_retention(value: Any, path: Path, problems: Problems) -> Retention:
    section = block(value, path, problems, RETENTION_FIELDS)
    if not section:
        return Retention()
    base, F = Retention(), RETENTION_FIELDS
    checks = take(section, "checks", F["checks"], path, problems, base.checks)
    rollups = take(section, "rollups", F["rollups"], path, problems, max(base.rollups, checks))
    hourly = take(section, "hourly", F["hourly"], path, problems, min(max(base.hourly, checks), rollups))
    for name, value, floor, floor_name in (("hourly", hourly, checks, "checks"), ("rollups", rollups, hourly,
                                                                                  "hourly")):
        if value < floor:
            problems.add(path + (name,), f"must be at least retention.{floor_name} ({format_duration(floor)}): "
                                         "what is pruned is rolled up first")
    deliveries = take(section, "deliveries", F["deliveries"], path, problems, base.deliveries)
    alerts = take(section, "alerts", F["alerts"], path, problems, base.alerts)
    return Retention(checks, rollups, hourly, deliveries, alerts)


def check_channel_refs(top: dict, channels: tuple[ChannelSpec, ...], problems: Problems) -> None:
    """Every `alert_channels` entry names a channel of the file by key, or one made over the API by id."""
    keys = {spec.key for spec in channels}
    places: list[tuple[Path, Any]] = [(("defaults", "alert_channels"), (top.get("defaults") or {}).get("alert_channels")
                                       if isinstance(top.get("defaults"), dict) else None)]
    for section in ("monitors", "heartbeats"):
        items = top.get(section)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict):
                places.append(((section, index, "alert_channels"), item.get("alert_channels")))
    for path, refs in places:
        for index, ref in enumerate(refs if isinstance(refs, list) else ()):
            if isinstance(ref, str) and ref and ref not in keys and not ref.startswith("ch_"):
                known = ", ".join(sorted(keys)) or "none defined"
                problems.add(path + (index,), f"no alert channel with key '{ref}' (alert_channels keys: {known}; "
                                              f"a channel made over the API is named by its id, ch_...)")


def parse_server(value: Any, path: Path, problems: Problems) -> Server:
    section = block(value, path, problems, SERVER_FIELDS)
    if section is None:
        return Server()
    F = SERVER_FIELDS
    host, port = take(section, "listen", F["listen"], path, problems, ("127.0.0.1", 8080))
    public_url = take(section, "public_url", F["public_url"], path, problems)
    header_timeout = take(section, "header_timeout", F["header_timeout"], path, problems, 10.0)
    body_timeout = take(section, "body_timeout", F["body_timeout"], path, problems, 30.0)
    total = take(section, "max_connections", F["max_connections"], path, problems, 1024)
    per_address = take(section, "max_connections_per_address", F["max_connections_per_address"], path, problems,
                       128)
    proxies = take(section, "trusted_proxies", F["trusted_proxies"], path, problems, ())
    region = take(section, "region", F["region"], path, problems, LOCAL)  # false: None
    return Server(host, port, public_url, header_timeout, body_timeout, total, per_address, proxies, region)


def parse_networks(value: Any) -> tuple[str, ...]:
    """A list of IP addresses and networks -> their networks as text (`192.0.2.7` -> `192.0.2.7/32`)."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of IP addresses or networks like 10.0.0.0/8, got {type_name(value)}")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(f"must be an IP address or network like 10.0.0.0/8, got {type_name(item)}", at=(index,))
        try:
            network = ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            raise Invalid(f"must be an IP address or network like 10.0.0.0/8 or ::1, got '{item}'",
                          at=(index,)) from None
        out.append(str(network))
    return tuple(out)


parse_networks.schema = {"type": "array", "items": {
    "type": "string", "pattern": r"^\s*[0-9A-Fa-f.:]+(/[0-9]{1,3})?\s*$",
    "description": "An IP address or network like 10.0.0.0/8"}}


def parse_listen(value: Any) -> tuple[str, int]:
    if not isinstance(value, str):
        raise Invalid(f"must be \"host:port\" like \"127.0.0.1:8080\", got {type_name(value)}")
    host, sep, port_text = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port_text.isdigit():
        raise Invalid(f"must be \"host:port\" like \"127.0.0.1:8080\" or \"[::1]:8080\", got '{value}'")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise Invalid(f"port must be 1-65535, got {port}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise Invalid(f"host must be an IP address or localhost, got '{host}'") from None
    return host, port


parse_listen.schema = {"type": "string",
                       "pattern": r"^(localhost|[0-9.]+|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+):[0-9]{1,5}$",
                       "description": "host:port like 127.0.0.1:8080 or [::1]:8080 (host: an IP address or localhost)"}
SERVER_FIELDS = {
    "listen": parse_listen,
    "public_url": text(r"https?://\S+", hint="must start with http:// or https://"),
    "header_timeout": duration(min=0.1, max=3600),
    "body_timeout": duration(min=0.1, max=3600),
    "max_connections": integer(min=1, max=1_000_000),
    "max_connections_per_address": integer(min=1, max=1_000_000),
    "trusted_proxies": parse_networks,
    "region": own_region,
}
STORAGE_FIELDS = {"path": text()}
SCHEDULER_FIELDS = {"max_in_flight": integer(1, 100_000)}
RATE_LIMIT_FIELDS = {name: integer(1, 10_000_000) for name in ("per_token_minute", "per_token_hour", "global_minute")}


def parse_storage(value: Any, path: Path, problems: Problems, file: str,
                  environ: Mapping[str, str]) -> str:
    section = block(value, path, problems, STORAGE_FIELDS)
    # Under systemd, StateDirectory= sets STATE_DIRECTORY (several directories
    # are joined with ':'; the first is ours); otherwise ./var beside the file.
    state_dir = environ.get("STATE_DIRECTORY", "").split(":")[0]
    default = os.path.join(state_dir, "upstatd.db") if state_dir else "var/upstatd.db"
    raw = take(section or {}, "path", STORAGE_FIELDS["path"], path, problems, default)
    return str(FilePath(file).resolve().parent / raw)  # an absolute path is kept as is


def parse_scheduler(value: Any, path: Path, problems: Problems) -> Scheduler:
    section = block(value, path, problems, SCHEDULER_FIELDS)
    if section is None:
        return Scheduler()
    return Scheduler(take(section, "max_in_flight", SCHEDULER_FIELDS["max_in_flight"], path, problems, 1000))


def parse_api(value: Any, path: Path, problems: Problems) -> RateLimit:
    section = block(value, path, problems, API_FIELDS)
    limits = block((section or {}).get("rate_limit"), path + ("rate_limit",), problems, RATE_LIMIT_FIELDS)
    if not limits:
        return RateLimit()
    where, base = path + ("rate_limit",), RateLimit()
    return RateLimit(*(take(limits, name, parse, where, problems, getattr(base, name))
                       for name, parse in RATE_LIMIT_FIELDS.items()))


METRICS_TOKEN_MIN = 16


def parse_metrics_token(value: Any) -> str:
    """A bearer token for scrapers; its value never appears in an error (it is a secret)."""
    if not isinstance(value, str):
        raise Invalid(f"must be a string of at least {METRICS_TOKEN_MIN} characters, got {type_name(value)}")
    if len(value) < METRICS_TOKEN_MIN:
        raise Invalid(f"must be at least {METRICS_TOKEN_MIN} characters long, got {len(value)} (use a random "
                      f"string, e.g. from `openssl rand -hex 32`, through ${{VAR}})")
    if len(value) > 1000:
        raise Invalid(f"must be at most 1000 characters long, got {len(value)}")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise Invalid("must not contain spaces or control characters (it is sent in an Authorization header)")
    return value


parse_metrics_token.schema = {"type": "string", "minLength": METRICS_TOKEN_MIN, "maxLength": 1000,
                              "pattern": r"^\S+$",
                              "description": "a bearer token scrapers send (Authorization: Bearer ...); "
                                             "use ${VAR}: it is a secret"}
METRICS_FIELDS = {"enabled": boolean, "token": parse_metrics_token}


def parse_metrics(value: Any, path: Path, problems: Problems) -> MetricsSettings:
    section = block(value, path, problems, METRICS_FIELDS)
    if section is None:
        return MetricsSettings()
    enabled = take(section, "enabled", METRICS_FIELDS["enabled"], path, problems, False)
    token = take(section, "token", METRICS_FIELDS["token"], path, problems)
    return MetricsSettings(enabled, token)


def parse_defaults(value: Any, path: Path, problems: Problems) -> Defaults:
    base = Defaults()
    section = block(value, path, problems, DEFAULTS_FIELDS)
    if section is None:
        return base
    before = len(problems.items)
    interval = take(section, "interval", INTERVAL, path, problems, base.interval)
    timeout = take(section, "timeout", TIMEOUT, path, problems, base.timeout)
    if "timeout" in section and len(problems.items) == before and timeout > interval:
        problems.add(path + ("timeout",), f"must not exceed defaults.interval ({format_duration(interval)})")
    confirmation = parse_confirmation(section.get("confirmation"), path + ("confirmation",),
                                      problems, base.confirmation)
    channels = take(section, "alert_channels", DEFAULTS_FIELDS["alert_channels"], path, problems, [])
    regions = take(section, "regions", DEFAULTS_FIELDS["regions"], path, problems)
    quorum = take(section, "quorum", DEFAULTS_FIELDS["quorum"], path, problems)
    return Defaults(interval, timeout, confirmation, tuple(channels), regions, quorum)


def parse_confirmation(value: Any, path: Path, problems: Problems, base: Confirmation) -> Confirmation:
    section = block(value, path, problems, CONFIRMATION_FIELDS)
    if not section:
        return base
    return Confirmation(*(take(section, name, parse, path, problems, getattr(base, name))
                          for name, parse in CONFIRMATION_FIELDS.items()))


def quorum_rule(value: Any) -> Quorum:
    try:
        return parse_quorum(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


quorum_rule.schema = {"oneOf": [{"enum": ["majority", "any", "all"]}, {"type": "integer", "minimum": 1}],
                      "description": "how many fresh regions must see it down: majority (default), any, all "
                                     "or a number"}

INTERVAL = duration(min=1, max=86400)
TIMEOUT = duration(min=0.1, max=300)
CONFIRMATION_FIELDS = {"failures": integer(1, 100), "successes": integer(1, 100), "recheck": duration(min=1, max=3600)}
CONFIRMATION = Rule(lambda: _block_schema(CONFIRMATION_FIELDS))
DEFAULTS_FIELDS = {"interval": INTERVAL, "timeout": TIMEOUT, "confirmation": CONFIRMATION, "alert_channels": parse_refs,
                   "regions": region_list, "quorum": quorum_rule}
API_FIELDS = {"rate_limit": Rule(lambda: _block_schema(RATE_LIMIT_FIELDS))}
RETENTION_FIELDS = {name: duration(min=86400, max=3650 * 86400)
                    for name in ("checks", "hourly", "rollups", "deliveries", "alerts")}
MONITOR_FIELDS = {
    "key": text(KEY_PATTERN, hint="use letters, digits, '-', '_' and '.'"),
    "name": text(max_len=200),
    "type": choice(*PROBES),
    "url": text(max_len=2000),   # and the form of its type: the probe module's URL_SCHEMA
    "interval": INTERVAL,
    "timeout": TIMEOUT,
    "confirmation": CONFIRMATION,
    "severity": choice(*SEVERITIES),
    "tags": text_list,
    "metadata": parse_metadata,
    "alert_channels": parse_refs,
    "reminder_interval": REMINDER_INTERVAL,
    "group": GROUP,
    "escalation_policy": POLICY_REF,
    "service": SERVICE_REF,
    "regions": region_list,
    "quorum": quorum_rule,
}
MONITOR_KEYS = tuple(MONITOR_FIELDS)  # and a block named after each probe type (`http:`)
MONITOR_REQUIRED = ("key", "type", "url")
_MONITOR_KNOWN = frozenset(MONITOR_KEYS + tuple(PROBES))  # looked up once per key of 100,000 monitors


def _block_schema(fields: dict) -> dict:
    from upstatd.config.json_schema import block_schema
    return block_schema(fields)


def parse_monitors(value: Any, path: Path, problems: Problems, defaults: Defaults,
                   environ: Mapping[str, str] = os.environ) -> tuple[MonitorSpec, ...]:
    targets: dict = {}  # one load's prepared targets, shared by the monitors written alike
    return keyed(value, path, problems, "monitors",
                 lambda item, at: parse_monitor(item, at, problems, defaults, environ, targets))


# what monitors without metadata or options hold: one empty mapping each, not one per monitor
# (specs are values: nothing changes them in place)
_NO_METADATA: dict = {}
_NO_OPTIONS: dict = {}


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a YAML value, equal only for equal values of the same types
    (1, 1.0 and true are three keys)."""
    kind = type(value)
    if kind is dict:
        return (dict, tuple((key, _frozen(item)) for key, item in value.items()))
    if kind is list:
        return (list, tuple(_frozen(item) for item in value))
    if kind in (str, int, float, bool, type(None)):
        return (kind, value)
    return (kind, id(value))  # anything else YAML builds: only itself (no sharing, never wrong)


def parse_monitor(value: Any, path: Path, problems: Problems, defaults: Defaults,
                  environ: Mapping[str, str] = os.environ, targets: dict | None = None) -> MonitorSpec | None:
    """`environ`: what `http.proxy: env` reads (the daemon's own environment unless a test says).
    `targets`: (type, url, options) -> (the probe's target prepared from them without a problem, the
    options), for the monitors of one load: 100,000 monitors name a few targets, and a target
    depends on those three alone (its path only names its problems)."""
    section = block(value, path, problems, _MONITOR_KNOWN, required=MONITOR_REQUIRED)
    if section is None:
        return None
    F = MONITOR_FIELDS
    before = len(problems.items)
    key = take(section, "key", F["key"], path, problems)
    kind = take(section, "type", F["type"], path, problems)
    url = take(section, "url", F["url"], path, problems)
    name = take(section, "name", F["name"], path, problems, key)
    timing = len(problems.items)
    interval = take(section, "interval", F["interval"], path, problems, defaults.interval)
    timeout = take(section, "timeout", F["timeout"], path, problems, defaults.timeout)
    if "timeout" in section and len(problems.items) == timing and timeout > interval:
        given = "interval" if "interval" in section else "defaults.interval"
        problems.add(path + ("timeout",), f"must not exceed {given} ({format_duration(interval)})")
    confirmation = parse_confirmation(section.get("confirmation"), path + ("confirmation",),
                                      problems, defaults.confirmation)
    severity = take(section, "severity", F["severity"], path, problems, "critical")
    tags = take(section, "tags", F["tags"], path, problems, [])
    metadata = take(section, "metadata", F["metadata"], path, problems, {})
    alert_channels = take(section, "alert_channels", F["alert_channels"], path, problems)
    reminder_interval = take(section, "reminder_interval", F["reminder_interval"], path, problems)
    group = take(section, "group", F["group"], path, problems)
    policy = take(section, "escalation_policy", F["escalation_policy"], path, problems)
    service = take(section, "service", F["service"], path, problems)
    regions = take(section, "regions", F["regions"], path, problems, defaults.regions)
    quorum = take(section, "quorum", F["quorum"], path, problems, defaults.quorum)
    for other in PROBES:
        if other != kind and other in section and kind:
            problems.add(path + (other,), f"'{other}' options are not allowed on a monitor of type {kind} "
                                          f"(its options go in '{kind}')")
    target = None
    options = section.get(kind)
    if kind and url:
        known = None if targets is None or type(url) is not str else (kind, url, _frozen(options))
        shared = None if known is None else targets.get(known)
        if shared is None:
            errors = len(problems.items)
            probe = PROBES[kind]
            target = probe.prepare(url, options, path, problems, *((environ,) if probe.environ else ()))
            if known is not None and target is not None and len(problems.items) == errors:
                targets[known] = (target, options)
        else:
            target, options = shared  # and the options as first read: equal, kept once
    if len(problems.items) > before:
        return None
    timeout = min(timeout, interval)  # a default timeout never outlasts a short interval
    return MonitorSpec(key, name, kind, url, interval, timeout, confirmation, severity,
                       tuple(tags), metadata or _NO_METADATA, options or _NO_OPTIONS, target,
                       None if alert_channels is None else tuple(alert_channels), reminder_interval, group, policy,
                       service, regions, quorum)
