"""The public shapes of status pages, their sections and resources, and status
reports (API answers, event `data.object`, the OpenAPI document), and the
bodies the API takes. A page's password is never shown: `password_protected`
says whether it has one. Its logo is an image the daemon serves (PUT
/api/status-pages/{id}/logo): `logo_url` is read-only, that image's path."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec

from upstatd import metadata
from upstatd.heartbeats.schedule import TIMEZONES
from upstatd.ids import seq_id
from upstatd.shapes import across, rule, seconds
from upstatd.store.status_pages import REPORT_STATUSES, PageRow, ReportRow, ResourceRow, SectionRow

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType
MAX_REPORT_RESOURCES = 100

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Slug = Annotated[str, msgspec.Meta(pattern="^[a-z0-9][a-z0-9-]{0,62}$", description=(
    "The page's address, /status/<slug>: lowercase letters, digits and dashes, 1-63 characters"))]
Host = Annotated[str, msgspec.Meta(
    max_length=253, pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
    description="A host name the page is also served at (status.example.com); stored lowercase")]
# logo_url was writable until the daemon served the logo itself (api/explain.py reads GONE)
LOGO_URL_GONE = ("logo_url is read-only: PUT the image (PNG, SVG, WebP or JPEG) to /api/status-pages/{id}/logo, "
                 "and DELETE it there to remove it")
Color = Annotated[str, msgspec.Meta(pattern="^#[0-9A-Fa-f]{6}$", description="#rrggbb; stored lowercase")]
Footer = Annotated[str, msgspec.Meta(max_length=2000)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=200, description=(
    "Visitors must give it to see the page; stored hashed, never shown (password_protected)"))]
Timezone = Annotated[str, rule(enum=TIMEZONES, description="The IANA time zone of the daily bars; default UTC")]
Position = Annotated[int, msgspec.Meta(ge=0, le=1_000_000, description="Ascending order; default: after the last")]
PublicName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SubjectRef = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
ReportStatus = Literal[REPORT_STATUSES]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Message = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
ResourceIds = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=100)]], msgspec.Meta(
    max_length=MAX_REPORT_RESOURCES, description="The page's resources (spr_…) the report is about")]
IncidentRef = Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="An upstatd incident (inc_…)")]


# -- answers ---------------------------------------------------------------------------------

class StatusPage(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["status_page"]
    name: str
    slug: str
    custom_domain: str | None
    logo_url: Annotated[str | None, msgspec.Meta(description=(
        "Where the daemon serves the page's logo (/status/<slug>/logo?v=<version>); null: none. "
        "PUT /api/status-pages/{id}/logo sets it"))]
    accent_color: str | None
    footer_text: str | None
    password_protected: bool
    timezone: str
    published: bool
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class StatusPageSection(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["status_page_section"]
    status_page_id: str
    name: str
    position: int
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class StatusPageResource(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["status_page_resource"]
    status_page_id: str
    section_id: str | None
    position: int
    kind: Literal["monitor", "heartbeat", "group"]
    monitor_id: str | None
    heartbeat_id: str | None
    group_id: str | None
    public_name: str
    show_uptime: bool
    metadata: dict[str, str]
    created_at: int
    updated_at: int


class StatusReportUpdate(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["status_report_update"]
    status: ReportStatus
    message: str
    created_at: int


class StatusReport(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["status_report"]
    status_page_id: str
    title: str
    status: ReportStatus
    incident_id: str | None
    affected_resource_ids: list[str]
    updates: list[StatusReportUpdate]
    metadata: dict[str, str]
    created_at: int
    updated_at: int
    resolved_at: int | None


# -- bodies ----------------------------------------------------------------------------------

class StatusPageCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    slug: Slug
    custom_domain: Host | None = None
    accent_color: Color | None = None
    footer_text: Footer | None = None
    password: Password | None = None
    timezone: Timezone = "UTC"
    published: bool = False
    metadata: metadata.Metadata = {}
    GONE: ClassVar[dict[str, str]] = {"logo_url": LOGO_URL_GONE}


class StatusPageUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only what is given changes; null clears custom_domain, accent_color, footer_text,
    and password (the page is public again); metadata merges."""
    name: Name | Unset = UNSET
    slug: Slug | Unset = UNSET
    custom_domain: Host | None | Unset = UNSET
    accent_color: Color | None | Unset = UNSET
    footer_text: Footer | None | Unset = UNSET
    password: Password | None | Unset = UNSET
    timezone: Timezone | Unset = UNSET
    published: bool | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET
    GONE: ClassVar[dict[str, str]] = {"logo_url": LOGO_URL_GONE}


class SectionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    position: Position | None = None
    metadata: metadata.Metadata = {}


class SectionUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only what is given changes; metadata merges."""
    name: Name | Unset = UNSET
    position: Position | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET


class ResourceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Exactly one of monitor_id, heartbeat_id (each an id or a config key) and group_id
    (a grp_ id: the group's state is the worst of its members', its bars their mean)."""
    monitor_id: SubjectRef | None = None
    heartbeat_id: SubjectRef | None = None
    group_id: SubjectRef | None = None
    section_id: SubjectRef | None = None
    position: Position | None = None
    public_name: PublicName | None = None
    show_uptime: bool = True
    metadata: metadata.Metadata = {}


SUBJECTS = ("monitor_id", "heartbeat_id", "group_id")
across(ResourceCreate, {"oneOf": [{"required": [name], "properties": {name: {"type": "string"}}} for name in SUBJECTS]})


class ResourceUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a resource shows of its subject; the subject itself does not change."""
    section_id: SubjectRef | None | Unset = UNSET
    position: Position | Unset = UNSET
    public_name: PublicName | Unset = UNSET
    show_uptime: bool | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET


class ReportCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The report and its first update (status and message)."""
    title: Title
    message: Message
    status: ReportStatus = "investigating"
    incident_id: IncidentRef | None = None
    affected_resource_ids: ResourceIds = []
    metadata: metadata.Metadata = {}


class ReportUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The report's own fields (metadata merges); its status moves by appending an update."""
    title: Title | Unset = UNSET
    incident_id: IncidentRef | None | Unset = UNSET
    affected_resource_ids: ResourceIds | Unset = UNSET
    metadata: metadata.Metadata | Unset = UNSET


class ReportUpdateCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ReportStatus
    message: Message


# -- conversions -------------------------------------------------------------------------------

def logo_path(row: PageRow) -> str | None:
    """The page's logo under /status/<slug>, its version in the query: a new logo is a new
    URL, so the image may be cached for long."""
    return None if row.logo_etag is None else f"/status/{row.slug}/logo?v={row.logo_etag[:16]}"


def page_object(row: PageRow) -> StatusPage:
    return StatusPage(
        id=row.id, object="status_page", name=row.name, slug=row.slug, custom_domain=row.custom_domain,
        logo_url=logo_path(row), accent_color=row.accent_color, footer_text=row.footer_text,
        password_protected=row.password_hash is not None, timezone=row.timezone, published=row.published,
        metadata=dict(row.metadata), created_at=seconds(row.created_at), updated_at=seconds(row.updated_at))


def section_object(row: SectionRow, page_id: str) -> StatusPageSection:
    return StatusPageSection(id=row.id, object="status_page_section", status_page_id=page_id, name=row.name,
                             position=row.position, metadata=dict(row.metadata), created_at=seconds(row.created_at),
                             updated_at=seconds(row.updated_at))


def resource_object(row: ResourceRow, page_id: str) -> StatusPageResource:
    return StatusPageResource(
        id=row.id, object="status_page_resource", status_page_id=page_id, section_id=row.section_id,
        position=row.position, kind=row.kind, monitor_id=row.subject_id if row.kind == "monitor" else None,
        heartbeat_id=row.subject_id if row.kind == "heartbeat" else None,
        group_id=row.subject_id if row.kind == "group" else None,
        public_name=row.public_name, show_uptime=row.show_uptime, metadata=dict(row.metadata),
        created_at=seconds(row.created_at),
        updated_at=seconds(row.updated_at))


def update_id(seq: int) -> str:
    return seq_id("rpu", seq)


def report_object(row: ReportRow, page_id: str) -> StatusReport:
    return StatusReport(
        id=row.id, object="status_report", status_page_id=page_id, title=row.title, status=row.status,
        incident_id=row.incident_id, affected_resource_ids=list(row.affected),
        updates=[StatusReportUpdate(id=update_id(update.seq), object="status_report_update", status=update.status,
                                    message=update.message, created_at=seconds(update.created_at))
                 for update in row.updates],
        metadata=dict(row.metadata), created_at=seconds(row.created_at), updated_at=seconds(row.updated_at), resolved_at=seconds(row.resolved_at))
