"""What the pages behind the links in alerts share: the acknowledge/resolve page
(api/links.py) and the runbook page (api/runbook_page.py).

Their URL carries a credential, so every answer has headers that keep it out of
caches, referrers and frames, and a Content-Security-Policy allowing no script
and no external resource (inline CSS; a form to the page itself where it acts).
Both are one small card in the same HTML head and base style; each page adds its
own rules and its main content:

    TEMPLATE = link_pages.template(width="36rem", style="dt { ... }", main="<dl>...</dl>")
    response.headers.update(link_pages.headers(form_action="'self'"))
"""

from __future__ import annotations

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{ heading }} - upstatd</title>
<style>
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f4f5f7;
       color: #1d2433; }
main { max-width: %(width)s; margin: 2.5rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px;
       box-shadow: 0 1px 3px rgba(0, 0, 0, .15); overflow-wrap: anywhere; }
h1 { font-size: 1.35rem; margin: 0 0 1rem; }
.note { color: #5a6275; font-size: .9rem; }
%(style)s
</style>
</head>
<body>
<main>
<h1>{{ heading }}</h1>
%(main)s
</main>
</body>
</html>
"""


def template(*, width: str, style: str, main: str) -> Template:
    """A page: the shared head and card, `style` rules added, `main` (Jinja, autoescaped) under the heading."""
    source = _PAGE % {"width": width, "style": style.strip(), "main": main.strip()}
    return SandboxedEnvironment(autoescape=True).from_string(source)


def headers(*, form_action: str) -> dict[str, str]:
    """`form_action`: "'self'" for a page that posts to itself, "'none'" for one that only shows."""
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; form-action {form_action}; "
                                   "frame-ancestors 'none'; base-uri 'none'",
    }
