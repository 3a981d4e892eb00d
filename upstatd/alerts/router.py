"""Which channels an incident event alerts, decided as the event is recorded,
and written in its commit (an EventBus recorder): an alert is never lost
between the incident and its channels, and the probe path reads no database.

- Where: the subject's `alert_channels` (channel ids or keys), or the
  config's `defaults.alert_channels` when it names none; a manual incident,
  the channels of the monitors it affects, or the defaults. An
  `incident.escalated` event: the channels its step reached (`channel_ids`).
- What: each channel's `events`. An incident opened by a degraded state
  alerts only channels with `degraded: true`; when it turns into an outage
  (severity raised, the subject down) the others hear of it then (so does a
  channel added while an outage is open, at its next change). The
  acknowledgement and the recovery go only to channels told of the opening.
- How: alerts/flood.py says whether an alert goes alone or joins a digest.
- Reminders: each incident told to a channel with a `reminder_interval` (the
  subject's overrides the channel's) is reminded while it is open and not
  acknowledged; the dispatcher's timers ask `remind`.

The router's memory (channels, windows, incidents told) is shared by the
loop (probe path, timers) and the writer's thread (API transactions): one lock.
The facts of a message are taken when the alert is made and stored with it:
what was down, the last check's error and phases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec
import structlog

from upstatd.alerts import flood
from upstatd.alerts.message import Facts, Phase
from upstatd.events import Event
from upstatd.ids import new_id
from upstatd.store import alerts as store
from upstatd.store.alerts import ChannelRow

log = structlog.get_logger("upstatd.alerts")

PHASES = (("resolve_ms", "dns"), ("connect_ms", "connect"), ("tls_ms", "tls"), ("first_byte_ms", "first_byte"),
          ("transfer_ms", "transfer"))
OPENING = ("incident.created", "incident.reopened")
TOLD_REASONS = ("opened", "reminder", "escalated")


class Subject(NamedTuple):
    """What the router needs of a monitor or heartbeat (the daemon's lookup makes it)."""
    kind: str                       # monitor | heartbeat
    id: str
    name: str
    url: str | None
    type: str | None
    state: str                      # up, down, degraded, late, new, ...
    alert_channels: tuple[str, ...] | None   # ids or keys; None: the defaults
    reminder_interval: float | None


Lookup = Callable[[str], "Subject | None"]


@dataclass
class Told:
    """An active incident and the channels told of it (seq -> when last alerted, wall seconds)."""
    incident: dict[str, Any]
    channels: dict[int, float] = field(default_factory=dict)
    reminders: dict[int, float] = field(default_factory=dict)   # seq -> interval (seconds)

    @property
    def reminding(self) -> bool:
        return self.incident.get("status") == "open" and bool(self.reminders)

    def next_reminder(self) -> float | None:
        if not self.reminding:
            return None
        return min(self.channels[seq] + interval for seq, interval in self.reminders.items())


class Router:
    def __init__(self, lookup: Lookup, defaults: tuple[str, ...] = ()) -> None:
        self.lookup = lookup
        self.defaults = defaults
        self.channels: dict[int, ChannelRow] = {}     # the enabled ones
        self.by_ref: dict[str, ChannelRow] = {}
        self.windows: dict[int, flood.Window] = {}
        self.checks: dict[str, Any] = {}               # subject id -> the check of its last failing state event
        self.told: dict[str, Told] = {}                # active incidents alerted somewhere
        self.on_alerts: Callable[[str, float | None], None] = lambda incident_id, next_reminder: None
        # root-cause grouping (catalog/grouping.py): an incident whose opening alerts wait (held) or are
        # recorded suppressed, reason dependency (caused by an open incident)
        self.held_back: Callable[[dict], bool] = lambda incident: False
        self._lock = threading.Lock()

    # -- what the dispatcher keeps in step ------------------------------------------------------

    def use_channels(self, rows: list[ChannelRow], defaults: tuple[str, ...]) -> None:
        with self._lock:
            self.channels = {row.seq: row for row in rows if row.enabled}
            self.by_ref = {**{row.key: row for row in self.channels.values() if row.key},
                           **{row.id: row for row in self.channels.values()}}
            self.windows = {seq: window for seq, window in self.windows.items() if seq in self.channels}
            self.defaults = defaults

    def load(self, told: dict[str, Told]) -> None:
        with self._lock:
            self.told = told

    # -- the recorder ----------------------------------------------------------------------------

    def __call__(self, event: Event, execute: Callable[[str, tuple], Any]) -> None:
        kind = event.type
        if kind.startswith(("monitor.", "heartbeat.")):
            self._remember(event)
            return
        if not kind.startswith("incident.") or not self.channels:
            return
        incident = event.object if isinstance(event.object, dict) else msgspec.to_builtins(event.object)
        with self._lock:
            statements, next_reminder = self._alerts(kind, incident, event)
        for sql, params in statements:
            execute(sql, params)
        self.on_alerts(incident["id"], next_reminder)  # armed again, or cancelled (acknowledged, resolved)

    def _remember(self, event: Event) -> None:
        obj = event.object
        subject_id = obj.get("id") if isinstance(obj, dict) else getattr(obj, "id", None)
        if event.type.endswith(".deleted"):
            self.checks.pop(subject_id, None)
        elif event.extra and event.extra.get("check") is not None:
            self.checks[subject_id] = event.extra["check"]

    def _alerts(self, kind: str, incident: dict, event: Event) -> tuple[list[tuple[str, tuple]], float | None]:
        incident_id = incident["id"]
        subject = self.subject_of(incident)
        told = self.told.get(incident_id)
        if told is not None:
            told.incident = incident
        targets: list[ChannelRow] = []
        reason = None
        grouping = (event.extra or {}).get("reason") if kind == "incident.updated" else None
        released = grouping == "released" and incident.get("status") == "open"  # acknowledged meanwhile: not
        if kind in OPENING or kind == "incident.escalated" or released:
            reason = "escalated" if kind == "incident.escalated" else "opened"
            degraded = subject is not None and subject.state == "degraded"
            # an escalation pages the channels its step reached (oncall/escalations.py), not the subject's
            routed = self._escalated(event) if reason == "escalated" else self._routed(incident, subject)
            opening = "incident.created" if released else kind  # released: its opening, now
            targets = [row for row in routed if opening in row.events and (row.degraded or not degraded)]
        elif grouping == "grouped" and (event.extra or {}).get("caused_by"):
            reason = "dependency"  # held, then grouped: its opening is recorded suppressed now
            targets = [row for row in self._routed(incident, subject) if "incident.created" in row.events]
        elif kind == "incident.updated" and grouping is None and subject is not None and subject.state == "down" \
                and incident.get("status") == "open":
            # degraded, then down: channels that left the degraded state alone hear of it now
            reason = "opened"
            targets = [row for row in self._routed(incident, subject)
                       if "incident.created" in row.events and (told is None or row.seq not in told.channels)]
        elif kind in ("incident.acknowledged", "incident.resolved") and told is not None:
            reason = kind.split(".")[1]
            targets = [self.channels[seq] for seq in told.channels
                       if seq in self.channels and kind in self.channels[seq].events]
        if kind in ("incident.resolved", "incident.closed"):
            self.told.pop(incident_id, None)
        if reason == "opened" and self.held_back(incident):  # held: nothing yet; caused: its opening suppressed
            reason = "dependency" if kind in OPENING and incident.get("held_until") is None else None
        if reason is None or not targets:
            return [], None if incident_id not in self.told else self.told[incident_id].next_reminder()
        statements = []
        at = event.created
        facts = self.facts(incident, subject, "opened" if reason == "dependency" else reason, at)
        for row in targets:
            statements.extend(self._queue(row, facts, incident_id, reason, event.id, at))
        if reason in TOLD_REASONS:
            told = self.told.setdefault(incident_id, Told(incident))
            for row in targets:
                told.channels[row.seq] = at
                interval = (subject.reminder_interval if subject is not None else None) or row.reminder_interval
                if interval:
                    told.reminders[row.seq] = float(interval)
        told = self.told.get(incident_id)
        return statements, None if told is None else told.next_reminder()

    def subject_of(self, incident: dict) -> Subject | None:
        """A system incident's subject: the one monitor or heartbeat it affects (its public shape)."""
        affected = incident.get("affected_monitor_ids") or ()
        if incident.get("source") != "system" or len(affected) != 1:
            return None
        return self.lookup(affected[0])

    def _routed(self, incident: dict, subject: Subject | None) -> list[ChannelRow]:
        if subject is not None:
            refs = subject.alert_channels if subject.alert_channels is not None else self.defaults
        else:  # a manual incident: its monitors' channels, else the defaults
            refs = []
            for subject_id in incident.get("affected_monitor_ids") or ():
                affected = self.lookup(subject_id)
                if affected is not None:
                    refs.extend(affected.alert_channels if affected.alert_channels is not None else self.defaults)
            refs = refs or self.defaults
        rows = {}
        for ref in refs:
            row = self.by_ref.get(ref)
            if row is not None:
                rows[row.seq] = row
        return list(rows.values())

    def _escalated(self, event: Event) -> list[ChannelRow]:
        rows = {}
        for ref in (event.extra or {}).get("channel_ids") or ():
            row = self.by_ref.get(ref)
            if row is not None:
                rows[row.seq] = row
        return list(rows.values())

    def _queue(self, row: ChannelRow, facts: Facts, incident_id: str, reason: str, event_id: str | None,
               at: float) -> list[tuple[str, tuple]]:
        if reason == "dependency":  # recorded, never sent (nor counted in a flood window)
            return [store.insert_statement(new_id("alt"), row.seq, incident_id, reason, "suppressed", None,
                                           event_id, facts, None, round(at * 1000))]
        admitted, self.windows[row.seq] = flood.admit(self.windows.get(row.seq, flood.Window()), at,
                                                      row.digest_window, lambda: new_id("dig"))
        at_ms = round(at * 1000)
        out = []
        if admitted.opens:
            out.append(store.insert_statement(admitted.digest_id, row.seq, None, "digest", "queued", None, None,
                                              {}, round(admitted.due_at * 1000), at_ms))
        status = "queued" if admitted.digest_id is None else "suppressed"
        out.append(store.insert_statement(new_id("alt"), row.seq, incident_id, reason, status, admitted.digest_id,
                                          event_id, facts, None, at_ms))
        return out

    # -- reminders (on the loop, from the dispatcher's timer) --------------------------------------

    def remind(self, incident_id: str, now: float) -> tuple[list[tuple[str, tuple]], set[int], float | None]:
        """The reminders due for an incident: (statements, channel seqs, when the next is due)."""
        with self._lock:
            told = self.told.get(incident_id)
            if told is None or not told.reminding:
                return [], set(), None
            subject = self.subject_of(told.incident)
            facts = self.facts(told.incident, subject, "reminder", now)
            statements, seqs = [], set()
            for seq, interval in told.reminders.items():
                row = self.channels.get(seq)
                if row is None or told.channels[seq] + interval > now + 0.001:
                    continue
                statements.extend(self._queue(row, facts, incident_id, "reminder", None, now))
                told.channels[seq] = now
                seqs.add(seq)
            return statements, seqs, told.next_reminder()

    # -- the facts ----------------------------------------------------------------------------------

    def facts(self, incident: dict, subject: Subject | None, reason: str, at: float) -> Facts:
        check = self.checks.get(subject.id) if subject is not None else None
        if check is not None and not isinstance(check, dict):
            check = msgspec.to_builtins(check)
        phases = ()
        if check and check.get("phases"):
            phases = tuple(Phase(name, float(check["phases"][key])) for key, name in PHASES
                           if check["phases"].get(key) is not None)
        return Facts(
            kind=subject.kind if subject is not None else "incident",  # type: ignore[arg-type]
            name=subject.name if subject is not None else incident["title"],
            reason=reason,  # type: ignore[arg-type]
            incident_id=incident["id"],
            started_at=float(incident["started_at"]),
            at=at,
            url=subject.url if subject is not None else None,
            type=subject.type if subject is not None else None,
            resolved_at=float(incident["resolved_at"]) if reason == "resolved" and incident.get("resolved_at")
            else None,
            error_kind=(check or {}).get("error_kind") or (incident.get("type") if subject is not None else None),
            error_message=(check or {}).get("error_message") or incident.get("error_message"),
            phases=phases,
            severity=incident.get("severity") or "critical",
            acknowledged_by=incident.get("acknowledged_by"),
        )
