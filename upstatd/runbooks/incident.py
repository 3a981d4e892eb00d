"""Which runbooks an incident shows, pure: the targets its subject reaches, in the
order a responder should read them.

An incident's runbooks come from its monitor or heartbeat first, then the service
it belongs to, then that service's dependencies nearest first (the database under
the api is where a cascading failure usually starts), then the escalation policy
it is paged under. A runbook linked to several of these is shown once, where it
comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from upstatd.catalog.graph import Graph


def linked_targets(subject_id: str | None, graph: Graph, policy_id: str | None = None) -> list[str]:
    """The ids (mon_/hbt_, svc_..., esc_) whose runbooks the incident of `subject_id` shows."""
    targets: list[str] = []
    if subject_id:
        targets.append(subject_id)
        service = graph.members.get(subject_id)
        if service is not None:
            targets.append(service)
            targets.extend(graph.dependencies(service))
    if policy_id:
        targets.append(policy_id)
    return targets


def ordered_runbooks(targets: Iterable[str], links: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    """(runbook id, the target it came through) for each runbook once, in the order of
    `targets`; `links` maps a target id to the runbooks linked to it (in their order)."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for target in targets:
        for runbook_id in links.get(target, ()):
            if runbook_id not in seen:
                seen.add(runbook_id)
                out.append((runbook_id, target))
    return out
