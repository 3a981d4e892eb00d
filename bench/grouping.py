"""What root-cause grouping costs an incident's opening on the probe path:
`python -m bench.grouping [--smoke]`.

Not a `make bench` scenario: it times in this process the work
`GroupingService.before` does when a member of a service opens an incident
(`_tracked`, the open incidents of members, then `causes.decide`), over a
catalog of SERVICES services with MEMBERS monitors each (every monitor in a
service: the worst case), each service needing the next two of its block of
five. Two cases: every dependency healthy (the usual opening), and a storm
(the block's last service down: each opening finds its root). Each figure is
the median of RUNS runs over an opening of every fifth service; the target is
the same as for the probe path's other per-event work: well under a
millisecond, so a storm of a thousand openings costs the loop under a second.
Exits 1 when a target is missed (not with --smoke).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from types import SimpleNamespace

from upstatd.catalog import causes
from upstatd.catalog.graph import Graph
from upstatd.catalog.grouping import GroupingService
from upstatd.store.incidents import Incident

RUNS = 7
TARGET_MS = 0.5   # per opening, median, in either case


def catalog(services: int, members: int) -> tuple[Graph, dict[str, Incident]]:
    needs = {f"svc_{i}": tuple(f"svc_{j}" for j in (i + 1, i + 2) if j < (i // 5 + 1) * 5)
             for i in range(services)}
    graph = Graph(needs, {f"svc_{i}": f"service {i}" for i in range(services)},
                  {f"mon_{i}_{k}": f"svc_{i}" for i in range(services) for k in range(members)})
    latest = {subject: Incident(f"inc_{subject}", "resolved", "critical", "timeout", "system", subject, None,
                                subject, 0, 0, 0) for subject in graph.members}
    return graph, latest


def opening_ms(graph: Graph, latest: dict[str, Incident], services: int) -> float:
    grouping = SimpleNamespace(graph=graph, incidents=SimpleNamespace(
        open_by_subject={subject: incident for subject, incident in latest.items() if incident.status == "open"}))
    openings = range(0, services, 5)
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for i in openings:
            subject = f"mon_{i}_0"
            tracked = GroupingService._tracked(grouping)  # type: ignore[arg-type]
            tracked.pop(subject, None)
            causes.decide(graph, subject, tracked, (), 0, 30_000)
        runs.append((time.perf_counter() - start) / len(openings) * 1000)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.grouping", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="100 services x 10, no target judged")
    args = parser.parse_args()
    services, members = (100, 10) if args.smoke else (1000, 10)
    graph, latest = catalog(services, members)
    healthy = opening_ms(graph, latest, services)
    for i in range(4, services, 5):  # each block's last service down: the root of the block
        subject = f"mon_{i}_0"
        latest[subject] = Incident(f"inc_{subject}", "open", "critical", "timeout", "system", subject, None,
                                   subject, 0, 0, 0)
    storm = opening_ms(graph, latest, services)
    missed = [name for name, value in (("healthy", healthy), ("storm", storm)) if value > TARGET_MS]
    print(f"| grouping: one opening, {services} services x {members} monitors | ms (median of {RUNS}) | target |")
    print("|---|---|---|")
    print(f"| dependencies healthy | {healthy:.3f} | <= {TARGET_MS} |")
    print(f"| a storm (its root open) | {storm:.3f} | <= {TARGET_MS} |")
    return 1 if missed and not args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
