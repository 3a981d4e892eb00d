"""The `incidents` section: how incidents are opened from failures."""

from __future__ import annotations

from typing import Any

import msgspec

from upstatd.config.check import Path, Problems, block, duration, take


class IncidentSettings(msgspec.Struct, frozen=True):
    reopen_window: float = 300.0   # a failure this soon after its incident resolved reopens it
    # a dependent's alerts wait this long for a failing dependency to be confirmed down (catalog/grouping.py)
    dependency_hold: float = 30.0


INCIDENTS_FIELDS = {"reopen_window": duration(min=0, max=7 * 86400),
                    "dependency_hold": duration(min=0, max=3600)}


def parse_incidents(value: Any, path: Path, problems: Problems) -> IncidentSettings:
    section = block(value, path, problems, INCIDENTS_FIELDS)
    if not section:
        return IncidentSettings()
    defaults = IncidentSettings()
    return IncidentSettings(
        take(section, "reopen_window", INCIDENTS_FIELDS["reopen_window"], path, problems, defaults.reopen_window),
        take(section, "dependency_hold", INCIDENTS_FIELDS["dependency_hold"], path, problems,
             defaults.dependency_hold))
