"""A group's daily bar from its members' (pages/group_bars.py): the mean of the
uptime of the members that have a figure that day, no data when none has; the
level from that mean; incidents as counted for the group; maintenance when it
touched any member."""

from __future__ import annotations

import pytest

from upstatd.pages.bars import Bar, level
from upstatd.pages.group_bars import group_bars, mean


def bar(uptime: float | None, maintenance: bool = False, incidents: int = 0) -> Bar:
    return Bar("2027-01-13", uptime, level(uptime), incidents, maintenance)


@pytest.mark.parametrize("members, incidents, expected", [
    pytest.param([100.0, 50.0], 0, (75.0, "bad", False), id="mean-of-two"),
    pytest.param([100.0, None], 0, (100.0, "good", False), id="one-not-yet-made"),
    pytest.param([None, None], 0, (None, "none", False), id="none-has-a-figure"),
    pytest.param([99.95, 99.85, 100.0], 0, (pytest.approx(99.9333, abs=1e-3), "good", False), id="three"),
    pytest.param([99.0, 98.0], 2, (98.5, "poor", False), id="incidents-the-groups"),
    pytest.param([100.0], 0, (100.0, "good", False), id="one-member"),
])
def test_a_days_bar_is_its_members_mean(members, incidents, expected):
    [made] = group_bars([[bar(uptime, incidents=5)] for uptime in members], [incidents])
    assert (made.uptime, made.level, made.maintenance) == expected
    assert made.incidents == incidents and made.date == "2027-01-13"


def test_maintenance_on_any_member_marks_the_day():
    [quiet, marked] = group_bars([[bar(100.0), bar(100.0, maintenance=True)], [bar(100.0), bar(None)]])
    assert (quiet.maintenance, marked.maintenance, marked.incidents) == (False, True, 0)


@pytest.mark.parametrize("figures, expected", [([], None), ([None], None), ([90.0, None, 100.0], 95.0)])
def test_the_span_is_the_mean_of_the_figures_there_are(figures, expected):
    assert mean(figures) == expected


def test_no_members_no_bars():
    assert group_bars([]) == []
