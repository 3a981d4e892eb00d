"""`regions` on the dialects' monitors (Better Stack, UptimeGuard): pure.

Their region names are taken as upstatd's region names, as given (Better Stack's
"us", "eu", "as", "au" are regions when the config declares them so); a name the
config does not declare is a 422 naming `regions`. A monitor shows the regions it
names (`[]`: the daemon's own region only, docs/regions.md).
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET

from upstatd.config.regions import declared_regions
from upstatd.errors import Invalid


def declared(config: Any) -> tuple[str, ...]:
    """Every region a monitor may name (config/regions.declared_regions)."""
    return declared_regions(config.server.region, config.regions)


def checked(names: Any, known: tuple[str, ...]) -> list[str]:
    """A dialect's `regions` as upstatd's: a non-empty list of declared names, each once."""
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise Invalid("regions must be a non-empty list of region names", "regions")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise Invalid(f"no region named {', '.join(repr(name[:40]) for name in unknown)}; the regions are "
                      f"{', '.join(known) or 'none'} (server.region and regions: in the config)", "regions")
    return list(dict.fromkeys(names))


def passed(names: Any, known: tuple[str, ...]) -> dict[str, list[str]]:
    """UptimeGuard's `regions` as the monitor body's field: {"regions": [...]} (checked as
    above); {} when not given."""
    if names is UNSET:
        return {}
    return {"regions": checked(names, known)}


def shown(row: Any) -> list[str]:
    """The regions a stored monitor names; [] for one probed from the daemon's own region only
    (as these dialects answered before regions existed)."""
    return list(row.spec.get("regions") or ())
