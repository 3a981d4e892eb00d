"""Results: medians over runs, targets checked, JSON per scenario, one Markdown report."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sqlite3
import statistics
import subprocess
from pathlib import Path

from bench.proc import REPO

# (scenario, metric, operator, limit, what it means). Metrics are medians over the runs;
# a metric that is missing (the peer was not available) is n/a, never a miss.
TARGETS = [
    ("probe-cost", "http.x_floor", "<=", 1.6, "HTTP CPU/probe ÷ raw-socket floor"),
    ("probe-cost", "http.peer_x", ">=", 6.0, "HTTP probes per CPU-second ÷ blackbox_exporter's"),
    ("probe-cost", "tcp.x_floor", "<=", 1.6, "TCP CPU/probe ÷ connect-only floor"),
    ("probe-cost", "icmp.x_floor", "<=", 2.5, "ICMP CPU/probe ÷ one-raw-socket floor"),
    ("probe-cost", "dns.x_floor", "<=", 3.0, "DNS CPU/probe ÷ one-UDP-socket floor"),
    ("probe-cost", "dns.peer_x", ">=", 5.0, "DNS probes per CPU-second ÷ blackbox_exporter's"),
    ("scale", "executed_ratio_pct", ">=", 99.9, "scale: executed ÷ scheduled, %"),
    ("scale", "lateness_p99_ms", "<=", 50, "scale: lateness p99, ms"),
    ("scale", "lateness_max_ms", "<=", 250, "scale: lateness max (since start), ms"),
    ("scale", "cpu_percent", "<=", 12, "scale: daemon CPU, % of one core"),
    ("scale", "rss_mib", "<=", 150, "scale: RSS, MiB"),
    ("size", "rss_mib", "<=", 200, "size: RSS after READY, MiB"),
    ("size", "ready_s", "<=", 5, "size: process start to READY, s"),
    ("size", "idle_cpu_percent", "<=", 5, "size: idle CPU, % of one core"),
    ("size-heartbeats", "rss_mib", "<=", 200, "size-heartbeats: RSS after READY, MiB"),
    ("size-heartbeats", "ready_s", "<=", 5, "size-heartbeats: process start to READY, s"),
    ("size-heartbeats", "idle_cpu_percent", "<=", 5, "size-heartbeats: idle CPU, % of one core"),
    ("storage", "writer_rows_per_s", ">=", 50_000, "storage: writer check rows/s"),
    ("storage", "http_kb_per_monitor_day", "<=", 150, "storage: kB per HTTP monitor per day at 60 s"),
    ("pings", "pings_per_s", ">=", 9000, "pings: durable pings/s (wrk, 128 keep-alive connections, 2xx only)"),
    ("pings", "cron_pings_per_s", ">=", 4500, "pings: durable pings/s, a new connection per ping (wrk, 2xx only)"),
    ("webhooks", "events_per_s", ">=", 300, "webhooks: events/s received by an endpoint answering in 1 ms"),
    ("retention", "flat_pct", "<=", 5, "retention: file size change once retention is reached, %"),
    ("retention", "projected_gb", "<=", 1.5, "retention: 1,000 monitors at 60 s at the default retention, GB"),
    ("retention", "status_p99_ms", "<=", 20, "retention: /status figures (store read), p99 ms"),
    ("retention", "sla_400d_p99_ms", "<=", 20, "retention: a 400-day SLA (store read), p99 ms"),
    ("metrics", "scrape_first_s", "<=", 1.0, "metrics: first /metrics scrape of 100,000 monitors, s"),
    ("metrics", "scrape_churn_s", "<=", 1.0, "metrics: scrape with a new check for every monitor, s"),
    ("metrics", "lateness_p99_delta_ms", "<=", 5.0, "metrics: probe lateness p99 during scrapes − idle, ms"),
    ("fleet", "walk_ms", "<=", 100, "fleet: every monitor's state, uptime and latency, pages of 100 walked, ms"),
    ("fleet", "status_p99_ms", "<=", 5, "fleet: one /status over the API (400-day or 1-day history), p99 ms"),
    ("pages", "warm_p99_ms", "<=", 50, "pages: GET /status/<slug> of the page as kept (warm), p99 ms"),
    ("pages", "rps", ">=", 500, "pages: requests/s from 8 keep-alive connections"),
    ("pages", "lateness_p99_delta_ms", "<=", 5.0, "pages: probe lateness p99 under that load − idle, ms"),
    ("pages", "cold_p99_ms", "<=", 250, "pages: first GET after a change (a cold render), p99 ms"),
    ("regions", "rate_ratio", ">=", 1.7,
     "regions: probes/s of a daemon and two agents on two cores ÷ one daemon's on one, same run"),
]


# -- the machine -----------------------------------------------------------------------

def machine(extra: dict | None = None) -> dict:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    import uvloop

    import upstatd

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "upstatd"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return {
        "cpu": model, "cores": len(os.sched_getaffinity(0)), "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(), "python": platform.python_version(), "uvloop": uvloop.__version__,
        "sqlite": sqlite3.sqlite_version, "upstatd": upstatd.__version__,
        "commit": commit + ("+dirty" if dirty else ""), "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        **(extra or {}),
    }


def describe(m: dict) -> str:
    return (f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
            f"Python {m['python']}, uvloop {m['uvloop']}, SQLite {m['sqlite']}; "
            f"upstatd {m['upstatd']} ({m['commit']}); HTTP target: {m.get('http_target', '?')}; "
            f"peer: {m.get('peer', 'n/a')}; load average at start {' '.join(m['loadavg'])}"
            + (f"; ICMP {m['icmp']}" if m.get("icmp", "yes") != "yes" else "")
            + (f"; ping client: {m['ping_client']}" if m.get("ping_client", "not run") != "not run" else ""))


# -- medians and targets -----------------------------------------------------------------

def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out


def medians(runs: list[dict]) -> dict:
    flat = [flatten(run) for run in runs]
    keys = sorted({key for run in flat for key in run})
    return {key: round(statistics.median(run[key] for run in flat if key in run), 3) for key in keys}


def check_targets(scenario: str, median: dict) -> list[dict]:
    out = []
    for name, metric, op, limit, label in TARGETS:
        if name != scenario:
            continue
        value = median.get(metric)
        if value is None:
            result = "n/a"
        else:
            result = "pass" if (value <= limit if op == "<=" else value >= limit) else "MISS"
        out.append({"metric": metric, "label": label, "value": value, "op": op, "limit": limit,
                    "result": result})
    return out


def summarize(scenario: str, runs: list[dict], errors: list[str], machine_info: dict, smoke: bool,
              settings: dict) -> dict:
    median = medians(runs) if runs else {}
    return {"scenario": scenario, "date": datetime.date.today().isoformat(), "smoke": smoke,
            "machine": machine_info, "settings": settings, "runs": runs, "median": median,
            "targets": check_targets(scenario, median) if runs else [], "errors": errors}


def write_json(summary: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-smoke" if summary["smoke"] else ""
    path = out_dir / f"{summary['date']}-{summary['scenario']}{suffix}.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


# -- Markdown ------------------------------------------------------------------------------

def _num(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def markdown(summaries: dict[str, dict], machine_info: dict, runs: int, smoke: bool) -> str:
    date = datetime.date.today().isoformat()
    kind = "smoke run (speed not judged)" if smoke else f"median of {runs} runs"
    lines = [f"### upstatd bench, {date}: {kind}", "", f"Machine: {describe(machine_info)}", ""]

    if (s := summaries.get("probe-cost")) and s["median"]:
        m = s["median"]
        lines += [f"**Probe cost** ({_num(m.get('rate'), 0)} probes/s each, {_num(m.get('window_s'), 0)} s "
                  "window after warm-up; CPU µs per probe, whole process)", ""]
        rows = []
        for k in ("http", "tcp", "icmp", "dns"):
            if f"{k}.upstatd.cpu_us_per_probe" not in m:
                continue
            rows.append([k, _num(m.get(f"{k}.upstatd.cpu_us_per_probe")),
                         _num(m.get(f"{k}.floor.cpu_us_per_probe")), _num(m.get(f"{k}.x_floor"), 2) + "×",
                         _num(m.get(f"{k}.peer.cpu_us_per_probe")),
                         _num(m.get(f"{k}.peer_x"), 2) + ("×" if f"{k}.peer_x" in m else ""),
                         _num(m.get(f"{k}.upstatd.probes_per_cpu_s"), 0),
                         _num(m.get(f"{k}.upstatd.rate"), 0),
                         _num(m.get(f"{k}.upstatd.failed"), 0)])
        lines += _table(["probe", "upstatd µs", "floor µs", "upstatd ÷ floor", "blackbox µs",
                         "blackbox ÷ upstatd", "upstatd probes/CPU-s", "upstatd probes/s", "failed"], rows)
        lines.append("")

    if (s := summaries.get("scale")) and s["median"]:
        m = s["median"]
        lines += [f"**Scale** ({_num(m['monitors'], 0)} HTTP monitors at {_num(m['interval_s'], 0)} s, "
                  f"{_num(m['window_s'], 0)} s window)", ""]
        lines += _table(["executed ÷ scheduled", "lateness p50", "p99", "max (since start)", "CPU",
                         "RSS (peak)", "probes/s"],
                        [[f"{m['executed_ratio_pct']:.3f} %", f"{m['lateness_p50_ms']:.1f} ms",
                          f"{m['lateness_p99_ms']:.1f} ms", f"{m['lateness_max_ms']:.1f} ms",
                          f"{m['cpu_percent']:.1f} %", f"{m['rss_mib']:.0f} MiB ({m['peak_rss_mib']:.0f})",
                          _num(m['launched'] / m['window_s'], 0)]])
        lines.append("")

    if (s := summaries.get("size")) and s["median"]:
        m = s["median"]
        lines += [f"**Size** ({_num(m['monitors'], 0)} monitors, mixed types, {_num(m['interval_s'], 0)} s "
                  f"interval; config {m['config_mib']:.1f} MiB)", ""]
        lines += _table(["start → READY", "RSS (peak)", "idle CPU", "probes in idle window", "SIGTERM → exit"],
                        [[f"{m['ready_s']:.1f} s", f"{m['rss_mib']:.0f} MiB ({m['peak_rss_mib']:.0f})",
                          f"{m['idle_cpu_percent']:.2f} %", _num(m['probes_in_window'], 0),
                          f"{m['stop_s']:.1f} s"]])
        lines.append("")

    if (s := summaries.get("size-heartbeats")) and s["median"]:
        m = s["median"]
        lines += [f"**Size, heartbeats** ({_num(m['heartbeats'], 0)} period heartbeats, no monitor; "
                  f"config {m['config_mib']:.1f} MiB)", ""]
        lines += _table(["start → READY", "RSS (peak)", "idle CPU", "timers fired in idle window", "SIGTERM → exit"],
                        [[f"{m['ready_s']:.1f} s", f"{m['rss_mib']:.0f} MiB ({m['peak_rss_mib']:.0f})",
                          f"{m['idle_cpu_percent']:.2f} %", _num(m['timers_fired_in_window'], 0),
                          f"{m['stop_s']:.1f} s"]])
        lines.append("")

    if (s := summaries.get("storage")) and s["median"]:
        m = s["median"]
        lines += ["**Storage** (the real Writer, schema and indexes; kB = 1000 bytes)", ""]
        lines += _table(["writer rows/s", "rows/commit", "HTTP kB/monitor/day", "file", "after VACUUM",
                         "bytes/row", "mixed kB/monitor/day"],
                        [[_num(m['writer_rows_per_s'], 0), _num(m['writer_rows_per_commit'], 0),
                          _num(m['http_kb_per_monitor_day']), _num(m['http_file_kb_per_monitor_day']),
                          _num(m['http_vacuumed_kb_per_monitor_day']), _num(m['http_bytes_per_row']),
                          _num(m['mixed_kb_per_monitor_day'])]])
        lines.append("")

    if (s := summaries.get("pings")) and s["median"]:
        m = s["median"]
        wrk = "pings_per_s" in m
        rates = [run.get("pings_per_s", run.get("python_pings_per_s")) for run in s["runs"]]
        client = (f"wrk, {_num(m['threads'], 0)} threads" if wrk else "the Python client bench.pingload")
        lines += [f"**Pings** ({_num(m['heartbeats'], 0)} heartbeats, {client}, {_num(m['connections'], 0)} "
                  f"keep-alive connections, {_num(m['window_s'], 0)} s window after warm-up; each answer "
                  "after its commit)", ""]
        lines += _table(["pings/s (min–max)", "latency p50", "p99", "max", "daemon CPU s / 1,000 pings",
                         "daemon CPU", "pings/commit", "stored = 2xx", "client CPU", "other CPU"],
                        [[f"{_num(statistics.median(rates), 0)} ({_num(min(rates), 0)}–{_num(max(rates), 0)})",
                          f"{m['latency_p50_ms']:.1f} ms", f"{m['latency_p99_ms']:.1f} ms",
                          f"{m['latency_max_ms']:.0f} ms", f"{m['cpu_s_per_1000_pings']:.3f}",
                          f"{m['cpu_percent']:.0f} %", _num(m.get('pings_per_commit')),
                          f"yes, {len(s['runs'])} of {len(s['runs'])} runs",
                          f"{m['client_cpu_percent']:.0f} %", f"{m['others_cpu_percent']:.0f} %"]])
        lines.append("")
        if "cron_pings" in m:
            cron = [run.get("cron_pings_per_s", run.get("python_cron_pings_per_s")) for run in s["runs"]]
            lines += [f"**Pings, a new connection per ping** (as curl from cron: `Connection: close`, "
                      f"{_num(m['connections'], 0)} at a time, {_num(m['cron_window_s'], 0)} s window)", ""]
            lines += _table(["pings/s (min–max)", "latency p50", "p99", "daemon CPU s / 1,000 pings", "daemon CPU"],
                            [[f"{_num(statistics.median(cron), 0)} ({_num(min(cron), 0)}–{_num(max(cron), 0)})",
                              f"{m['cron_latency_p50_ms']:.1f} ms", f"{m['cron_latency_p99_ms']:.1f} ms",
                              f"{m['cron_cpu_s_per_1000_pings']:.3f}", f"{m['cron_cpu_percent']:.0f} %"]])
            lines.append("")

    if (s := summaries.get("webhooks")) and s["median"]:
        m = s["median"]
        lines += [f"**Webhooks** ({_num(m['heartbeats'], 0)} heartbeats flipped by {_num(m['flips_per_s'], 0)} "
                  f"pings/s, {_num(m['endpoints_n'], 0)} endpoint(s) subscribed to every event, each answering "
                  f"after {m['delay_ms']:g} ms; {_num(m['window_s'], 0)} s window after warm-up)", ""]
        rows = []
        for key in sorted({k.split(".")[1] for k in m if k.startswith("endpoints.")}, key=int):
            e = {k.split(".", 2)[2]: v for k, v in m.items() if k.startswith(f"endpoints.{key}.")}
            rates = [run["endpoints"][key]["events_per_s"] for run in s["runs"] if key in run.get("endpoints", {})]
            rows.append([f"/hook/{key}",
                         f"{_num(statistics.median(rates), 0)} ({_num(min(rates), 0)}–{_num(max(rates), 0)})",
                         _num(m['offered_events_per_s'], 0), _num(e.get('backlog_at_warmup_end'), 0),
                         _num(e.get('backlog_at_window_end'), 0),
                         "n/a" if m.get('drain_s') is None else f"{m['drain_s']:.1f} s",
                         _num(e.get('connections'), 0), _num(m.get('writer_jobs_per_event'), 3),
                         f"{m['cpu_percent']:.0f} %", f"{m['helper_cpu_percent']:.0f} %",
                         f"{m['others_cpu_percent']:.0f} %"])
        lines += _table(["endpoint", "events/s received (min–max)", "events/s offered", "backlog after warm-up",
                         "backlog at window end", "drain after", "connections", "writer jobs/event",
                         "daemon CPU", "load+receiver CPU", "other CPU"], rows)
        lines.append("")

    if (s := summaries.get("metrics")) and s["median"]:
        m = s["median"]
        lines += [f"**Metrics** (one /metrics scrape of {_num(m['monitors'], 0)} synthetic monitors in process, "
                  f"{_num(m['samples'], 0)} samples, {m['bytes_mb']:.0f} MB; lateness of a Runner ticking 1,000 "
                  f"keys meanwhile, {_num(m['window_s'], 0)} s idle vs {_num(m['window_s'], 0)} s of scrapes)", ""]
        lines += _table(["first (after start-up warm)", "cold (nothing cached)", "new checks", "warm", "async (chunked)", "scrapes in window", "lateness p99 idle",
                         "p99 scraping", "max idle", "max scraping", "prometheus-client µs/sample"],
                        [[f"{m['scrape_first_s']:.3f} s", f"{m['scrape_cold_s']:.3f} s", f"{m['scrape_churn_s']:.3f} s",
                          f"{m['scrape_warm_s']:.3f} s", f"{m['scrape_async_s']:.3f} s",
                          _num(m['scrapes_in_window'], 0), f"{m['idle_lateness_p99_ms']:.1f} ms",
                          f"{m['scrape_lateness_p99_ms']:.1f} ms", f"{m['idle_lateness_max_ms']:.1f} ms",
                          f"{m['scrape_lateness_max_ms']:.1f} ms", _num(m['prometheus_client_us_per_sample'], 2)]])
        lines.append("")
        if "gzip_level1_s" in m:
            lines += [f"gzip of one scrape (`Accept-Encoding: gzip`): level 1 (sent) {m['gzip_level1_s']:.3f} s, "
                      f"{m['gzip_level1_mb']:.1f} MB; level 6 {m['gzip_level6_s']:.3f} s, {m['gzip_level6_mb']:.1f} MB", ""]

    if (s := summaries.get("pages")) and s["median"]:
        m = s["median"]
        lines += [f"**Status page** (/status/<slug>: {_num(m['resources'], 0)} resources, {_num(m['days'], 0)} days "
                  f"of history, {m['page_kb']:.0f} kB of HTML; {_num(m['monitors'], 0)} HTTP monitors at "
                  f"{_num(m['interval_s'], 0)} s meanwhile; aiohttp client, {_num(m['window_s'], 0)} s windows)", ""]
        lines += _table(["warm p50", "p99", "304 p99", "cold p50", "cold p99", "requests/s", "load p99",
                         "daemon CPU", "client CPU", "lateness p99 idle", "under load", "delta"],
                        [[f"{m['warm_p50_ms']:.1f} ms", f"{m['warm_p99_ms']:.1f} ms", f"{m['etag_p99_ms']:.1f} ms",
                          f"{m['cold_p50_ms']:.0f} ms", f"{m['cold_p99_ms']:.0f} ms", _num(m['rps'], 0),
                          f"{m['load_p99_ms']:.0f} ms", f"{m['daemon_cpu_percent']:.0f} %",
                          f"{m['client_cpu_percent']:.0f} %", f"{m['idle_lateness_p99_ms']:.1f} ms",
                          f"{m['load_lateness_p99_ms']:.1f} ms", f"{m['lateness_p99_delta_ms']:.1f} ms"]])
        lines.append("")

    if (s := summaries.get("regions")) and s["median"]:
        lines += _regions_table(s)

    target_rows = []
    for s in summaries.values():
        for t in s["targets"]:
            value = t["value"]
            shown = "n/a" if value is None else (f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000
                                                 else f"{value:,.0f}")
            result = t["result"] if not smoke or t["result"] == "n/a" else f"({t['result']})"
            target_rows.append([t["label"], shown, f"{t['op']} {t['limit']:,}", result])
    if target_rows:
        lines += ["**Targets**" + (" (not judged in a smoke run)" if smoke else ""), ""]
        lines += _table(["target", "measured", "limit", "result"], target_rows)
        lines.append("")

    errors = [f"- {name}: {error}" for name, s in summaries.items() for error in s["errors"]]
    if errors:
        lines += ["**Errors**", "", *errors, ""]
    return "\n".join(lines)


def _regions_table(s: dict) -> list[str]:
    m = s["median"]
    lines = [f"**Regions, the scale-out on one host** ({_num(m['monitors'], 0)} HTTP monitors at "
             f"{_num(m['interval_s'], 0)} s: {_num(m['offered_per_s'], 0)} probes/s offered, above either side's "
             f"ceiling in a full run; {_num(m['window_s'], 0)} s windows after warm-up; A free, then A and the "
             f"targets on one CPU; CPU in % of one core, µs per probe stored)", ""]
    rows = []
    for side, label in (("alone", "A: one daemon, free"), ("alone_one_core", "A: one daemon, one core"),
                        ("agents", "B: daemon + 2 agents")):
        if f"{side}.rate" not in m:
            continue
        parts = ", ".join(f"{name} {_num(m.get(f'{side}.processes.{name}.cpu_percent'), 0)} %"
                          for name in ("daemon", "agent-1", "agent-2")
                          if f"{side}.processes.{name}.cpu_percent" in m)
        rows.append([label, _num(m[f"{side}.rate"], 0), f"{m[f'{side}.executed_pct']:.1f} %",
                     _num(m[f"{side}.cpu_us_per_probe"]), f"{m[f'{side}.cpu_percent']:.0f} % ({parts})",
                     f"{m[f'{side}.targets_cpu_percent']:.0f} % ({_num(m[f'{side}.targets_cpu_us_per_probe'])} µs)",
                     f"{m[f'{side}.others_cpu_percent']:.0f} %", f"{m[f'{side}.machine_busy_percent']:.0f} %",
                     _num(m[f"{side}.failed"], 0)])
    lines += _table(["side", "probes/s", "of offered", "CPU µs/probe (side)", "side CPU (per process)",
                     "targets CPU (µs/probe)", "other CPU", "machine busy", "failed"], rows)
    runs = s["runs"]
    one_core = ", ".join(f"{run['rate_ratio']:.2f}" for run in runs)
    free = ", ".join(f"{run['free_rate_ratio']:.2f}" for run in runs)
    lines += ["", f"B ÷ A on one core, probes/s: {m['rate_ratio']:.2f} (runs {one_core}); B ÷ A free: "
              f"{m['free_rate_ratio']:.2f} (runs {free}); B ÷ A free, CPU per probe: {m['cpu_per_probe_ratio']:.2f}; "
              f"B ÷ A free as the CPU per probe allows on a machine doing nothing else (A one core, B every core "
              f"less the targets'): {m['cpu_bound_ratio']:.2f}", ""]
    return lines
