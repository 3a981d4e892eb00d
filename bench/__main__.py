"""python -m bench [--smoke] [--runs N] [--only SCENARIO[,...]] [--out DIR] [--ping-client auto|wrk|python]

Exit status: 0 all targets met (or a smoke run without errors), 1 a target
missed (never in --smoke), 2 an error (also in --smoke).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import peer, pings, report
from bench.proc import REPO, BenchError
from bench.scenarios import FULL, SCENARIOS, SMOKE, Context
from bench.targets import Targets


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="everything scaled down to about a minute; fails only on errors")
    parser.add_argument("--runs", type=int, default=None, help="runs per scenario (default 3; 1 with --smoke)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated scenarios (default all: {','.join(SCENARIOS)})")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="where the JSON goes")
    parser.add_argument("--ping-client", choices=("auto", "wrk", "python"), default="auto",
                        help="what drives the pings scenario (auto: wrk when installed or installable, "
                             "else the Python client)")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    if args.runs is None:
        args.runs = 1 if args.smoke else 3
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = SMOKE if args.smoke else FULL
    # Packages are installed only by a full run as root; a smoke run (CI) uses what is there.
    install = not args.smoke and os.geteuid() == 0
    workdir = Path(tempfile.mkdtemp(prefix="upstatd-bench-"))
    summaries: dict[str, dict] = {}
    machine: dict = {}
    try:
        with Targets(workdir, install) as targets:
            blackbox, peer_note = (peer.available(install) if "probe-cost" in args.only else (None, "not run"))
            wrk, client_note = (pings.client(install, args.ping_client) if "pings" in args.only
                                else (None, "not run"))
            machine = report.machine({"http_target": targets.http.description,
                                      "peer": peer_note if blackbox else f"n/a ({peer_note})",
                                      "icmp": "yes" if targets.icmp else "left out: no raw or ping socket",
                                      "ping_client": client_note})
            log(f"machine: {report.describe(machine)}")
            ctx = Context(settings, targets, workdir, blackbox, log, wrk)
            for name in args.only:
                runs, errors = [], []
                for run in range(args.runs):
                    log(f"{name}: run {run + 1} of {args.runs}")
                    began = time.monotonic()
                    try:
                        targets.check()
                        runs.append(SCENARIOS[name](ctx))
                    except BenchError as exc:
                        errors.append(str(exc))
                        log(f"{name}: ERROR {exc}")
                        break
                    except Exception as exc:  # a bug or a broken daemon: report it, go on with the others
                        errors.append(f"{type(exc).__name__}: {exc}")
                        log(f"{name}: ERROR\n{traceback.format_exc()}")
                        break
                    log(f"{name}: run {run + 1} done in {time.monotonic() - began:.0f}s")
                summary = report.summarize(name, runs, errors, machine, args.smoke,
                                           dataclasses.asdict(settings))
                summaries[name] = summary
                log(f"{name}: wrote {report.write_json(summary, args.out)}")
    except BenchError as exc:
        log(f"ERROR {exc}")
        summaries.setdefault("setup", {"errors": [str(exc)], "targets": [], "median": {}})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if machine:
        print(report.markdown(summaries, machine, args.runs, args.smoke))
    errors = [e for s in summaries.values() for e in s["errors"]]
    missed = [t for s in summaries.values() for t in s["targets"] if t["result"] == "MISS"]
    if errors:
        log(f"{len(errors)} error(s)")
        return 2
    if missed and not args.smoke:
        log(f"{len(missed)} target(s) missed: " + ", ".join(t["label"] for t in missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
