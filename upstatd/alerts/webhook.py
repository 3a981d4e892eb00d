"""The template webhook sender: a JSON POST whose body is a Jinja2 template.

For a receiver that is neither Apprise's nor upstatd's signed webhooks (those
are delivery/webhooks.py): the body template is rendered in the same sandbox
as the messages (message.py), autoescape off, with the message's variables
(every fact, the derived ones such as `down_for` and `incident_url`, and the
rendered `subject` and `text`; `runbooks` on opened, reminder and escalated
messages: [{id, title, url, api_path, steps, more_steps}]). Use `|tojson` to put a value in: it quotes
and escapes it. DEFAULT_BODY is what is sent without a template.

The body must be valid JSON: a template that fails, or renders something
that does not parse, fails the attempt with a clear error and retry=False
(the same template would fail again). The receiver's failures: a non-2xx
answer (retry=False for 400-499 except 408 and 429, which may pass later),
a refused connection, a timeout (retry=True). Redirects are not followed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import aiohttp
from yarl import URL

import upstatd
from upstatd.alerts.message import Message, TemplateProblem, compile_template, render_template
from upstatd.delivery.outbox import Attempt
from upstatd.delivery.post import SessionUser, post, worth_retrying

TIMEOUT = 10.0

DEFAULT_BODY = """\
{
  "reason": {{ reason|tojson }},
  "subject": {{ subject|tojson }},
  "text": {{ text|tojson }},
  "severity": {{ severity|tojson }},
  "{{ kind }}": {"name": {{ name|tojson }}, "url": {{ url|tojson }}, "type": {{ type|tojson }}},
  "incident": {"id": {{ incident_id|tojson }}, "url": {{ incident_url|tojson }},
               "started_at": {{ since|tojson }}, "down_seconds": {{ down_seconds|round(3)|tojson }}},
  "error": {"kind": {{ error_kind|tojson }}, "message": {{ error_message|tojson }}},
  "acknowledge_url": {{ acknowledge_url|tojson }},
  "resolve_url": {{ resolve_url|tojson }},
  "runbooks": {{ runbooks|tojson }}
}
"""


class TemplateWebhookChannel(SessionUser):
    def __init__(self, url: str, *, body: str | None = None, headers: Mapping[str, str] | None = None,
                 timeout: float = TIMEOUT, session: aiohttp.ClientSession | None = None) -> None:
        self.url = url
        self.template = compile_template(body or DEFAULT_BODY, "body")  # TemplateProblem now, not at the first alert
        self.headers = {"Content-Type": "application/json",
                        "User-Agent": f"upstatd/{upstatd.__version__} (alerts)", **(headers or {})}
        self.timeout = timeout
        self.session = session

    def __repr__(self) -> str:  # the URL may hold a token: only its host
        return f"TemplateWebhookChannel({URL(self.url).host})"

    def body(self, message: Message) -> bytes:
        """The rendered body, checked to be JSON (TemplateProblem otherwise)."""
        text = render_template(self.template, message.context, "body")
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateProblem(f"body template did not make valid JSON: {exc.msg} "
                                  f"at line {exc.lineno} column {exc.colno}") from None
        return text.encode()

    async def send(self, message: Message) -> Attempt:
        started = time.perf_counter()
        try:
            data = self.body(message)
        except TemplateProblem as exc:
            return Attempt(False, None, _ms(started), str(exc), False)
        session = await self._session()
        posted = await post(session, self.url, data, self.headers, self.timeout)
        status, error = posted.status, posted.error
        return Attempt(error is None, status, _ms(started), error, worth_retrying(status, error))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
