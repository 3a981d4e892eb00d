"""`/agent/v1/`: where agents pull their assignment and push their results
(docs/regions.md, regions/protocol.py), on the daemon's listener.

Outside /api: an agent token (`upsa_…`) is good here and nowhere else, an API
token is refused here. The token is looked up in memory (regions/service.py), so
a flood of bad tokens costs no database read. Errors are the API's envelope.
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from aiohttp import web

from upstatd.api import errors
from upstatd.api.bodies import read_body, respond
from upstatd.api.errors import ApiError
from upstatd.ids import new_id
from upstatd.regions import protocol
from upstatd.store.writer import Unavailable

log = structlog.get_logger("upstatd.api")

REGIONS = web.AppKey("regions", Any)  # the RegionService


def add_routes(app: web.Application, regions: Any) -> None:
    app[REGIONS] = regions
    app.router.add_get(protocol.ASSIGNMENT_PATH, assignment)
    app.router.add_post(protocol.RESULTS_PATH, results)


def _agent(request: web.Request) -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise errors.unauthenticated("no agent token: send the header Authorization: Bearer upsa_...")
    agent = request.app[REGIONS].authenticate(secret)
    if agent is None:
        raise errors.unauthenticated("this agent token is not valid here (an agent's own token, from the "
                                     "config's regions: or POST /api/agents, is needed; API tokens are not)")
    return agent


async def assignment(request: web.Request) -> web.StreamResponse:
    request_id = new_id("req")
    try:
        agent = _agent(request)
        regions = request.app[REGIONS]
        regions.contact(agent, regions.clock.time())
        etag, body = regions.document(agent)
    except ApiError as failure:
        return respond(failure.body(request_id), failure.status, headers={"Request-Id": request_id,
                                                                          **failure.headers})
    headers = {"ETag": etag, "Cache-Control": "no-store", "Request-Id": request_id}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


async def results(request: web.Request) -> web.StreamResponse:
    request_id = new_id("req")
    headers = {"Cache-Control": "no-store", "Request-Id": request_id}
    try:
        agent = _agent(request)
        regions = request.app[REGIONS]
        raw = await read_body(request)
        try:
            batch = msgspec.json.decode(raw, type=protocol.Push)
        except msgspec.ValidationError as exc:
            raise errors.invalid(f"not a batch of results: {exc}") from None
        except msgspec.DecodeError as exc:
            raise errors.invalid(f"the body is not JSON: {exc}") from None
        if len(batch.results) > protocol.MAX_BATCH:
            raise errors.invalid(f"at most {protocol.MAX_BATCH} results per push, got {len(batch.results)}",
                                 "results")
        if regions.writer.failing:
            raise errors.unavailable("the database cannot be written now: keep the results and push them again")
        answer = await regions.push(agent, batch)
    except Unavailable:
        failure = errors.unavailable("the database cannot be written now: keep the results and push them again")
        return respond(failure.body(request_id), failure.status, headers=headers)
    except ApiError as failure:
        return respond(failure.body(request_id), failure.status, headers={**headers, **failure.headers})
    return web.Response(body=msgspec.json.encode(answer), content_type="application/json", headers=headers)
