"""The MCP server (Model Context Protocol, the official `mcp` SDK): upstatd's tools
for AI agents, an adapter beside upstatd/api.

- tools.py: the tool table, each tool the twin of an API route (its permission,
  its arguments' Struct, its command and serializer);
- server.py: the SDK's low-level Server over that table: listing by permission,
  calling, the `mcp.tool_called` event;
- http.py: streamable HTTP at /mcp on the daemon's listener (bearer token), and
  bridge.py, the SDK's session manager behind it, loaded by the first request;
- stdio.py: `upstatd mcp`, a stdio server that forwards to a daemon's /mcp.
"""

# what the server tells a client about itself at connection (over HTTP and stdio alike)
INSTRUCTIONS = ("upstatd monitors websites, servers and cron jobs. Tools read monitors, heartbeats, incidents, "
                "on-call schedules and status pages, and act on them as far as this token's permissions go. "
                "Results are the objects of upstatd's REST API; times are Unix seconds.")
