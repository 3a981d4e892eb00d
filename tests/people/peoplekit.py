"""YAML for the people tests: a shared email channel `relay` sending through the
loopback SMTP server (no default channels, so only what names it mails)."""

from __future__ import annotations

import textwrap


def relay(smtp, more: str = "") -> str:
    """alert_channels with `relay` (email through SMTP on loopback) and `chat` (a webhook);
    MORE (people, heartbeats) after them."""
    return (f"alert_channels:\n"
            f"  - {{key: relay, type: email, digest_window: 0s, email: {{host: 127.0.0.1, port: {smtp.port}, "
            f"security: none, from: upstatd@example.com, to: [ops@example.com]}}}}\n"
            f"  - {{key: chat, type: webhook, webhook: {{url: \"http://127.0.0.1:9/hook\"}}}}\n"
            + textwrap.dedent(more).strip() + "\n")
