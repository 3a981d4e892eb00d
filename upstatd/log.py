"""Logging: structlog, JSON lines for journald and files, key=value on a terminal.

Event names are dotted and name one kind of event each (`monitor.state_changed`,
`config.reload_failed`); values are fields, never formatted into the name.

Standard-library records (aiohttp, asyncio, anything using `logging`) are
rendered by the same processors through structlog's ProcessorFormatter, so
they are the same JSON lines, with a `logger` field naming their source.
"""

from __future__ import annotations

import logging
import sys

import structlog

LEVELS = ("debug", "info", "warning", "error")


def setup(level: str = "info", stream=None) -> None:
    stream = stream or sys.stderr
    on_terminal = stream.isatty()
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if on_terminal:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    # upstatd's own events keep structlog's direct path (no logging machinery per event).
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    handler = _PrintHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _PrintHandler)]:
        root.removeHandler(old)  # setup() again replaces, never doubles, the lines
    root.addHandler(handler)
    # Libraries are chatty at info (aiohttp, asyncio): only their warnings and errors.
    root.setLevel(max(logging.WARNING, getattr(logging, level.upper())))


class _PrintHandler(logging.Handler):
    """Writes through structlog's PrintLogger, which holds one lock per stream:
    a library's line from another thread never splits one of upstatd's."""

    def __init__(self, stream) -> None:
        super().__init__()
        self._out = structlog.PrintLogger(stream)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._out.msg(self.format(record))
        except Exception:
            self.handleError(record)
