"""What API handlers reach: the database, the writer, the clock, the running
monitors, the request's token, and the key of incident links. One object,
built by the daemon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from upstatd import permissions
from upstatd.api import errors, ratelimit
from upstatd.api.errors import ApiError
from upstatd.api.ratelimit import Limits, RateLimiter
from upstatd.clock import Clock
from upstatd.store import tokens
from upstatd.store.db import Database
from upstatd.store.tokens import Token
from upstatd.store.uptime import Timelines
from upstatd.store.writer import Writer

LAST_USED_EVERY_MS = 60_000  # last_used_at is written at most once a minute per token


class ApiContext:
    def __init__(self, read_conn: Database, writer: Writer, clock: Clock, version: str, limits: Limits,
                 config: Callable[[], Any], monitor_commands: Any, heartbeat_commands: Any,
                 incident_commands: Any, token_commands: Any, webhook_commands: Any, alert_channel_commands: Any,
                 status_page_commands: Any, heartbeats: Any, *, link_key: bytes, monitor_group_commands: Any = None,
                 heartbeat_group_commands: Any = None, maintenance_commands: Any = None,
                 people_commands: Any = None, schedule_commands: Any = None, on_call_calendar: Any = None,
                 policy_commands: Any = None, service_commands: Any = None,
                 runbook_commands: Any = None, agent_commands: Any = None, bus: Any = None) -> None:
        self.read_conn = read_conn
        self.writer = writer
        self.clock = clock
        self.version = version
        self.limiter = RateLimiter(limits)
        self._config = config                      # the running Config (it changes at reload)
        self.monitor_commands = monitor_commands   # MonitorCommands
        self.heartbeat_commands = heartbeat_commands  # HeartbeatCommands
        self.incident_commands = incident_commands  # IncidentCommands
        self.token_commands = token_commands       # TokenCommands
        self.heartbeats = heartbeats               # HeartbeatService (the ping URLs take pings)
        self.webhook_commands = webhook_commands   # WebhookEndpointCommands
        self.alert_channel_commands = alert_channel_commands  # AlertChannelCommands
        self.monitor_group_commands = monitor_group_commands      # GroupCommands of kind monitor
        self.heartbeat_group_commands = heartbeat_group_commands  # and of kind heartbeat
        self.maintenance_commands = maintenance_commands  # MaintenanceCommands
        self.people_commands = people_commands  # PeopleCommands
        self.schedule_commands = schedule_commands  # ScheduleCommands (on-call schedules)
        self.policy_commands = policy_commands      # PolicyCommands (escalation policies)
        self.service_commands = service_commands    # ServiceCommands (catalog services)
        self.runbook_commands = runbook_commands    # RunbookCommands
        self.agent_commands = agent_commands        # AgentCommands (regions)
        self.status_page_commands = status_page_commands  # StatusPageCommands
        self.on_call_calendar = on_call_calendar  # oncall.calendar.CalendarCommands (the .ics feeds)
        self.bus = bus                             # EventBus: the MCP tools record mcp.tool_called
        self.link_key = link_key                   # signs acknowledge/resolve links (alerts/links.py); a secret
        self._touched: dict[str, int] = {}
        self.timelines = Timelines()               # the lists' uptime histories, kept while unchanged

    @property
    def config(self) -> Any:
        return self._config()

    def now_ms(self) -> int:
        return round(self.clock.time() * 1000)

    def anonymous_rate_limit_headers(self) -> dict[str, str]:
        """X-RateLimit-* for an answer given before a token was known (401, unknown route):
        the global window as it stands, nothing counted."""
        return ratelimit.headers(self.limiter.peek(self.clock.time()))

    async def authenticate(self, request: web.Request) -> Token:
        """The request's token, or a 401 (carrying the global window's X-RateLimit-* headers).
        Looked up in the database on every request: a revocation, even by the CLI, counts at once."""
        try:
            return await self._authenticate(request)
        except ApiError as exc:
            exc.headers = {**self.anonymous_rate_limit_headers(), **exc.headers}
            raise

    async def _authenticate(self, request: web.Request) -> Token:
        header = request.headers.get("Authorization")
        if not header:
            raise errors.unauthenticated("no API token: send the header Authorization: Bearer <token>")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise errors.unauthenticated("the Authorization header must be 'Bearer <token>'")
        return await self.token_of(secret.strip())

    async def token_of(self, secret: str) -> Token:
        """The valid token whose secret this is, or a 401 (also for dialects that take the
        secret from another header: UptimeIO's X-API-Key)."""
        token = await self.read_conn.call(tokens.find_by_secret, secret)
        if token is None:
            raise errors.unauthenticated("this API token is not valid")
        if token.revoked_at is not None:
            raise errors.unauthenticated("this API token was revoked")
        now = self.now_ms()
        if token.expires_at is not None and token.expires_at <= now:
            raise errors.unauthenticated("this API token has expired")
        if now - self._touched.get(token.id, 0) >= LAST_USED_EVERY_MS:
            self._touched[token.id] = now
            self.writer.add(*tokens.touch_statement(token.seq, now))
        return token

    @staticmethod
    def allows(token: Token, resource: str, action: str) -> bool:
        return permissions.allows(token.permissions, resource, action)
