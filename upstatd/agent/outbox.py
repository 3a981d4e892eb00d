"""Results on their way to the daemon: in memory while it answers, in the spool file
(agent/spool.py) once a push failed, sent oldest first and dropped once acked.

The probe path only appends a tuple (`add`): numbering and encoding happen here, one
batch at a time, so a result costs the probe path next to nothing while the daemon
is reachable. Order, oldest first, is: the file, then `numbered` (sent at least once,
not acked), then `fresh` (never sent). Seq numbers are given in that order, so they
increase with it and the daemon's "ignore seq <= what I acked" is exactly once.

One push at a time (`push_once`); the caller (agent/process.py) paces them: one per
push_interval, or at once when a whole batch waits (`full`), so an agent's rate is not
capped at max_batch a second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from itertools import islice

import msgspec
import structlog

import upstatd
from upstatd.agent.client import DaemonClient, Rejected, Throttled, Unreachable
from upstatd.agent.spool import RESERVE, Spool
from upstatd.probes.result import ProbeResult
from upstatd.regions.protocol import MAX_BATCH, AgentScheduler, Push, PushAnswer, PushedResult, pushed

log = structlog.get_logger("upstatd.agent")

MEMORY_LIMIT = 100_000  # results held in memory before the rest goes to the file anyway

_ENCODE = msgspec.json.Encoder().encode
_DECODE = msgspec.json.Decoder(PushedResult).decode


class Outbox:
    def __init__(self, spool: Spool, client: DaemonClient, time) -> None:
        self.spool = spool
        self.client = client
        self._time = time                 # the daemon's wall time now (our clock + offset)
        self.max_batch = MAX_BATCH
        self.fresh: deque[tuple[str, float | None, float, ProbeResult]] = deque()
        self.numbered: deque[PushedResult] = deque()
        self.unreachable_since: float | None = None   # an episode of failed pushes, for its log lines
        self.dropping = False                         # an episode of the spool's bounds dropping
        self.rejected: str | None = None              # the daemon's last refusal of a push (logged once)
        self.last_push_at: float | None = None        # our monotonic time of the last answered push
        self.pushes = 0
        self.retry_after = 0.0                         # s: a 429's Retry-After, for the pacing
        self.sent = 0                                  # results the daemon acknowledged (accepted or not)
        self.full = asyncio.Event()                    # a whole batch of fresh results waits
        self.scheduler: Callable[[], AgentScheduler | None] = lambda: None  # sent with each push

    def add(self, monitor_id: str, slot: float | None, at: float, result: ProbeResult) -> None:
        """The probe path: keep the result for the next push."""
        self.fresh.append((monitor_id, slot, at, result))
        if len(self.fresh) >= self.max_batch:
            self.full.set()

    @property
    def waiting(self) -> int:
        return self.spool.results + len(self.numbered) + len(self.fresh)

    async def push_once(self, monotonic: float) -> PushAnswer | None:
        """Send the oldest batch (an empty one is the keep-alive). Returns the daemon's
        answer, or None when the batch was kept (the daemon away, throttling or refusing:
        logged here). TokenRefused goes to the caller."""
        await self._reserve()
        if self.spool.results:
            batch = [_DECODE(body) for body in await self.spool.first(self.max_batch)]
        else:
            self._number(self.max_batch - len(self.numbered))
            batch = list(islice(self.numbered, self.max_batch))
        push = Push(spool=self.spool.id, version=upstatd.__version__, spool_results=self.waiting - len(batch),
                    spool_bytes=self.spool.bytes, spool_dropped=self.spool.dropped, scheduler=self.scheduler(),
                    results=tuple(batch))
        try:
            answer = await self.client.push(push)
        except Unreachable as exc:
            if self.unreachable_since is None:
                self.unreachable_since = self._time()
                log.warning("agent.daemon_unreachable", error=str(exc), detail="probing goes on; results spooled")
            await self.spill()
            return None
        except Throttled as exc:
            log.warning("agent.push_throttled", error=str(exc), retry_after=exc.retry_after)
            self.retry_after = exc.retry_after
            await self._spill_if_big()
            return None
        except Rejected as exc:
            if str(exc) != self.rejected:  # once per refusal, not once a second
                self.rejected = str(exc)
                log.error("agent.push_rejected", error=str(exc), results=len(batch), detail="the batch is kept")
            await self._spill_if_big()
            return None
        await self._acked(answer, len(batch))
        self.last_push_at = monotonic
        self.pushes += 1
        return answer

    async def _acked(self, answer: PushAnswer, sent: int) -> None:
        acked = answer.acked_seq
        self.rejected = None
        await self.spool.ack(acked)
        numbered = self.numbered
        while numbered and numbered[0].seq <= acked:
            numbered.popleft()
        self.sent += sent
        for refusal in answer.refused[:10]:  # the daemon's reasons, a few a push
            log.warning("agent.result_refused", seq=refusal.seq, monitor_id=refusal.monitor_id, reason=refusal.reason)
        if self.unreachable_since is not None:
            log.info("agent.daemon_back", away_seconds=round(self._time() - self.unreachable_since, 1),
                     spooled=self.spool.results, dropped=self.spool.dropped)
            self.unreachable_since = None
        if self.dropping and not self.spool.results:
            self.dropping = False

    def _number(self, count: int) -> None:
        """Give seq numbers to up to `count` fresh results (in arrival order)."""
        fresh, numbered, spool = self.fresh, self.numbered, self.spool
        for _ in range(min(max(0, count), len(fresh))):
            monitor_id, slot, at, result = fresh.popleft()
            numbered.append(pushed(spool.take_seq(), monitor_id, slot, at, result))

    async def _reserve(self) -> None:
        """Enough seq numbers reserved in the file for what is waiting (a write per RESERVE)."""
        while self.spool.available < len(self.fresh) + RESERVE // 2:
            await self.spool.extend()

    async def _spill_if_big(self) -> None:
        if len(self.numbered) + len(self.fresh) > MEMORY_LIMIT:
            await self.spill()

    async def spill(self) -> None:
        """Everything in memory into the file (a failed push, or the agent stopping);
        also applies the file's age bound."""
        await self._reserve()
        self._number(len(self.fresh))
        rows = [(result.seq, result.at, _ENCODE(result)) for result in self.numbered]
        dropped = await self.spool.append(rows, self._time())
        self.numbered.clear()
        if dropped and not self.dropping:
            self.dropping = True
            log.warning("agent.spool_dropped", dropped=dropped, max_size=self.spool.max_size,
                        max_age=self.spool.max_age, detail="the spool is full: the oldest results go first")
