"""A group's daily bars and uptime on a status page, from its members'. Pure.

The rule: a day's uptime for a group is the mean of its members' uptime that
day, over the members that have a figure that day (that existed, were not
paused, were checked or pinged); no member with a figure: no data. Each member
counts the same, whatever its interval. A day's incidents are the distinct
incidents of any member that started that day (counted by the caller: one
incident of two members is one); maintenance marks the day when it touched any
member. The group's uptime over the span is the mean of its members' figures
over it, by the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from upstatd.pages.bars import Bar, level


def mean(figures: Sequence[float | None]) -> float | None:
    """The mean of the figures there are; None when there is none."""
    known = [figure for figure in figures if figure is not None]
    return sum(known) / len(known) if known else None


def group_bars(members: Sequence[Sequence[Bar]], incidents: Sequence[int] = ()) -> list[Bar]:
    """One bar a day from the members' bars (each the same days, oldest first); `incidents`:
    the group's incidents a day, in the same order (none given: 0 each)."""
    if not members:
        return []
    out = []
    for index, day in enumerate(zip(*members)):
        uptime = mean([bar.uptime for bar in day])
        out.append(Bar(day[0].date, uptime, level(uptime), incidents[index] if incidents else 0,
                       any(bar.maintenance for bar in day)))
    return out
