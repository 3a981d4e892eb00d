"""The pure service graph: nearest-first walks both ways, the cycle a new edge
would close (named as a path), and a service's state from its members'."""

from __future__ import annotations

import pytest

from upstatd.catalog import graph

# web and worker need api; api needs postgres and redis; postgres needs disk
NEEDS = {"web": ["api"], "worker": ["api"], "api": ["postgres", "redis"], "postgres": ["disk"]}


@pytest.mark.parametrize(("service", "expected"), [
    ("web", ["api", "postgres", "redis", "disk"]),
    ("api", ["postgres", "redis", "disk"]),
    ("disk", []),
    ("nobody", []),
])
def test_dependencies_are_nearest_first(service, expected):
    assert graph.dependencies(NEEDS, service) == expected


@pytest.mark.parametrize(("service", "expected"), [
    ("disk", ["postgres", "api", "web", "worker"]),
    ("redis", ["api", "web", "worker"]),
    ("web", []),
])
def test_dependents_are_nearest_first(service, expected):
    assert graph.dependents(NEEDS, service) == expected


@pytest.mark.parametrize(("service", "depends_on", "expected"), [
    ("disk", "web", ["disk", "web", "api", "postgres", "disk"]),   # disk needs web: the loop through api
    ("api", "web", ["api", "web", "api"]),
    ("redis", "redis", ["redis", "redis"]),
    ("web", "redis", None),          # a second path down is no cycle
    ("disk", "redis", None),
])
def test_a_new_dependency_names_the_cycle_it_closes(service, depends_on, expected):
    assert graph.cycle(NEEDS, service, depends_on) == expected


def test_a_whole_graph_is_checked_at_once():
    assert graph.first_cycle(NEEDS) is None
    found = graph.first_cycle({**NEEDS, "disk": ["worker"]})
    assert found is not None and found[0] == found[-1] and {"disk", "worker", "api", "postgres"} <= set(found)


@pytest.mark.parametrize(("states", "expected"), [
    ([], "unknown"),
    (["pending", "new"], "unknown"),
    (["up", "up"], "up"),
    (["up", "late"], "degraded"),
    (["up", "degraded", "down"], "down"),
    (["maintenance", "paused"], "maintenance"),
    (["paused", "new"], "paused"),
    (["up", "maintenance"], "up"),
])
def test_a_service_is_its_worst_member(states, expected):
    assert graph.state(states) == expected


def test_the_graph_names_its_members():
    catalog = graph.Graph({"web": ("api",)}, {"web": "Web", "api": "API"}, {"mon_a": "web", "hbt_b": "api"})
    assert catalog.members_of("web") == ["mon_a"] and catalog.dependencies("web") == ["api"]
    assert catalog.dependents("api") == ["web"]
