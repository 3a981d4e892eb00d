"""Imports every route module, so that each registers its routes."""

from upstatd.api.routes import (  # noqa: F401
    alerts, events, groups, heartbeats, incidents, maintenance, meta, monitors, status_pages, tokens, webhooks,
    on_call,
)
from upstatd.api.routes import people  # noqa: F401
from upstatd.api.routes import on_call_calendar  # noqa: F401,E402
from upstatd.api.routes import escalation_policies  # noqa: F401
from upstatd.api.routes import catalog  # noqa: F401
from upstatd.api.routes import runbooks  # noqa: F401
from upstatd.api.routes import agents  # noqa: F401
from upstatd.api.dialects import uptimeguard  # noqa: F401,E402  (/v1, UptimeGuard's shapes)
from upstatd.api.dialects import betterstack  # noqa: F401,E402  (the Better Stack dialect's envelope)
from upstatd.api.dialects import betterstack_monitors  # noqa: F401,E402  (Better Stack's monitors and SLA)
from upstatd.api.dialects import betterstack_heartbeats  # noqa: F401,E402  (Better Stack's heartbeats)
from upstatd.api.dialects import betterstack_groups  # noqa: F401,E402  (Better Stack's monitor/heartbeat groups)
from upstatd.api.dialects import betterstack_v3  # noqa: F401,E402  (Better Stack's v3 incidents)
from upstatd.api.dialects import betterstack_incident_comments  # noqa: F401,E402  (their comments, timeline)
from upstatd.api.dialects import betterstack_openapi  # noqa: F401,E402  (its OpenAPI document)
from upstatd.api.dialects import uptimeio  # noqa: F401,E402  (UptimeIO's incidents API under /uptimeio)
from upstatd.api.dialects import betterstack_oncall  # noqa: F401,E402  (Better Stack's on-call calendars)
from upstatd.api.dialects import betterstack_policies  # noqa: F401,E402  (Better Stack's v3 policies)
from upstatd.api.dialects import betterstack_metadata  # noqa: F401,E402  (Better Stack's v3 metadata)
from upstatd.api.dialects import betterstack_pages  # noqa: F401,E402  (Better Stack's status pages)
from upstatd.api.dialects import betterstack_reports  # noqa: F401,E402  (Better Stack's status reports)
