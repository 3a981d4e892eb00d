"""What escalation reads of on-call (tables of migrations 0018 and 0019): the schedules as
the pure core takes them, and how each person is reached.

The people and schedules tables are written by their own store modules
(store/people.py, store/schedules.py); these readers are the one contract the
escalation side relies on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from upstatd.oncall.escalation import Policy, Step
from upstatd.oncall.layers import Layer
from upstatd.oncall.rotations import Override, Schedule


def schedules(conn: sqlite3.Connection, ids: Iterable[str] | None = None) -> dict[str, Schedule]:
    """sch_ id -> its Schedule (layers bottom first, overrides oldest first); `ids` None: all."""
    wanted = None if ids is None else set(ids)
    rows = conn.execute("SELECT seq, id, layers FROM on_call_schedules").fetchall()
    rows = [row for row in rows if wanted is None or row[1] in wanted]
    overrides: dict[int, list[Override]] = {row[0]: [] for row in rows}
    for schedule_seq, user_id, starts_at, ends_at in conn.execute(
            "SELECT schedule_seq, user_id, starts_at, ends_at FROM on_call_overrides ORDER BY seq"):
        if schedule_seq in overrides:
            overrides[schedule_seq].append(Override(user_id, starts_at / 1000, ends_at / 1000))
    return {schedule_id: Schedule(msgspec.json.decode(layers, type=tuple[Layer, ...]), tuple(overrides[seq]))
            for seq, schedule_id, layers in rows}


def contact_channels(conn: sqlite3.Connection, user_ids: Iterable[str]) -> dict[str, list[str]]:
    """usr_ id -> the ch_ ids that reach them, in their contact methods' order: the
    shared channels they name, then their personal channels (`alert_channels.person_id`).
    A person missing from the table is missing from the answer."""
    out: dict[str, list[str]] = {}
    shared: dict[str, str] | None = None   # id or key -> id of every enabled shared channel, read once
    for user_id in dict.fromkeys(user_ids):
        found = conn.execute("SELECT contact_methods FROM people WHERE id = ?", (user_id,)).fetchall()
        if not found:
            continue
        if shared is None:
            shared = {}
            for channel_id, key in conn.execute(
                    "SELECT id, key FROM alert_channels WHERE enabled = 1 AND person_id IS NULL"):
                shared[channel_id] = channel_id
                if key:
                    shared.setdefault(key, channel_id)
        channels = [shared[method["channel"]] for method in msgspec.json.decode(found[0][0])
                    if "channel" in method and method["channel"] in shared]
        channels += [row[0] for row in conn.execute(
            "SELECT id FROM alert_channels WHERE person_id = ? AND enabled = 1 ORDER BY seq", (user_id,))]
        out[user_id] = list(dict.fromkeys(channels))
    return out


def names(conn: sqlite3.Connection, user_ids: Iterable[str]) -> dict[str, str]:
    """usr_ id -> the person's name (for timelines, events and messages)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    return dict(conn.execute(f"SELECT id, name FROM people WHERE id IN ({marks})", ids).fetchall())


def policies(conn: sqlite3.Connection) -> dict[str, Policy]:
    """esc_ id -> its Policy as the pure core takes it."""
    return {policy_id: Policy(msgspec.json.decode(steps, type=tuple[Step, ...]), repeat, float(delay))
            for policy_id, steps, repeat, delay in conn.execute(
                "SELECT id, steps, repeat, repeat_delay_seconds FROM escalation_policies")}


def default_policy(conn: sqlite3.Connection) -> str | None:
    found = conn.execute("SELECT id FROM escalation_policies WHERE is_default = 1 ORDER BY seq LIMIT 1").fetchall()
    return found[0][0] if found else None


def emails(conn: sqlite3.Connection, user_ids: Iterable[str]) -> dict[str, str]:
    """usr_ id -> the person's email, for those who have one."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    return dict(conn.execute(f"SELECT id, email FROM people WHERE id IN ({marks}) AND email IS NOT NULL",
                             ids).fetchall())


def person_by_email(conn: sqlite3.Connection, email: str) -> str | None:
    """The usr_ id of the person with this email (any case), or None."""
    found = conn.execute("SELECT id FROM people WHERE email = ? COLLATE NOCASE ORDER BY seq LIMIT 1",
                         (email,)).fetchall()
    return found[0][0] if found else None
