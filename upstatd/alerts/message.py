"""The facts of an alert -> the message people read: a pure function.

`render(facts, public_url, channel_type, templates)` builds the template
variables from the facts (durations, UTC times, the incident link), then
renders a subject, a plain text and an HTML body with Jinja2. Every template
runs in a SandboxedEnvironment (a template is config, and config can be
written by someone who should not reach Python's internals); the HTML one has
autoescape on, so a monitor named `<script>` is text, not markup. Undefined
names are errors (StrictUndefined), not silent blanks.

The runbooks of the incident (its monitor's, its service's, its dependencies',
store/runbook_reads.py) are not facts of the moment the alert was made: the
dispatcher reads them when it sends an opened, reminder or escalated message
and puts them in `runbooks` (RunbookNote: the title, the page's signed link,
the first FIRST_STEPS steps and how many more), as it does the one-click links.

Each channel type has default templates (DEFAULTS); a caller overrides any
of them with a dict of template strings ({"subject": ..., "text": ...,
"html": ...}). A template that does not compile or fails while rendering
raises TemplateProblem, naming the template.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from typing import Any, Literal

import jinja2
import msgspec
from jinja2.sandbox import SandboxedEnvironment

Kind = Literal["monitor", "heartbeat", "incident"]  # incident: a manual one, about no subject
Reason = Literal["opened", "reminder", "escalated", "acknowledged", "resolved", "test"]
REASONS: tuple[str, ...] = Reason.__args__  # type: ignore[attr-defined]
PARTS = ("subject", "text", "html")


class Phase(msgspec.Struct, frozen=True):
    """One phase of the last check (dns, connect, tls, first_byte, ...) and its milliseconds."""
    name: str
    ms: float


FIRST_STEPS = 3                          # steps of a runbook a message shows; the page shows them all
RUNBOOK_REASONS = ("opened", "reminder", "escalated")  # the messages that carry runbooks


class RunbookNote(msgspec.Struct, frozen=True, kw_only=True):
    """A runbook as a message names it (made at send time: notes())."""
    id: str
    title: str
    url: str | None                      # the read-only page with a signed token; None without public_url
    api_path: str                        # /api/runbooks/<id>: the API's copy (a token with runbooks:read)
    steps: tuple[str, ...] = ()          # the first FIRST_STEPS
    more_steps: int = 0                  # how many steps there are past those


def notes(runbooks, url_of) -> tuple[RunbookNote, ...]:
    """(id, title, steps) of each runbook -> its RunbookNote; url_of(runbook id) -> its page link or None."""
    return tuple(RunbookNote(id=runbook_id, title=title, url=url_of(runbook_id), api_path=f"/api/runbooks/{runbook_id}",
                             steps=tuple(steps[:FIRST_STEPS]), more_steps=max(0, len(steps) - FIRST_STEPS))
                 for runbook_id, title, steps in runbooks)


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What an alert is about, as plain data (times are wall seconds)."""
    kind: Kind
    name: str
    reason: Reason
    incident_id: str
    started_at: float                    # when the incident opened (down since)
    at: float                            # when this message is made (the caller's clock)
    url: str | None = None               # the target (a monitor's URL or host:port)
    type: str | None = None              # the monitor's type (http, tcp, ...) or the heartbeat's schedule kind
    resolved_at: float | None = None     # set for a recovery
    error_kind: str | None = None        # ProbeResult error kind (timeout, refused, status, ...)
    error_message: str | None = None
    phases: tuple[Phase, ...] = ()
    severity: str = "critical"
    acknowledged_by: str | None = None
    acknowledge_url: str | None = None   # one-click links, made and signed by the caller
    resolve_url: str | None = None
    runbooks: tuple[RunbookNote, ...] = ()  # read by the dispatcher at send time (RUNBOOK_REASONS only)


class Message(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    text: str
    html: str
    facts: Facts
    context: dict[str, Any]              # the template variables (a webhook body template reads them too)


class TemplateProblem(ValueError):
    """A template that does not compile, or fails when rendered."""


def duration(seconds: float) -> str:
    """A short human duration: 45s, 3m 12s, 2h 5m, 1d 4h."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def utc(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def incident_link(public_url: str | None, incident_id: str) -> str | None:
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/api/incidents/{incident_id}"


HEADLINES = {
    "opened": "DOWN",
    "reminder": "STILL DOWN",
    "escalated": "ESCALATED",
    "acknowledged": "ACKNOWLEDGED",
    "resolved": "RECOVERED",
    "test": "TEST",
}


def context(facts: Facts, public_url: str | None) -> dict[str, Any]:
    """The template variables: every fact, plus what is derived from them."""
    values = msgspec.structs.asdict(facts)
    values["phases"] = [{"name": p.name, "ms": p.ms} for p in facts.phases]
    values["runbooks"] = [{"id": r.id, "title": r.title, "url": r.url, "api_path": r.api_path, "steps": list(r.steps),
                           "more_steps": r.more_steps} for r in facts.runbooks]
    end = facts.resolved_at if facts.resolved_at is not None else facts.at
    values.update(
        headline=HEADLINES[facts.reason],
        recovered=facts.reason == "resolved",
        since=utc(facts.started_at),
        now=utc(facts.at),
        resolved=utc(facts.resolved_at) if facts.resolved_at is not None else None,
        down_seconds=max(0.0, end - facts.started_at),
        down_for=duration(end - facts.started_at),
        incident_url=incident_link(public_url, facts.incident_id),
        error=": ".join(x for x in (facts.error_kind, facts.error_message) if x) or None,
    )
    return values


# -- default templates ------------------------------------------------------------

SUBJECT = (
    "[{{ headline }}] {{ kind }} {{ name }}"
    "{% if recovered %} is up again after {{ down_for }}"
    "{% elif reason == 'test' %}: a test message from upstatd"
    "{% elif reason == 'acknowledged' %} acknowledged{% if acknowledged_by %} by {{ acknowledged_by }}{% endif %}"
    "{% else %} is down{% if error_kind %} ({{ error_kind }}){% endif %}{% endif %}")

TEXT = """\
{% if reason == 'test' -%}
This is a test message from upstatd for the alert channel: if you read it, the channel works.
{% endif -%}
{{ kind|capitalize }}: {{ name }}
{% if url %}Target: {{ url }}
{% endif %}{% if type %}Type: {{ type }}
{% endif %}Severity: {{ severity }}
{% if recovered -%}
Recovered at {{ resolved }} after being down for {{ down_for }} (down since {{ since }}).
{% else -%}
Down since {{ since }} ({{ down_for }}).
{% endif -%}
{% if reason == 'acknowledged' %}Acknowledged{% if acknowledged_by %} by {{ acknowledged_by }}{% endif %}.
{% endif -%}
{% if error and not recovered %}Error: {{ error }}
{% endif -%}
{% if phases %}Last check: {% for p in phases %}{{ p.name }} {{ '%.0f'|format(p.ms) }} ms{% if not loop.last %}, {% endif %}{% endfor %}
{% endif -%}
{% for rb in runbooks %}{% if loop.first %}
Runbooks:
{% endif %}- {{ rb.title }}{% if rb.url %}: {{ rb.url }}{% else %} (API: {{ rb.api_path }}){% endif %}
{% for step in rb.steps %}  {{ loop.index }}. {{ step }}
{% endfor %}{% if rb.more_steps %}  ... {{ rb.more_steps }} more step{{ 's' if rb.more_steps != 1 }}
{% endif %}{% if loop.last %}
{% endif %}{% endfor -%}
Incident: {{ incident_id }}{% if incident_url %} {{ incident_url }}{% endif %}
{% if acknowledge_url and not recovered %}Acknowledge: {{ acknowledge_url }}
{% endif -%}
{% if resolve_url and not recovered %}Resolve: {{ resolve_url }}
{% endif -%}
"""

HTML = """\
<!doctype html>
<html><body style="font-family: sans-serif">
{% if reason == 'test' %}<p>This is a test message from upstatd for the alert channel: if you read it, the channel works.</p>
{% endif %}<h2>{{ headline }}: {{ kind }} {{ name }}</h2>
<table>
{% if url %}<tr><th align="left">Target</th><td>{{ url }}</td></tr>
{% endif %}{% if type %}<tr><th align="left">Type</th><td>{{ type }}</td></tr>
{% endif %}<tr><th align="left">Severity</th><td>{{ severity }}</td></tr>
{% if recovered %}<tr><th align="left">Recovered</th><td>{{ resolved }}, down for {{ down_for }} (since {{ since }})</td></tr>
{% else %}<tr><th align="left">Down since</th><td>{{ since }} ({{ down_for }})</td></tr>
{% endif %}{% if reason == 'acknowledged' %}<tr><th align="left">Acknowledged</th><td>{{ acknowledged_by or 'yes' }}</td></tr>
{% endif %}{% if error and not recovered %}<tr><th align="left">Error</th><td>{{ error }}</td></tr>
{% endif %}{% if phases %}<tr><th align="left">Last check</th><td>{% for p in phases %}{{ p.name }} {{ '%.0f'|format(p.ms) }} ms{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endif %}<tr><th align="left">Incident</th><td>{% if incident_url %}<a href="{{ incident_url }}">{{ incident_id }}</a>{% else %}{{ incident_id }}{% endif %}</td></tr>
</table>
{% if runbooks %}<h3>Runbooks</h3>
{% for rb in runbooks %}<p><strong>{% if rb.url %}<a href="{{ rb.url }}">{{ rb.title }}</a>{% else %}{{ rb.title }}{% endif %}</strong>{% if not rb.url %} (API: {{ rb.api_path }}){% endif %}</p>
{% if rb.steps %}<ol>
{% for step in rb.steps %}<li>{{ step }}</li>
{% endfor %}</ol>
{% endif %}{% if rb.more_steps %}<p>... {{ rb.more_steps }} more step{{ 's' if rb.more_steps != 1 }}{% if rb.url %}: <a href="{{ rb.url }}">read them all</a>{% endif %}</p>
{% endif %}{% endfor %}{% endif %}{% if not recovered and (acknowledge_url or resolve_url) %}<p>
{% if acknowledge_url %}<a href="{{ acknowledge_url }}">Acknowledge</a>{% endif %}
{% if resolve_url %}<a href="{{ resolve_url }}">Resolve</a>{% endif %}
</p>
{% endif %}</body></html>
"""

# A chat message (Apprise) is short: the subject is its title, the text its body.
CHAT_TEXT = """\
{{ kind|capitalize }} {{ name }}{% if url %} ({{ url }}){% endif %}: \
{% if recovered %}up again after {{ down_for }}\
{% else %}down since {{ since }} ({{ down_for }}){% if error %}, {{ error }}{% endif %}{% endif %}.
{% if reason == 'acknowledged' %}Acknowledged{% if acknowledged_by %} by {{ acknowledged_by }}{% endif %}.
{% endif %}{% for rb in runbooks %}Runbook: {{ rb.title }}{% if rb.url %} {{ rb.url }}{% else %} (API: {{ rb.api_path }}){% endif %}
{% for step in rb.steps %}  {{ loop.index }}. {{ step }}
{% endfor %}{% if rb.more_steps %}  ... {{ rb.more_steps }} more step{{ 's' if rb.more_steps != 1 }}
{% endif %}{% endfor %}{% if incident_url %}Incident: {{ incident_url }}
{% endif %}{% if acknowledge_url and not recovered %}Acknowledge: {{ acknowledge_url }}
{% endif %}"""

DEFAULTS: dict[str, dict[str, str]] = {
    "email": {"subject": SUBJECT, "text": TEXT, "html": HTML},
    "apprise": {"subject": SUBJECT, "text": CHAT_TEXT, "html": HTML},
    "webhook": {"subject": SUBJECT, "text": TEXT, "html": HTML},
}

# -- environments ----------------------------------------------------------------

@jinja2.pass_eval_context
def _tojson(eval_ctx, value, indent=None):
    """Jinja2's tojson, with an undefined name (or one the sandbox refused) its own clear error."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return jinja2.filters.do_tojson(eval_ctx, value, indent)


def _sandbox(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=autoescape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["tojson"] = _tojson
    return env


_plain = _sandbox(False)
_html = _sandbox(True)


def environment(part: str) -> SandboxedEnvironment:
    """The sandbox a part renders in: HTML escapes, the others do not."""
    return _html if part == "html" else _plain


@functools.lru_cache(maxsize=256)
def compile_template(source: str, part: str) -> jinja2.Template:
    """Compiled once per (source, part): the defaults and each channel's overrides."""
    try:
        return environment(part).from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"{part} template, line {exc.lineno}: {exc.message}") from None


def render_template(template: jinja2.Template, values: Mapping[str, Any], part: str) -> str:
    try:
        return template.render(values)
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"{part} template: refused by the sandbox: {exc}") from None
    except jinja2.TemplateError as exc:
        raise TemplateProblem(f"{part} template: {exc}") from None
    except Exception as exc:  # a template can divide by zero, index past the end, ...
        raise TemplateProblem(f"{part} template: {type(exc).__name__}: {exc}") from None


def check_templates(templates: Mapping[str, str]) -> None:
    """Compile the overrides (for a config check): TemplateProblem on the first bad one."""
    for part, source in templates.items():
        if part not in PARTS:
            raise TemplateProblem(f"unknown template {part!r}: expected one of {', '.join(PARTS)}")
        compile_template(source, part)


# -- a digest: the alerts of a flood in one message (alerts/flood.py) ------------------

DIGEST_SUBJECT = ("[DIGEST] {{ count }} alerts: "
                  "{% for headline, n in counts %}{{ n }} {{ headline }}{% if not loop.last %}, {% endif %}{% endfor %}")

DIGEST_TEXT = """\
{{ count }} alerts came within a short time; they are listed together here, not sent one by one.
{% for a in alerts %}
[{{ a.headline }}] {{ a.kind }} {{ a.name }}{% if a.url %} ({{ a.url }}){% endif %}: \
{% if a.recovered %}up again after {{ a.down_for }}{% else %}down since {{ a.since }}\
{% if a.error %}, {{ a.error }}{% endif %}{% endif %}{% if a.incident_url %} {{ a.incident_url }}{% endif %}
{%- endfor %}
"""

DIGEST_HTML = """\
<!doctype html>
<html><body style="font-family: sans-serif">
<p>{{ count }} alerts came within a short time; they are listed together here, not sent one by one.</p>
<table>
<tr><th align="left">State</th><th align="left">Name</th><th align="left">Target</th><th align="left">Since</th><th align="left">Error</th></tr>
{% for a in alerts %}<tr><td>{{ a.headline }}</td><td>{% if a.incident_url %}<a href="{{ a.incident_url }}">{{ a.name }}</a>{% else %}{{ a.name }}{% endif %}</td><td>{{ a.url or '' }}</td><td>{{ a.since }}{% if a.recovered %} (down for {{ a.down_for }}){% endif %}</td><td>{{ a.error or '' }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def render_digest(members: list[Facts], public_url: str | None = None) -> Message:
    """Several alerts as one message. Its facts are the first alert's; its template
    variables add `digest` (true), `count`, `counts` and `alerts` (each alert's variables)."""
    if not members:
        raise ValueError("a digest needs at least one alert")
    alerts = [context(facts, public_url) for facts in members]
    counts: dict[str, int] = {}
    for values in alerts:
        counts[values["headline"]] = counts.get(values["headline"], 0) + 1
    values = {**alerts[0], "reason": "digest", "digest": True, "count": len(alerts), "counts": list(counts.items()),
              "alerts": alerts}
    subject = " ".join(render_template(compile_template(DIGEST_SUBJECT, "subject"), values, "subject").split())
    text = render_template(compile_template(DIGEST_TEXT, "text"), values, "text")
    html = render_template(compile_template(DIGEST_HTML, "html"), values, "html")
    return Message(subject=subject, text=text, html=html, facts=members[0],
                   context={**values, "subject": subject, "text": text})


def render(facts: Facts, public_url: str | None = None, channel_type: str = "email",
           templates: Mapping[str, str] | None = None) -> Message:
    """facts -> Message (subject on one line, text, HTML), with the channel
    type's defaults under the caller's overrides."""
    sources = dict(DEFAULTS.get(channel_type, DEFAULTS["email"]))
    if templates:
        check_templates(templates)
        sources.update(templates)
    values = context(facts, public_url)
    out = {}
    for part in PARTS:
        out[part] = render_template(compile_template(sources[part], part), values, part)
    subject = " ".join(out["subject"].split())  # one header line, whatever the template did
    values = {**values, "subject": subject, "text": out["text"]}
    return Message(subject=subject, text=out["text"], html=out["html"], facts=facts, context=values)
