"""The MCP server: the SDK's low-level `Server` with two handlers over the tool table.

- tools/list offers only the tools whose route's permission the caller's token
  holds: a read-only token sees no write tool.
- tools/call re-checks: a tool the token may not call is answered exactly as an
  unknown one (it is not there, for this token), so listing and calling agree.
- Arguments decode into the route's own Struct; a bad one, or the command's
  refusal, is a tool error (`isError`) whose text and structured content are the
  API's error envelope, in the API's words. A write is refused while the
  database cannot take it and waits at most as long as an API write does.
- Every call, refused ones too, is recorded as an `mcp.tool_called` event naming
  the token (id and name), the tool, the argument names (never their values:
  they may hold secrets such as a monitor's auth header) and whether it succeeded.

The caller's token is authenticated by the transport (upstatd/mcp/http.py) and
handed in on the request's ASGI scope.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
import msgspec
import structlog
from mcp.server.lowlevel.server import Server
from mcp.shared.exceptions import MCPError

import upstatd
from upstatd.api import errors, explain
from upstatd.api.server import WRITE_PATIENCE, failure_of
from upstatd.ids import new_id
from upstatd.mcp import INSTRUCTIONS
from upstatd.mcp.tools import BY_NAME, TOOLS, Call, Tool, input_schema
from upstatd.store.writer import patient

log = structlog.get_logger("upstatd.mcp")

EVENT = "mcp.tool_called"
TOKEN = "upstatd_token"  # the key of the authenticated Token in the ASGI scope's state
_encoder = msgspec.json.Encoder()
NAME_MAX, NAMES_MAX = 100, 50  # what an event keeps of a client's tool and argument names


def build_server(context: Any) -> Server:
    """`context`: the API's ApiContext (commands, read database, writer, clock, bus)."""

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        token = token_of(ctx)
        return types.ListToolsResult(tools=[describe(tool) for tool in offered(context, token)])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        token = token_of(ctx)
        arguments = params.arguments or {}
        tool = BY_NAME.get(params.name)
        if tool is None or not context.allows(token, *tool.permission):
            await record(context, token, params.name, arguments, "unknown_tool")
            raise MCPError(types.INVALID_PARAMS, f"unknown tool '{params.name}' (tools/list names the tools this "
                                                 f"token may call)")
        result = await invoke(context, token, tool, arguments)
        await record(context, token, tool.name, arguments, None if not result.is_error else
                     result.structured_content["error"]["code"])
        return result

    return Server("upstatd", version=upstatd.__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool)


def token_of(ctx: Any) -> Any:
    request = ctx.request
    token = request.scope.get("state", {}).get(TOKEN) if request is not None else None
    if token is None:  # the transport authenticates before any message: this is a wiring bug
        raise MCPError(types.INTERNAL_ERROR, "no authenticated token")
    return token


def offered(context: Any, token: Any) -> list[Tool]:
    return [tool for tool in TOOLS if context.allows(token, *tool.permission)]


def describe(tool: Tool) -> types.Tool:
    resource, action = tool.permission
    return types.Tool(name=tool.name, description=f"{tool.description} (needs {resource}:{action})",
                      input_schema=input_schema(tool),
                      annotations=types.ToolAnnotations(read_only_hint=not tool.writes, destructive_hint=False,
                                                        open_world_hint=False))


async def invoke(context: Any, token: Any, tool: Tool, arguments: dict[str, Any]) -> types.CallToolResult:
    request_id = new_id("req")
    try:
        call = Call(context, token, *parse(tool, arguments))
        if not tool.writes:
            answer = await tool.run(call)
        else:
            if context.writer.failing:
                raise errors.unavailable("the database cannot be written now (is the disk full?)")
            with patient(WRITE_PATIENCE):
                answer = await tool.run(call)
    except Exception as exc:
        failure = failure_of(exc, request_id, method="MCP", path=f"tools/call {tool.name}")
        return result(failure.body(request_id), error=True)
    return result(msgspec.to_builtins(answer))


def parse(tool: Tool, arguments: dict[str, Any]) -> tuple[tuple[str, ...], Any]:
    """(the path's ids, the rest as the route's Struct), or the API's 400/422 for them."""
    ids = []
    for name in tool.ids:
        value = arguments.get(name)
        if not isinstance(value, str) or not value:
            raise errors.invalid(f"{name} is required: the {name.removesuffix('_id').replace('_', ' ')}'s id, "
                                 f"a string", name)
        ids.append(value)
    rest = {name: value for name, value in arguments.items() if name not in tool.ids}
    schema = tool.arguments
    if schema is None:
        for name in rest:
            raise errors.invalid(f"{name} is not an argument of {tool.name} (it takes: "
                                 f"{', '.join(tool.ids) or 'none'})", name)
        return tuple(ids), None
    try:
        return tuple(ids), msgspec.convert(rest, schema, strict=False)
    except msgspec.ValidationError as exc:
        raise explain.validation_error(exc, schema, rest, query=False) from None


def result(body: dict[str, Any], error: bool = False) -> types.CallToolResult:
    text = _encoder.encode(body).decode()
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=body,
                                is_error=error)


async def record(context: Any, token: Any, tool: str, arguments: dict[str, Any], error: str | None) -> None:
    """The `mcp.tool_called` event, committed before the answer goes out (an audit trail that
    a crash cannot lose). A database that cannot take it (refused at once while the writer
    fails, or not started within an API write's patience) is logged, and the answer goes out:
    reads go on answering while the disk is full, as over the API."""
    if error == "storage_unavailable":  # the call's own write just waited out the database: no second wait
        log.warning("mcp.event_not_recorded", tool=tool, token_id=token.id, error="the database is unavailable")
        return
    bus = context.bus
    obj = {"id": token.id, "object": "token", "name": token.name}
    extra = {"tool": tool[:NAME_MAX], "ok": error is None, "error": error,  # names are the client's: bounded
             "arguments": [name[:NAME_MAX] for name in sorted(arguments)[:NAMES_MAX]]}
    try:
        with patient(WRITE_PATIENCE):
            event = await context.writer.run(lambda conn: bus.record(conn, EVENT, obj, context.clock.time(), extra))
    except Exception as exc:
        log.warning("mcp.event_not_recorded", tool=tool, token_id=token.id, error=str(exc))
        return
    bus.publish(event)

