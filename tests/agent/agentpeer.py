"""A stand-in for the daemon's side of /agent/v1/ on loopback (docs/regions.md,
"Protocol"): it serves an assignment with an ETag (304 to a matching If-None-Match),
takes pushes as the daemon does (a repeat by seq is a duplicate, refusals for the
monitors it is told to refuse, `acked_seq`, the current ETag in the answer), records
what it got, and can be stopped and started again on the same port (what it took is
kept across, as the daemon's database keeps it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import msgspec
from aiohttp import web

from loopback import closed_port
from upstatd.regions.protocol import ASSIGNMENT_PATH, RESULTS_PATH, Push, PushAnswer, PushedResult, Refusal

TOKEN = "upsa_test_token_0123456789"


def monitor(key: str, url: str, kind: str = "http", interval: float = 1.0, timeout: float = 0.5,
            **more) -> dict:
    """A monitor in the config file's form, as the assignment carries it."""
    return {"key": key, "name": key, "type": kind, "url": url, "interval": interval, "timeout": timeout,
            "confirmation": {"failures": 2, "successes": 1, "recheck": 1.0}, **more}


@dataclass
class Pushed:
    at: float            # our monotonic time it arrived
    push: Push


@dataclass
class AgentPeer:
    monitors: list[dict] = field(default_factory=list)   # [{"id", "monitor", "since", "until"}]
    region: str = "eu-west"
    skew: float = 0.0                                       # server_time = our wall time + skew
    push_interval: float = 0.2
    max_batch: int = 500
    status: int | None = None                               # answer every request with it (401, 500, 400)
    refuse: set[str] = field(default_factory=set)           # monitor ids whose results are refused
    answered_status: int = 0                                # requests answered with `status`
    lose_answers: int = 0                                   # this many pushes with results: taken, then 503
    version: int = 1
    pulls: list[tuple[str | None, int]] = field(default_factory=list)  # (If-None-Match, status)
    pushes: list[Pushed] = field(default_factory=list)
    results: list[PushedResult] = field(default_factory=list)          # accepted, in arrival order
    duplicates: int = 0
    acked: dict[str, int] = field(default_factory=dict)                 # spool id -> acked seq
    port: int = field(default_factory=closed_port)
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def etag(self) -> str:
        return f'"a{self.version}"'

    def assign(self, monitors: list[dict], **settings) -> None:
        """A new assignment (a new ETag)."""
        self.monitors = monitors
        for name, value in settings.items():
            setattr(self, name, value)
        self.version += 1

    def assignment(self) -> dict:
        return {"object": "assignment", "agent": {"id": "agt_test1", "name": f"{self.region}-1", "region": self.region},
                "server_time": time.time() + self.skew, "push_interval": self.push_interval,
                "max_batch": self.max_batch,
                "monitors": [{"since": None, "until": None, **item} for item in self.monitors]}

    async def start(self) -> AgentPeer:
        app = web.Application()
        app.router.add_get(ASSIGNMENT_PATH, self._assignment)
        app.router.add_post(RESULTS_PATH, self._results)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.status is not None:
            self.answered_status += 1
            return web.json_response({"error": {"type": "api_error", "message": f"told to answer {self.status}"}},
                                     status=self.status)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": {"type": "authentication_error", "message": "bad agent token"}},
                                     status=401)
        return None

    async def _assignment(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        asked = request.headers.get("If-None-Match")
        if asked == self.etag:
            self.pulls.append((asked, 304))
            return web.Response(status=304, headers={"ETag": self.etag})
        self.pulls.append((asked, 200))
        return web.json_response(self.assignment(), headers={"ETag": self.etag})

    async def _results(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        push = msgspec.json.decode(await request.read(), type=Push)
        self.pushes.append(Pushed(time.monotonic(), push))
        acked = self.acked.get(push.spool, 0)
        accepted, duplicates, refusals = 0, 0, []
        for result in push.results:
            if result.seq <= acked:
                duplicates += 1
                continue
            if result.monitor_id in self.refuse:
                refusals.append(Refusal(seq=result.seq, monitor_id=result.monitor_id,
                                        reason=f"monitor {result.monitor_id} is not probed from region {self.region}"))
            else:
                self.results.append(result)
                accepted += 1
            acked = result.seq
        self.acked[push.spool] = acked
        self.duplicates += duplicates
        if self.lose_answers and push.results:  # committed, but the answer never reaches the agent
            self.lose_answers -= 1
            return web.json_response({"error": {"type": "api_error", "message": "answer lost"}}, status=503)
        answer = PushAnswer(acked_seq=acked, accepted=accepted, duplicates=duplicates, refused=tuple(refusals),
                            assignment=self.etag, server_time=time.time() + self.skew)
        return web.Response(body=msgspec.json.encode(answer), content_type="application/json")

    def by_monitor(self) -> dict[str, list[PushedResult]]:
        out: dict[str, list[PushedResult]] = {}
        for result in self.results:
            out.setdefault(result.monitor_id, []).append(result)
        return out
