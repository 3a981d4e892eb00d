"""The `webhooks` section: endpoints that receive signed events (YAML-managed,
keyed like monitors). Also validates endpoints made over the API."""

from __future__ import annotations

from typing import Any

import msgspec

from upstatd.config.check import Path, Problems, type_name


class WebhookSpec(msgspec.Struct, frozen=True):
    key: str
    url: str
    events: tuple[str, ...]     # event types and patterns: "incident.*", "*"
    secret: str
    enabled: bool = True
    description: str | None = None
    metadata: dict[str, str] = {}


def parse_webhooks(value: Any, path: Path, problems: Problems) -> tuple[WebhookSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(path, f"must be a list of webhook endpoints, got {type_name(value)}")
        return ()
    return ()  # TODO(webhooks): parse each endpoint
