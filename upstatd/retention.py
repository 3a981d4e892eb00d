"""The history tables' share of the roll-up pass (Daemon.roll_up_once): events,
webhook deliveries, alerts and their attempts older than their retention,
deleted a window at a time (store/retention.py), one writer job each with a
pause between, so the probe path's commits go between them; a table with
nothing old costs one read on the read connection and no writer job. A crash between
two jobs loses nothing: each window is one transaction, and the next pass
starts again from the lowest seqs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from upstatd.config.schema import Retention
from upstatd.events import RETENTION_DAYS
from upstatd.store import retention as store

PAUSE = 0.05  # seconds between windows: other writes go between them


def keep_seconds(retention: Retention) -> dict[str, float]:
    """How long each table's rows are kept (store.TABLES)."""
    return {"events": RETENTION_DAYS * 86400.0, "webhook_deliveries": retention.deliveries,
            "alerts": retention.alerts, "alert_attempts": retention.alerts}


async def prune(writer, read_db, now: Callable[[], float], retention: Retention,
                pause: float = PAUSE) -> dict[str, int]:
    """Every table pruned to its retention; returns the rows deleted per table."""
    keep = keep_seconds(retention)
    removed: dict[str, int] = {}
    for table in store.TABLES:
        removed[table] = 0
        due = await read_db.call(store.due, table, round((now() - keep[table]) * 1000))
        after: int | None = 0 if due else None
        while after is not None:
            start, before_ms = after, round((now() - keep[table]) * 1000)
            count, after = await writer.run(partial(store.prune, table=table, after=start, before_ms=before_ms))
            removed[table] += count
            if after is not None:
                await asyncio.sleep(pause)
    return removed
