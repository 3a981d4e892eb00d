"""Imports every route module, so that each registers its routes."""

from upstatd.api.routes import alerts, events, heartbeats, incidents, meta, monitors, tokens, webhooks  # noqa: F401
