"""What agents and the daemon say to each other under /agent/v1/ (docs/regions.md):
the assignment an agent pulls and the batches of results it pushes.

Both sides decode with these Structs, so a field is named once. Times are wall
seconds of the daemon's clock (`server_time`, in an assignment and in each push
answer, lets an agent measure its offset: agent/client.py `refine_offset`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd.probes.result import ProbeResult

PREFIX = "/agent/v1"
ASSIGNMENT_PATH = f"{PREFIX}/assignment"
RESULTS_PATH = f"{PREFIX}/results"
TOKEN_PREFIX = "upsa_"          # agent tokens; API tokens are upst_
PUSH_INTERVAL = 1.0             # s: at most one push per interval (an empty one is a keep-alive)
MAX_BATCH = 500                 # results per push
MAX_ERROR_MESSAGE = 1000        # characters of a pushed error message the daemon keeps


class AgentRef(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    region: str


class AssignedMonitor(msgspec.Struct, frozen=True, kw_only=True):
    id: str                          # mon_…
    monitor: dict[str, Any]          # the config file's form: what monitors.specs.build takes
    since: float | None = None       # the grid slots this agent owns: since <= slot < until
    until: float | None = None


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["assignment"] = "assignment"
    agent: AgentRef
    server_time: float
    push_interval: float = PUSH_INTERVAL
    max_batch: int = MAX_BATCH
    monitors: tuple[AssignedMonitor, ...] = ()


# Bounds a pushed result is decoded within (a 400 beyond): what a probe can say, and no
# value the daemon's arithmetic cannot take (an infinite time or latency).
Seconds = Annotated[float, msgspec.Meta(ge=0, le=1e11)]          # wall seconds, before the year 5000
Milliseconds = Annotated[float, msgspec.Meta(ge=0, le=86_400_000)]  # a day


class PushedResult(msgspec.Struct, frozen=True, kw_only=True):
    seq: Annotated[int, msgspec.Meta(ge=1)]  # the spool's number of this result: the daemon ignores a repeat
    monitor_id: Annotated[str, msgspec.Meta(max_length=100)]
    slot: Seconds | None             # the grid slot probed; None: a re-check off the grid
    at: Seconds                      # when the probe ended
    ok: bool
    latency_ms: Milliseconds
    status_code: Annotated[int, msgspec.Meta(ge=0, le=999)] | None = None
    error_kind: str | None = None    # probes/result.ERROR_KINDS (another is refused, see regions/service.py)
    error_message: str | None = None
    phases: dict[str, Milliseconds] = {}
    details: dict[str, Any] | None = None

    def probe_result(self) -> ProbeResult:
        message = self.error_message
        if message is not None and len(message) > MAX_ERROR_MESSAGE:
            message = message[:MAX_ERROR_MESSAGE]
        return ProbeResult(self.ok, self.latency_ms, self.status_code, self.error_kind, message,
                           dict(self.phases), dict(self.details or {}))


def pushed(seq: int, monitor_id: str, slot: float | None, at: float, result: ProbeResult) -> PushedResult:
    return PushedResult(seq=seq, monitor_id=monitor_id, slot=slot, at=at, ok=result.ok,
                        latency_ms=result.latency_ms, status_code=result.status_code,
                        error_kind=result.error_kind, error_message=result.error_message,
                        phases=result.phases, details=result.details or None)


Count = Annotated[int, msgspec.Meta(ge=0, le=2**62)]


class AgentScheduler(msgspec.Struct, frozen=True, kw_only=True):
    """The agent's scheduler at its latest push (counters since the agent started), as the
    daemon's /healthz shows its own: an agent at its ceiling skips slots."""
    monitors: Count                  # assigned and armed
    in_flight: Count
    max_in_flight: Count
    launched: Count                  # probes started
    skipped_late: Count              # slots passed over: the agent's loop was behind
    skipped_busy: Count              # the monitor's previous probe still ran
    skipped_capacity: Count          # max_in_flight reached
    lateness_p99_ms: Milliseconds    # of the recent timer firings


class Push(msgspec.Struct, frozen=True, kw_only=True):
    spool: str                       # the agent spool's random id: `seq` counts within it
    version: str
    spool_results: int = 0           # results waiting in the agent beyond this batch
    spool_bytes: int = 0
    spool_dropped: int = 0           # results dropped by the spool's bounds since the agent started
    scheduler: AgentScheduler | None = None
    results: tuple[PushedResult, ...] = ()


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    monitor_id: str
    reason: str


class PushAnswer(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["results"] = "results"
    acked_seq: int                   # everything up to it is stored or refused for good: drop it
    accepted: int
    duplicates: int
    refused: tuple[Refusal, ...] = ()
    assignment: str                  # the current assignment's ETag: pull again when it differs
    server_time: float | None = None  # the daemon's clock as it answers: the agent checks its offset by it
