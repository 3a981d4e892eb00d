"""Logging: structlog, JSON lines for journald and files, key=value on a terminal.

Event names are dotted and name one kind of event each (`monitor.state_changed`,
`config.reload_failed`); values are fields, never formatted into the name.
"""

from __future__ import annotations

import logging
import sys

import structlog

LEVELS = ("debug", "info", "warning", "error")


def setup(level: str = "info", stream=None) -> None:
    stream = stream or sys.stderr
    on_terminal = stream.isatty()
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if on_terminal:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        processors.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    # aiohttp and asyncio log through the standard library: route them to the same stream.
    logging.basicConfig(stream=stream, level=max(logging.WARNING, getattr(logging, level.upper())),
                        format="%(name)s %(levelname)s %(message)s")
