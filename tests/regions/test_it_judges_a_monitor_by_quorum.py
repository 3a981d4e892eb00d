"""A monitor's state comes from a quorum over its fresh regions
(upstatd.regions.quorum, docs/regions.md "Quorum").

Acceptance: "a target blocked from one region only stays up with majority
quorum (that region shows down) and no incident opens; blocked from two
regions, an incident opens naming both." judge() is pure: these tables give it
the fresh regions' states and read the monitor's, None meaning "keeps its
state". One region must behave exactly as the one-region daemon does.
"""

from __future__ import annotations

import itertools

import pytest

from upstatd.regions.quorum import (MAJORITY, Quorum, fresh_until, is_fresh, judge, needed, parse_quorum,
                                    seen_degraded, seen_down)

NAMES = {"p": "pending", "u": "up", "g": "degraded", "d": "down"}
ANY, ALL = Quorum("any"), Quorum("all")


def count(n: int) -> Quorum:
    return Quorum("count", n)


def regions(letters: str) -> dict[str, str]:
    """"udp" -> {"r0": "up", "r1": "down", "r2": "pending"}"""
    return {f"r{i}": NAMES[letter] for i, letter in enumerate(letters)}


# -- needed -------------------------------------------------------------------------------

NEEDED_CASES = [
    # quorum, fresh regions, need
    (MAJORITY, 0, 0), (MAJORITY, 1, 1), (MAJORITY, 2, 2), (MAJORITY, 3, 2), (MAJORITY, 4, 3), (MAJORITY, 5, 3),
    (ANY, 0, 0), (ANY, 1, 1), (ANY, 3, 1), (ANY, 5, 1),
    (ALL, 0, 0), (ALL, 1, 1), (ALL, 3, 3), (ALL, 5, 5),
    (count(1), 3, 1), (count(2), 3, 2), (count(3), 3, 3),
    (count(2), 1, 1), (count(5), 3, 3), (count(4), 0, 0),      # capped at the fresh regions
]


@pytest.mark.parametrize("quorum, fresh, need", NEEDED_CASES,
                         ids=[f"{q.value()}-of-{n}" for q, n, _ in NEEDED_CASES])
def test_needed(quorum, fresh, need):
    assert needed(quorum, fresh) == need


# -- judge --------------------------------------------------------------------------------

JUDGE_CASES = [
    # fresh regions' states, quorum, monitor state (None: keeps its own)
    # no fresh region: keep
    ("", MAJORITY, None), ("", ANY, None), ("", ALL, None), ("", count(2), None),
    # the examples of docs/regions.md
    ("uud", MAJORITY, "up"),                  # the down region shows down, the monitor stays up
    ("udd", MAJORITY, "down"),
    ("udp", MAJORITY, None),
    ("ud", ALL, "up"),
    ("d", count(2), "down"),                  # the other region's agent is lost: need = min(2, 1)
    # rule 1: down when need regions are down
    ("ddd", MAJORITY, "down"), ("dd", MAJORITY, "down"),
    ("uudd", MAJORITY, "up"),                 # majority of 4 is 3: two down regions are not enough ("udddd", MAJORITY, "down"),
    ("uuudd", MAJORITY, "up"), ("uuddd", MAJORITY, "down"),
    ("uud", ANY, "down"), ("uuuud", ANY, "down"), ("pud", ANY, "down"),
    ("udd", ALL, "up"), ("ddd", ALL, "down"), ("dddp", ALL, None), ("ddddd", ALL, "down"),
    ("uud", count(1), "down"), ("udd", count(2), "down"), ("uud", count(2), "up"), ("udd", count(3), "up"),
    # rule 2: degraded when need regions are down or degraded (down alone short of it)
    ("ugg", MAJORITY, "degraded"), ("ugd", MAJORITY, "degraded"), ("ggd", MAJORITY, "degraded"),
    ("uug", MAJORITY, "up"), ("gg", MAJORITY, "degraded"), ("ug", MAJORITY, "up"),
    ("uug", ANY, "degraded"), ("uugd", ANY, "down"),          # down beats degraded
    ("ggd", ALL, "degraded"), ("ggu", ALL, "up"), ("ggp", ALL, None),
    ("uuggd", MAJORITY, "degraded"), ("uuugd", MAJORITY, "up"),
    ("ugd", count(2), "degraded"), ("uug", count(2), "up"),
    # rule 3: up when down could not reach the quorum even if every undecided region went down
    ("uuu", MAJORITY, "up"), ("uup", MAJORITY, "up"), ("upp", MAJORITY, None), ("ppp", MAJORITY, None),
    ("uu", MAJORITY, "up"),
    ("up", MAJORITY, "up"), ("ug", ALL, "up"),    # majority of 2 is 2: one up region rules down out ("uuupp", MAJORITY, "up"), ("uupp", MAJORITY, "up"),
    ("uuu", ANY, "up"), ("uup", ANY, None), ("uug", ALL, "up"), ("upp", ALL, "up"), ("pp", ALL, None),
    ("uup", count(2), "up"), ("upp", count(2), None), ("upp", count(3), "up"),
    # rule 4: undecided while regions are pending
    ("udp", ANY, "down"), ("ugp", MAJORITY, None), ("udpp", MAJORITY, None), ("uuddp", MAJORITY, None),
    ("uuppp", ALL, "up"), ("pppp", ANY, None),
]


@pytest.mark.parametrize("letters, quorum, monitor", JUDGE_CASES,
                         ids=[f"{c[0] or 'none'}-{c[1].value()}" for c in JUDGE_CASES])
def test_judge(letters, quorum, monitor):
    assert judge(regions(letters), quorum) == monitor


QUORUMS = (MAJORITY, ANY, ALL, count(1), count(2), count(3), count(7))


@pytest.mark.parametrize("quorum", QUORUMS, ids=[str(q.value()) for q in QUORUMS])
@pytest.mark.parametrize("state", ["pending", "up", "degraded", "down"])
def test_one_region_is_the_one_region_daemon(state, quorum):
    """One region: the monitor takes its state; pending keeps the monitor's own."""
    assert judge({"local": state}, quorum) == (None if state == "pending" else state)


@pytest.mark.parametrize("quorum", QUORUMS, ids=[str(q.value()) for q in QUORUMS])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_every_region_decided_decides_the_monitor(n, quorum):
    """With no region pending the monitor is never left undecided, and it is never
    worse than need regions see it, nor better than the best region."""
    order = ("up", "degraded", "down")
    for combination in itertools.product("ugd", repeat=n):
        states = regions("".join(combination))
        monitor = judge(states, quorum)
        assert monitor in order, combination
        need = needed(quorum, n)
        at_least_as_bad = sum(order.index(s) >= order.index(monitor) for s in states.values())
        assert at_least_as_bad >= need or monitor == "up", combination
        assert order.index(monitor) >= min(order.index(s) for s in states.values()), combination


def test_region_names_do_not_matter():
    assert judge({"eu-west": "down", "local": "up", "us-east": "down"}, MAJORITY) == "down"
    assert judge({"zz": "up", "aa": "down", "mm": "up"}, MAJORITY) == "up"


def test_an_unknown_region_state_is_refused():
    with pytest.raises(ValueError, match="'maintenance'"):
        judge({"local": "maintenance"}, MAJORITY)


# -- the regions an incident names -------------------------------------------------------

def test_the_regions_that_saw_it():
    states = {"us-east": "down", "local": "up", "eu-west": "down", "ap-south": "degraded", "sa": "pending"}
    assert seen_down(states) == ("eu-west", "us-east")
    assert seen_degraded(states) == ("ap-south",)
    assert seen_down({"local": "up"}) == () == seen_degraded({})


# -- parse_quorum ------------------------------------------------------------------------

@pytest.mark.parametrize("value, quorum", [
    ("majority", MAJORITY), ("any", ANY), ("all", ALL), (1, count(1)), (2, count(2)), (12, count(12)),
])
def test_parse_quorum(value, quorum):
    assert parse_quorum(value) == quorum
    assert parse_quorum(quorum.value()) == quorum


@pytest.mark.parametrize("value, shown", [
    ("x", "'x'"), ("Majority", "'Majority'"), ("", "''"), ("2", "'2'"), (0, "0"), (-1, "-1"),
    (True, "True"), (False, "False"), (2.0, "2.0"), (None, "None"), (["any"], "['any']"),
    ("m" * 100, "'" + "m" * 36 + "..."),
])
def test_parse_quorum_refuses(value, shown):
    with pytest.raises(ValueError) as raised:
        parse_quorum(value)
    assert str(raised.value) == (f"quorum must be majority, any, all or a number of regions (1 or more), "
                                 f"not {shown}")


# -- freshness ---------------------------------------------------------------------------

T0 = 1_700_000_000.0


@pytest.mark.parametrize("last, now, fresh", [
    (None, T0, False),                 # no result yet
    (T0, T0, True),
    (T0, T0 + 129.9, True),            # interval 60, timeout 10: counts for 130 s
    (T0, T0 + 130.0, False),
    (T0, T0 + 1000.0, False),
])
def test_a_region_counts_while_its_latest_result_is_fresh(last, now, fresh):
    assert fresh_until(T0, 60.0, 10.0) == T0 + 130.0
    assert is_fresh(last, now, 60.0, 10.0) is fresh
