"""Imports every route module, so that each registers its routes."""

from upstatd.api.routes import (alerts, events, groups, heartbeats, incidents, meta, monitors,  # noqa: F401
                                tokens, webhooks)
