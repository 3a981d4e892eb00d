"""Imports every route module, so that each registers its routes."""

from upstatd.api.routes import events, heartbeats, meta, monitors, tokens  # noqa: F401
