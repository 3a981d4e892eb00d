"""The API versions and the one an installation is pinned to (its first token's)."""

from __future__ import annotations

import sqlite3

import upstatd
from upstatd.store import settings

def api_version(conn: sqlite3.Connection) -> str:
    """The pinned version, else the newest of upstatd.API_VERSIONS."""
    return settings.api_version(conn) or upstatd.API_VERSIONS[-1]
