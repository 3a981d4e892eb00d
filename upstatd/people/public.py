"""The public shape of a person (`usr_…`): one serializer for API answers and the
OpenAPI document; and the bodies the API takes. A person's contact methods are
shown resolved (channel and via as ch_ ids), an Apprise URL as "********" (it
may carry tokens); a body that sends "********" back keeps the stored URL of
the method at that place. `alert_channel_ids`: the person's own channels, one
per email and apprise method, in order (what escalation and tests send to)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from upstatd import metadata
from upstatd.config.people import parse_methods
from upstatd.heartbeats.schedule import TIMEZONES
from upstatd.shapes import UNSET, Unset, rule
from upstatd.store.people import PersonRow

MASK = "********"

Name = Annotated[str, rule(minLength=1, maxLength=200)]
# the characters Python counts as spaces and ECMA regexes do not (\x1c-\x1f, \x85) are left out by name
_PART = r"[^@\s<>\u001c-\u001f\u0085]+"
Email = Annotated[str, rule(maxLength=320, pattern=rf"^\s*{_PART}@{_PART}\s*$",
                            description="An email address, for the record (not a contact method)")]
Timezone = Annotated[str, rule(enum=TIMEZONES, description="An IANA time zone name; default UTC")]
Methods = Annotated[list[dict[str, Any]], msgspec.Meta(
    description="How the person is reached, in order; each exactly one of `channel` (a shared alert channel's "
                "id), `email` (an address, with `via`: the email channel whose SMTP server sends it; may be "
                "left out when exactly one email channel exists) or `apprise` (an Apprise URL, a secret)",
    extra_json_schema=parse_methods.schema)]


class Person(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["person"]
    key: str | None
    name: str
    email: str | None
    timezone: str
    contact_methods: list[dict[str, str]]
    alert_channel_ids: list[str]
    metadata: dict[str, str]
    managed_by: Literal["config", "api"]
    created_at: int
    updated_at: int


_FIELDS = [
    ("email", Email | None | Unset, UNSET),
    ("timezone", Timezone | Unset, UNSET),
    ("contact_methods", Methods | Unset, UNSET),
    ("metadata", metadata.Metadata | Unset, UNSET),
]
PersonCreate = msgspec.defstruct("PersonCreate", [("name", Name), *_FIELDS], kw_only=True,
                                 forbid_unknown_fields=True, module=__name__)
PersonUpdate = msgspec.defstruct("PersonUpdate", [("name", Name | Unset, UNSET), *_FIELDS], kw_only=True,
                                 forbid_unknown_fields=True, module=__name__, namespace={"__doc__": (
                                     "Only what is given changes; contact_methods given replace the stored "
                                     "ones (an apprise URL sent back as \"********\" keeps the stored one at "
                                     "that place); metadata merges")})


def shown_methods(methods: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{**method, "apprise": MASK} if "apprise" in method else dict(method) for method in methods]


def keep_secrets(given: Any, stored: list[dict[str, str]]) -> Any:
    """An apprise method sent back as "********" keeps the stored URL of the apprise method at
    the same place among the apprise methods (the first masked one the first stored, ...)."""
    if not isinstance(given, list):
        return given
    urls = [method["apprise"] for method in stored if "apprise" in method]
    out, seen = [], 0
    for method in given:
        if isinstance(method, dict) and "apprise" in method:
            if method["apprise"] == MASK and seen < len(urls):
                method = {**method, "apprise": urls[seen]}
            seen += 1
        out.append(method)
    return out


def person_object(row: PersonRow) -> Person:
    return Person(id=row.id, object="person", key=row.key, name=row.name, email=row.email, timezone=row.timezone,
                  contact_methods=shown_methods(row.contact_methods), alert_channel_ids=list(row.channel_ids),
                  metadata=dict(row.metadata), managed_by=row.managed_by, created_at=row.created_at // 1000,
                  updated_at=row.updated_at // 1000)


def person_data(row: PersonRow) -> dict[str, Any]:
    return msgspec.to_builtins(person_object(row))
