"""Request limits: per token per minute and per hour, and all tokens together
per minute (`api.rate_limit` in the config; 1,000 / 10,000 / 5,000 by default).

Fixed windows aligned to the clock (a minute window ends at :00 seconds, an
hour window on the hour, UTC): one counter per window, O(1) per request. A
client may burst up to twice a limit across a window boundary; that is the
price of fixed windows and fine for a guard against runaway scripts.

`X-RateLimit-Limit` / `-Remaining` / `-Reset` describe the window closest to
running out (fewest requests left, then the earliest reset); `Reset` is the
Unix second at which that window ends. A request refused with 429 is not
counted, and says in `Retry-After` how many seconds until every full window
has ended. Requests without a valid token are never counted (they could
otherwise use up everyone's global budget); their answers carry the global
window's headers as they stand (`peek`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from upstatd.api.errors import ApiError

GLOBAL = "*"  # the key of the all-tokens window; token ids never look like this


class Limits(NamedTuple):
    per_token_minute: int = 1000
    per_token_hour: int = 10_000
    global_minute: int = 5000


class Status(NamedTuple):
    limit: int
    remaining: int
    reset: int  # Unix seconds: the end of the window


class RateLimiter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits  # replaced on reload
        # (who, window size in s) -> (window index, requests counted in it)
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}
        self._pruned_at = 0  # minute index of the last sweep of stale windows

    def _windows(self, token_id: str) -> tuple[tuple[str, int, int, str], ...]:
        limits = self.limits
        return ((token_id, 60, limits.per_token_minute, "this token's limit of {} requests a minute"),
                (token_id, 3600, limits.per_token_hour, "this token's limit of {} requests an hour"),
                (GLOBAL, 60, limits.global_minute, "the limit of {} requests a minute for all tokens together"))

    def _used(self, who: str, size: int, index: int) -> int:
        entry = self._counts.get((who, size))
        return entry[1] if entry is not None and entry[0] == index else 0

    def hit(self, token_id: str, now: float) -> Status:
        """Count one request of `token_id`; raise a 429 ApiError (not counting it) when a window is full."""
        self._prune(now)
        windows = self._windows(token_id)
        current = []
        for who, size, limit, label in windows:
            index = math.floor(now / size)
            current.append((who, size, index, limit, self._used(who, size, index), label))
        full = [(limit, (index + 1) * size, label) for who, size, index, limit, used, label in current
                if used >= limit]
        if full:
            # Wait for the full window that ends last; describe that one.
            limit, reset, label = max(full, key=lambda item: item[1])
            wait = max(1, math.ceil(reset - now))
            raise ApiError(429, "rate_limit_error", "rate_limited",
                           f"too many requests: {label.format(limit)} is used up; try again in {wait} s",
                           headers={"Retry-After": str(wait), **headers(Status(limit, 0, reset))})
        statuses = []
        for who, size, index, limit, used, _ in current:
            self._counts[(who, size)] = (index, used + 1)
            statuses.append(Status(limit, limit - used - 1, (index + 1) * size))
        return min(statuses, key=lambda status: (status.remaining, status.reset))

    def peek(self, now: float) -> Status:
        """The global window as it stands, counting nothing: for answers to requests without a valid token."""
        limit = self.limits.global_minute
        index = math.floor(now / 60)
        return Status(limit, max(0, limit - self._used(GLOBAL, 60, index)), (index + 1) * 60)

    def _prune(self, now: float) -> None:
        """Once a minute, forget windows that have ended (tokens that went quiet)."""
        minute = math.floor(now / 60)
        if minute == self._pruned_at:
            return
        self._pruned_at = minute
        self._counts = {key: entry for key, entry in self._counts.items()
                        if entry[0] >= math.floor(now / key[1])}


def headers(status: Status) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(status.limit), "X-RateLimit-Remaining": str(status.remaining),
            "X-RateLimit-Reset": str(status.reset)}
