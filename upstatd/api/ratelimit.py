"""Request limits: per token per minute and per hour, and all tokens together
per minute. Fixed windows aligned to the clock: cheap, and `X-RateLimit-Reset`
is simply the end of the window that is closest to running out."""

from __future__ import annotations

import math
from typing import NamedTuple

from upstatd.api.errors import ApiError


class Limits(NamedTuple):
    per_token_minute: int = 1000
    per_token_hour: int = 10_000
    global_minute: int = 5000


class Status(NamedTuple):
    limit: int
    remaining: int
    reset: int  # Unix seconds


class RateLimiter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._counts: dict[tuple[str, int, int], int] = {}  # (who, window size, window index) -> hits

    def hit(self, token_id: str, now: float) -> Status:
        """Count one request; raise a 429 ApiError when a window is full."""
        windows = ((token_id, 60, self.limits.per_token_minute),
                   (token_id, 3600, self.limits.per_token_hour),
                   ("*", 60, self.limits.global_minute))
        statuses = []
        for who, size, limit in windows:
            index = math.floor(now / size)
            used = self._counts.get((who, size, index), 0)
            statuses.append((limit - used, Status(limit, max(0, limit - used - 1), (index + 1) * size)))
        tightest = min(statuses)[1]
        full = [status for remaining, status in statuses if remaining <= 0]
        if full:
            reset = max(status.reset for status in full)
            raise ApiError(429, "rate_limit_error", "rate_limited",
                           f"too many requests; try again in {max(1, math.ceil(reset - now))} s",
                           headers={"Retry-After": str(max(1, math.ceil(reset - now))),
                                    **headers(Status(full[0].limit, 0, reset))})
        for who, size, _ in windows:
            key = (who, size, math.floor(now / size))
            self._counts[key] = self._counts.get(key, 0) + 1
        self._forget(now)
        return tightest

    def _forget(self, now: float) -> None:
        if len(self._counts) > 10_000:
            hour = math.floor(now / 3600)
            self._counts = {k: v for k, v in self._counts.items()
                            if k[1] == 60 and k[2] >= math.floor(now / 60) or k[1] == 3600 and k[2] >= hour}


def headers(status: Status) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(status.limit), "X-RateLimit-Remaining": str(status.remaining),
            "X-RateLimit-Reset": str(status.reset)}
