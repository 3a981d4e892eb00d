"""Escalation policy use cases: create, update, delete, and reconcile the config
file's policies. Each is one writer transaction that records
`escalation_policy.created|updated|deleted` in it, published after the commit.

A body is checked by the pure core (oncall/escalation.py check_policy), its
param named as the API's (`steps.1.wait_seconds`); then, in the transaction,
each target is resolved to its id (a person in `people`, a schedule in
`on_call_schedules`, a shared alert channel), one naming nothing refused
naming its param (`steps.0.targets.1.id`). `is_default` true on one unsets it
on the other (that one's `updated` event in the same transaction); a default
from the config file is the file's, so an API policy cannot take it (409).
A policy that monitors or heartbeats name cannot be deleted (409 naming them).
Policies from the config file can be read; changes answer 409.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec
import structlog

from upstatd import metadata
from upstatd.clock import Clock
from upstatd.commands import Commands, existing, refuse_config_managed
from upstatd.config.escalation_policies import PolicySpec, api_param
from upstatd.config.schema import Config
from upstatd.errors import Conflict, Invalid
from upstatd.events import Event, EventBus
from upstatd.ids import new_id
from upstatd.oncall.escalation import EscalationError, Policy, Step, Target, check_policy
from upstatd.oncall.policy_public import policy_data
from upstatd.store import escalation_policies as store
from upstatd.store.db import Database
from upstatd.store.escalation_policies import PolicyRow
from upstatd.store.writer import Writer
from upstatd.subjects import Changed, record

log = structlog.get_logger("upstatd.escalation_policies")
NOUNS = {"user": "person", "current_on_call": "on-call schedule", "schedule_members": "on-call schedule",
         "channel": "shared alert channel"}


def find(conn: sqlite3.Connection, policy_id: str) -> PolicyRow:
    return existing(store.get(conn, policy_id), "escalation policy", policy_id)


def checked(policy: Policy) -> Policy:
    """The core's check, its param named as the API's."""
    try:
        return check_policy(policy)
    except EscalationError as exc:
        param = api_param(exc.param)
        raise Invalid(f"{param}: {str(exc).split(': ', 1)[1]}", param) from None


def checked_name(name: Any) -> Any:
    """A name given (a str; UNSET: not given) of 1 to 200 characters."""
    if isinstance(name, str) and not 1 <= len(name) <= 200:
        raise Invalid(f"name: must be 1 to 200 characters, got {len(name)}", "name")
    return name


def core_policy(steps: list, repeat: int, delay: float) -> Policy:
    return Policy(tuple(Step(float(step.wait_seconds), tuple(Target(target.type, target.id)
                                                             for target in step.targets)) for step in steps),
                  repeat, float(delay))


def with_ids(conn: sqlite3.Connection, policy: Policy) -> Policy:
    """Every target as the id of what it names; one naming nothing refused, naming its param."""
    for index, step in enumerate(policy.steps):
        for number, target in enumerate(step.targets):
            if store.target_id(conn, target) is None:
                param = f"steps.{index}.targets.{number}.id"
                raise Invalid(f"{param}: no {NOUNS[target.type]} with id or key '{target.id[:100]}'", param)
    return store.with_ids(conn, policy)


def subject_policy(conn: sqlite3.Connection, ref: str | None, param: str = "escalation_policy") -> str | None:
    """A monitor's or heartbeat's escalation_policy (an esc_ id or a config key) as its id;
    None stays None (the default policy); one naming no policy refused, naming the param."""
    if ref is None:
        return None
    found = store.resolve(conn, store.TABLE, ref)
    if found is None:
        raise Invalid(f"{param}: no escalation policy with id or key '{ref[:100]}'", param)
    return found


def with_policy(conn: sqlite3.Connection, spec: Any) -> Any:
    """A monitor's or heartbeat's spec with its escalation_policy as an id (checked)."""
    return msgspec.structs.replace(spec, escalation_policy=subject_policy(conn, spec.escalation_policy))


class PolicyCommands(Commands):
    def __init__(self, clock: Clock, writer: Writer, read_db: Database, bus: EventBus,
                 config: Callable[[], Config]) -> None:
        super().__init__(clock, writer, read_db)
        self.bus = bus
        self.config = config

    async def get(self, policy_id: str) -> PolicyRow:
        return await self.read_db.call(find, policy_id)

    def _editable(self, row: PolicyRow, verb: str) -> None:
        refuse_config_managed(row, 'escalation policy', 'escalation_policies', self.config().file, verb)

    def _event(self, conn: sqlite3.Connection, action: str, row: PolicyRow, now_ms: int) -> Event:
        return record(self.bus, conn, "escalation_policy", action, policy_data(row), row.id, now_ms / 1000)[0]

    def _take_default(self, conn: sqlite3.Connection, row: PolicyRow, now_ms: int) -> list[Event]:
        """`row` is the default now: the other is not (refused when the config file's)."""
        events = []
        for other in store.other_defaults(conn, row.seq):
            if other.managed_by == "config" and row.managed_by == "api":
                raise Conflict(f"is_default: the default escalation policy is {other.id}, set by the config file "
                               f"{self.config().file} (escalation_policies entry with key '{other.key}', "
                               f"default: true): change it there", "managed_by_config", "is_default")
            events.append(self._event(conn, "updated", store.unset_default(conn, other.seq, now_ms), now_ms))
        return events

    async def _publish(self, job: Callable[[sqlite3.Connection], tuple[Any, list[Event]]]) -> Any:
        row, events = await self.writer.run(job)
        for event in events:
            self.bus.publish(event)
        return row

    async def create(self, body: Any) -> Changed:
        policy = checked(core_policy(body.steps, 0 if body.repeat is msgspec.UNSET else body.repeat,
                                     0.0 if body.repeat_delay_seconds is msgspec.UNSET else
                                     body.repeat_delay_seconds))
        checked_name(body.name)
        meta = metadata.merge({}, metadata.validate(body.metadata)) if body.metadata is not msgspec.UNSET else {}
        is_default = body.is_default is True
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[PolicyRow, list[Event]]:
            spec = PolicySpec(None, body.name, with_ids(conn, policy), is_default, meta)
            row = store.insert(conn, new_id("esc"), spec, "api", now_ms)
            before = self._take_default(conn, row, now_ms) if is_default else []
            return row, [*before, self._event(conn, "created", row, now_ms)]

        return Changed(await self._publish(write), [])

    async def update(self, policy_id: str, body: Any) -> Changed:
        """PATCH and PUT (partial). Steps given replace the stored ones whole."""
        patch = None if body.metadata is msgspec.UNSET else metadata.validate(body.metadata)
        given = {name for name in body.__struct_fields__ if getattr(body, name) is not msgspec.UNSET}
        checked_name(body.name)
        row = await self.read_db.call(find, policy_id)
        if given:
            self._editable(row, "changed")
        stored = row.policy
        steps = None if body.steps is msgspec.UNSET else body.steps
        policy = checked(Policy(
            stored.steps if steps is None else core_policy(steps, 0, 0.0).steps,
            stored.repeat if body.repeat is msgspec.UNSET else body.repeat,
            stored.repeat_delay_seconds if body.repeat_delay_seconds is msgspec.UNSET
            else float(body.repeat_delay_seconds)))
        now_ms = self._now_ms()

        def change(conn: sqlite3.Connection) -> tuple[PolicyRow, list[Event]]:
            current = find(conn, policy_id)
            if current.updated_at != row.updated_at:
                raise Conflict(f"escalation policy {policy_id} changed meanwhile: send the change again",
                               "changed_meanwhile")
            wanted = PolicySpec(current.key, current.name if body.name is msgspec.UNSET else body.name,
                                policy if steps is None else with_ids(conn, policy),
                                current.is_default if body.is_default is msgspec.UNSET else body.is_default,
                                current.metadata if patch is None else metadata.merge(current.metadata, patch))
            if wanted == current.spec():
                return current, []
            updated = store.update(conn, current, wanted, now_ms)
            before = self._take_default(conn, updated, now_ms) if wanted.is_default and not current.is_default else []
            return updated, [*before, self._event(conn, "updated", updated, now_ms)]

        return Changed(await self._publish(change), [])

    async def delete(self, policy_id: str) -> Changed:
        row = await self.read_db.call(find, policy_id)
        self._editable(row, "deleted")
        now_ms = self._now_ms()

        def remove(conn: sqlite3.Connection) -> tuple[None, list[Event]]:
            current = find(conn, policy_id)
            users = store.named_by(conn, policy_id)
            if users:
                shown = ", ".join(f"{kind} {subject_id} ({name})" for kind, subject_id, name in users[:10])
                more = f" and {len(users) - 10} more" if len(users) > 10 else ""
                raise Conflict(f"escalation policy {policy_id} is the escalation_policy of {shown}{more}: give "
                               f"them another (or null, the default) first", "policy_in_use", "id")
            store.delete(conn, [current.seq])
            return None, [self._event(conn, "deleted", current, now_ms)]

        await self._publish(remove)
        return Changed(None, [])

    async def reconcile(self, specs: tuple[PolicySpec, ...]) -> None:
        """Start and SIGHUP (after monitors, heartbeats, people, schedules and alert channels):
        make the config policies match the file, and every monitor's and heartbeat's policy
        column follow what their specs name."""
        now_ms = self._now_ms()

        def write(conn: sqlite3.Connection) -> tuple[list[PolicyRow], list[Event]]:
            added, updated, removed, kept = store.reconcile(conn, specs, now_ms)
            events = [self._event(conn, "created", row, now_ms) for row in added]
            events += [self._event(conn, "updated", row, now_ms) for row in updated]
            events += [self._event(conn, "deleted", row, now_ms) for row in removed]
            return kept, events

        for row in await self._publish(write):
            log.error("escalation_policy.kept_in_use", id=row.id, key=row.key, file=self.config().file,
                      named_by=[subject_id for _, subject_id, _ in await self.read_db.call(store.named_by, row.id)])
