"""Imports every route module, so that each registers its routes."""

from upstatd.api.routes import heartbeats, meta, monitors, tokens  # noqa: F401
