"""Password tries on a status page's form, counted per client address and page
in fixed windows (TRIES a WINDOW_SECONDS by default), so that the scrypt
check can neither be used to guess a password quickly nor to keep the CPU
busy. A try is counted before it is checked (tries sent together cannot slip
past the count) and forgotten when it was right.

An IPv6 client counts by its /64, the smallest block a provider gives one
host. The table holds at most `cap` keys: when full, windows that ended are
dropped, then the oldest keys (an attacker with that many addresses gets no
further per address than any other). Pure: the caller gives the time.
"""

from __future__ import annotations

import ipaddress
import itertools
import math

TRIES = 10
WINDOW_SECONDS = 60
CAP = 10_000


def client_key(address: str | None) -> str:
    """The address the tries count against: itself, or an IPv6 address's /64."""
    try:
        parsed = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return address or "?"
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


class Attempts:
    def __init__(self, tries: int = TRIES, window: float = WINDOW_SECONDS, cap: int = CAP) -> None:
        self.tries, self.window, self.cap = tries, window, cap
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}  # key -> (window index, tries in it)

    def take(self, key: tuple[str, str], now: float) -> int:
        """Count one try of `key` (client, page) at `now` (s); -> 0 when it may be checked, else
        the seconds to wait (not counted)."""
        index = math.floor(now / self.window)
        entry = self._counts.get(key)
        used = entry[1] if entry is not None and entry[0] == index else 0
        if used >= self.tries:
            return max(1, math.ceil((index + 1) * self.window - now))
        if entry is None and len(self._counts) >= self.cap:
            self._make_room(index)
        self._counts.pop(key, None)  # re-inserted last: the dict's order is the age of each key's last try
        self._counts[key] = (index, used + 1)
        return 0

    def forget(self, key: tuple[str, str]) -> None:
        """The right password: its tries no longer count."""
        self._counts.pop(key, None)

    def __len__(self) -> int:
        return len(self._counts)

    def _make_room(self, index: int) -> None:
        self._counts = {key: entry for key, entry in self._counts.items() if entry[0] == index}
        excess = len(self._counts) - self.cap + 1
        if excess > 0:  # a tenth at once: a flood of new addresses does not pay this on every try
            for key in list(itertools.islice(self._counts, max(excess, self.cap // 10))):
                del self._counts[key]
