"""Logging: structlog, JSON lines for journald and files, key=value on a terminal.

Event names are dotted and name one kind of event each (`monitor.state_changed`,
`config.reload_failed`); values are fields, never formatted into the name.

Standard-library records (aiohttp, asyncio, anything using `logging`) are
rendered by the same processors through structlog's ProcessorFormatter, so
they are the same JSON lines, with a `logger` field naming their source.
When stderr is the journal (JOURNAL_STREAM), each line starts with its
syslog priority, `<3>` for an error, so `journalctl -p` filters by level.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

import structlog

LEVELS = ("debug", "info", "warning", "error")

# sd-daemon(3) prefixes; Python has no notice level, so <5> never appears.
PRIORITIES = {"critical": 2, "error": 3, "warning": 4, "info": 6, "debug": 7}


def setup(level: str = "info", stream=None, environ: Mapping[str, str] = os.environ) -> None:
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
    if to_journal(stream, environ):
        renderer = JournalPrefix(renderer)
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


def to_journal(stream, environ: Mapping[str, str] = os.environ) -> bool:
    """Is `stream` the journal? JOURNAL_STREAM is "device:inode" of the journal's
    socket; it is inherited, so it only counts while the stream is that socket
    (systemd.exec(5) asks for this check)."""
    device, _, inode = environ.get("JOURNAL_STREAM", "").partition(":")
    try:
        stat = os.fstat(stream.fileno())
        return (stat.st_dev, stat.st_ino) == (int(device), int(inode))
    except (AttributeError, OSError, ValueError):  # no such variable, no file descriptor
        return False


class JournalPrefix:
    """Wraps a renderer: the line starts with its syslog priority, which journald
    strips and stores as PRIORITY= (sd-daemon(3))."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer

    def __call__(self, logger, method_name: str, event_dict) -> str:
        priority = PRIORITIES.get(event_dict.get("level", method_name), 6)
        return f"<{priority}>{self.renderer(logger, method_name, event_dict)}"


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
