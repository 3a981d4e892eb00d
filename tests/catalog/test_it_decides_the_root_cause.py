"""The pure root-cause core (catalog/causes.py): an incident opening is caused by
the root of a dependency's open incident (nearest first, up the chain), held while
a dependency fails unconfirmed, or alone; a held one is grouped when a root opens;
a root's resolution hands each incident it caused to another root or holds it."""

from __future__ import annotations

import pytest

from upstatd.catalog.causes import ALONE, Tracked, Verdict, at_hold_end, decide, on_root_resolved, settle
from upstatd.catalog.graph import Graph

# web and worker need api; api needs postgres and redis
GRAPH = Graph({"web": ("api",), "worker": ("api",), "api": ("postgres", "redis")},
              {"web": "web", "worker": "worker", "api": "api", "postgres": "postgres", "redis": "redis"},
              {"mon_web": "web", "mon_worker": "worker", "mon_api": "api", "mon_pg": "postgres",
               "mon_redis": "redis", "hbt_backup": "postgres"})
NOW, HOLD = 1_000_000, 30_000
PG = Tracked("inc_pg", "open")
REDIS = Tracked("inc_redis", "open")


@pytest.mark.parametrize(("subject", "incidents", "failing", "expected"), [
    ("mon_web", {}, (), ALONE),                                                  # nothing else fails
    ("mon_lone", {"mon_pg": PG}, (), ALONE),                                     # in no service
    ("mon_pg", {"mon_api": Tracked("inc_api", "open")}, (), ALONE),              # a dependent is no cause
    ("mon_api", {"mon_pg": PG}, (), Verdict(caused_by="inc_pg")),                # a direct dependency
    ("mon_web", {"mon_pg": PG}, (), Verdict(caused_by="inc_pg")),                # through api
    ("mon_api", {"mon_pg": Tracked("inc_pg", "acknowledged")}, (), Verdict(caused_by="inc_pg")),
    ("mon_api", {"mon_pg": Tracked("inc_pg", "resolved")}, (), ALONE),           # resolved: no cause
    ("mon_web", {"mon_api": Tracked("inc_api", "open", "inc_pg"), "mon_pg": PG}, (),
     Verdict(caused_by="inc_pg")),                                               # api's root, not api
    ("mon_web", {"mon_api": Tracked("inc_api", "open"), "mon_pg": PG}, (),
     Verdict(caused_by="inc_api")),                                              # nearest first: api
    ("mon_api", {"mon_pg": PG, "mon_redis": REDIS}, (), Verdict(caused_by="inc_pg")),  # the edges' order
    ("mon_api", {"hbt_backup": Tracked("inc_backup", "open")}, (), Verdict(caused_by="inc_backup")),
    ("mon_api", {}, ("mon_pg",), Verdict(held_until=NOW + HOLD)),                # failing, unconfirmed
    ("mon_web", {}, ("mon_redis",), Verdict(held_until=NOW + HOLD)),             # two levels down
    ("mon_web", {"mon_api": Tracked("inc_api", "open", held=True)}, (),
     Verdict(held_until=NOW + HOLD)),                                            # api itself waits
    ("mon_web", {"mon_api": Tracked("inc_api", "open", held=True), "mon_pg": PG}, (),
     Verdict(caused_by="inc_pg")),                                               # past the waiting api
    ("mon_api", {"mon_pg": PG}, ("mon_redis",), Verdict(caused_by="inc_pg")),    # a root beats a hold
    ("mon_api", {}, ("mon_web",), ALONE),                                        # a failing dependent
])
def test_an_opening_incident_is_caused_held_or_alone(subject, incidents, failing, expected):
    assert decide(GRAPH, subject, incidents, failing, NOW, HOLD) == expected


@pytest.mark.parametrize(("incidents", "failing", "expected"), [
    ({"mon_api": Tracked("inc_api", "open", held=True), "mon_pg": PG}, (), [("inc_api", "inc_pg")]),
    ({"mon_api": Tracked("inc_api", "open", held=True)}, ("mon_pg",), []),      # still unconfirmed
    ({"mon_api": Tracked("inc_api", "open", held=True), "mon_web": Tracked("inc_web", "open", held=True),
      "mon_pg": PG}, (), [("inc_api", "inc_pg"), ("inc_web", "inc_pg")]),
    ({"mon_api": Tracked("inc_api", "resolved", held=True), "mon_pg": PG}, (), []),   # recovered meanwhile
    ({"mon_api": Tracked("inc_api", "open", "inc_pg"), "mon_pg": PG}, (), []),      # grouped already
])
def test_a_root_opening_groups_the_waiting(incidents, failing, expected):
    assert settle(GRAPH, incidents, failing) == expected


@pytest.mark.parametrize(("incidents", "expected"), [
    ({"mon_api": Tracked("inc_api", "open", held=True)}, None),                  # alerted on its own
    ({"mon_api": Tracked("inc_api", "open", held=True), "mon_redis": REDIS}, "inc_redis"),
])
def test_the_end_of_a_hold_groups_or_releases(incidents, expected):
    assert at_hold_end(GRAPH, "mon_api", incidents, ()) == expected


def test_a_root_resolving_holds_what_it_caused_or_hands_it_over():
    incidents = {"mon_pg": Tracked("inc_pg", "resolved"), "mon_redis": REDIS,
                 "mon_api": Tracked("inc_api", "open", "inc_pg"), "mon_web": Tracked("inc_web", "open", "inc_pg"),
                 "mon_worker": Tracked("inc_worker", "resolved", "inc_pg")}          # recovered with it
    assert on_root_resolved(GRAPH, "inc_pg", incidents, (), NOW, HOLD) == [
        ("inc_api", Verdict(caused_by="inc_redis")), ("inc_web", Verdict(caused_by="inc_redis"))]
    del incidents["mon_redis"]
    assert on_root_resolved(GRAPH, "inc_pg", incidents, (), NOW, HOLD) == [
        ("inc_api", Verdict("inc_pg", NOW + HOLD)), ("inc_web", Verdict("inc_pg", NOW + HOLD))]
