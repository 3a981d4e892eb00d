"""What every resource's commands are built on: the clock they read the time
from, the writer their transactions run on, and the read connection their
lookups use. The use cases themselves are in <resource>/commands.py."""

from __future__ import annotations

from upstatd.clock import Clock
from upstatd.store.db import Database
from upstatd.store.writer import Writer


class Commands:
    def __init__(self, clock: Clock, writer: Writer, read_db: Database) -> None:
        self.clock = clock
        self.writer = writer
        self.read_db = read_db

    def _now_ms(self) -> int:
        return round(self.clock.time() * 1000)
