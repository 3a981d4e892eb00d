"""Imports every route module, so that each registers its routes."""

from upstatd.api.routes import (alerts, events, heartbeats, incidents, meta, monitors, status_pages,  # noqa: F401
                                tokens, webhooks)
