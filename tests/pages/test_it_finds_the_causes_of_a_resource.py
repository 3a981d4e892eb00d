"""pages/affected.py, pure: a resource's causes are the down services its
subjects' services need, directly or through others, nearest first, each
once; the words beside it and under the banner; which members' states the
page's cache must watch."""

from __future__ import annotations

import pytest

from upstatd.catalog.graph import Graph
from upstatd.pages import affected
from upstatd.pages.affected import Cause, CauseLine

# web -> api -> postgres, api -> redis, worker -> api; billing alone
GRAPH = Graph(
    needs={"web": ("api",), "worker": ("api",), "api": ("postgres", "redis")},
    names={s: s for s in ("web", "worker", "api", "postgres", "redis", "billing")},
    members={"mon_web": "web", "mon_worker": "worker", "mon_api": "api", "mon_pg": "postgres",
             "hbt_redis": "redis", "mon_billing": "billing"})
PG = Cause("postgres", "postgres", "down")
REDIS = Cause("redis", "redis", "down")
API = Cause("api", "api", "down")


@pytest.mark.parametrize("states, subjects, expected", [
    ({"postgres": "down"}, ["mon_api"], [PG]),                          # directly
    ({"postgres": "down"}, ["mon_web"], [PG]),                          # through api
    ({"postgres": "down", "api": "down"}, ["mon_web"], [API, PG]),      # nearest first
    ({"postgres": "down", "redis": "down"}, ["mon_api"], [PG, REDIS]),  # in the edges' order
    ({"postgres": "down"}, ["mon_web", "mon_worker"], [PG]),            # a group's members: once
    ({"postgres": "down"}, ["mon_pg"], []),                             # its own service is not its cause
    ({"postgres": "down"}, ["mon_billing"], []),                        # not needed
    ({"web": "down"}, ["mon_api"], []),                                 # a dependent is not a cause
    ({"postgres": "degraded"}, ["mon_api"], []),                        # only down counts
    ({"postgres": "paused"}, ["mon_api"], []),
    ({"postgres": "down"}, ["mon_nobody"], []),                         # in no service
    ({}, ["mon_web"], []),
])
def test_the_causes(states, subjects, expected):
    assert affected.causes(GRAPH, states, subjects) == expected


@pytest.mark.parametrize("state, found, words", [
    ("operational", [PG], "Affected: postgres is down"),
    ("degraded", [PG], "Affected: postgres is down"),
    ("operational", [PG, REDIS], "Affected: postgres and redis are down"),
    ("operational", [API, PG, REDIS], "Affected: api, postgres and redis are down"),
    ("down", [PG], "Down — caused by postgres"),
    ("down", [PG, REDIS], "Down — caused by postgres and redis"),
    ("maintenance", [PG], None),
    ("unknown", [PG], None),
    ("operational", [], None),
])
def test_the_words_beside_a_resource(state, found, words):
    assert affected.note(state, found) == words


def test_the_banner_names_each_cause_once_with_its_members_on_the_page():
    found = affected.lines([("API", ["api"], [PG, REDIS]), ("Website", ["web"], [PG]),
                            ("Database", ["postgres"], []), ("Website again", ["web"], [PG])])
    assert found == [CauseLine("postgres", "down", ["Database"], ["API", "Website", "Website again"]),
                     CauseLine("redis", "down", [], ["API"])]
    assert [affected.line(cause) for cause in found] == [
        "postgres (Database) is down; API, Website, Website again affected", "redis is down; API affected"]


def test_the_cache_watches_the_members_of_the_services_needed():
    assert affected.watched(GRAPH, ["mon_web"]) == ["mon_api", "mon_pg", "hbt_redis"]
    assert affected.watched(GRAPH, ["mon_pg", "mon_billing", "mon_nobody"]) == []
