"""A runbook's markdown body -> HTML that is safe to serve: a pure function.

Why markdown-it-py: it follows CommonMark (what people who write runbooks in
GitHub or GitLab expect), it is maintained (the Executable Books project; rich
and Jupyter build on it), its options name what is turned off, and it takes one
hook for links. A runbook is written by whoever holds a token with
runbooks:create, and read by a responder who trusts upstatd's page; so:

- raw HTML is off: `<script>` or `<img onerror=...>` in the body is text;
- a link's target must be absolute http, https or mailto (`javascript:`,
  `data:`, `vbscript:`, a relative path to the daemon's own routes are not
  links, they stay text), and links get rel="nofollow noopener noreferrer";
- images are off (an image is a request to somewhere the author chose, with the
  token's page open: the page's CSP forbids it anyway);
- the body is cut at MAX_BODY characters before parsing (what one page costs to
  render is bounded), and markdown-it's nesting limit bounds deep lists/quotes.
"""

from __future__ import annotations

import urllib.parse
from typing import NamedTuple

from markdown_it import MarkdownIt

MAX_BODY = 100_000                          # characters of a body rendered; the API has the rest
SCHEMES = ("http", "https", "mailto")
REL = "nofollow noopener noreferrer"


class Rendered(NamedTuple):
    html: str
    cut: bool                               # the body was longer than MAX_BODY


def safe_link(url: str) -> bool:
    """Only absolute http(s) and mailto targets are links."""
    try:
        split = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return False
    if split.scheme.lower() not in SCHEMES:
        return False
    return bool(split.netloc) if split.scheme.lower() != "mailto" else bool(split.path)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = safe_link  # type: ignore[method-assign]

    def link_open(renderer, tokens, idx, options, env):
        tokens[idx].attrSet("rel", REL)
        return renderer.renderToken(tokens, idx, options, env)
    md.add_render_rule("link_open", link_open)
    return md


_md = _parser()


def render(body: str, limit: int = MAX_BODY) -> Rendered:
    """The body as HTML (see the module's docstring for what is refused)."""
    cut = len(body) > limit
    return Rendered(_md.render(body[:limit] if cut else body), cut)
