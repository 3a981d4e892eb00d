"""Which daily bars a resource's maintenance spans mark (bars.daily): a day is
marked when a span overlaps it ([start, end): one ending at midnight leaves
the next day alone), whatever the spans' order, overlaps or length."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from upstatd.monitors.uptime import timeline
from upstatd.pages.bars import daily

UTC = ZoneInfo("UTC")
DAY, H = 86_400_000, 3_600_000
NOW = 1_800_000_000_000 - 1_800_000_000_000 % DAY + 12 * H   # noon UTC; day 9 of 10 is today
D = NOW - 12 * H - 9 * DAY                                    # midnight of the oldest day (day 0)


def marked(spans) -> list[int]:
    line = timeline([(NOW - 20 * DAY, "up")], [])
    return [i for i, bar in enumerate(daily(line, NOW, UTC, maintenance=spans, days=10)) if bar.maintenance]


@pytest.mark.parametrize("spans, days", [
    ([], []),
    ([(D + 2 * DAY + H, D + 2 * DAY + 2 * H)], [2]),
    ([(D + 3 * DAY - H, D + 3 * DAY)], [2]),                           # ends at midnight: not day 3
    ([(D + 3 * DAY, D + 3 * DAY + 1)], [3]),                           # starts at midnight
    ([(D - 5 * DAY, D + 1)], [0]),                                     # from before the oldest day
    ([(D + DAY + H, D + 4 * DAY + H)], [1, 2, 3, 4]),                  # longer than a day
    ([(D + 8 * DAY, D + 8 * DAY + H), (D + DAY, D + DAY + H)], [1, 8]),  # out of order
    ([(D + DAY, D + 6 * DAY), (D + 2 * DAY, D + 2 * DAY + H), (D + 7 * DAY + H, D + 7 * DAY + 2 * H)],
     [1, 2, 3, 4, 5, 7]),                                              # one inside a longer one
    ([(D + DAY, D + 2 * DAY), (D + 2 * DAY, D + 2 * DAY + H)], [1, 2]),  # touching
    ([(NOW + H, NOW + 2 * H)], []),                                    # later today: not yet
    ([(D - 3 * DAY, D - DAY)], []),                                    # before the bars
])
def test_it_marks_the_days_a_span_overlaps(spans, days):
    assert marked(spans) == days
