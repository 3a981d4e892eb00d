"""Body keywords: what a success ping's body says the job did (pure).

A heartbeat with `body_keywords` reads the body of each success ping (the
plain URL and `/0`), as much of it as is kept (`pings.body_limit`), decoded
as UTF-8 (a bad byte is a replacement character) and compared without
regard to case (str.casefold), a keyword anywhere in the body matching:

    a failure keyword   the ping is a failure (as /fail)
    else a success one  a success
    else a start one    a start (as /start, with the ping's rid)
    else                `otherwise`: success, failure or ignore (recorded as
                        `ignored`, changes nothing)

The order is Healthchecks' (failure, success, start), so a job that says
"0 errors, done" with `failure: [error]` fails: list keywords that only a
failure prints. `otherwise` defaults to `ignore` when success keywords are
listed (the success must be shown, as Healthchecks' filtering does) and to
`success` when none are (a run that printed no failure keyword succeeded).
A ping that names its own kind in the URL (`/start`, `/fail`, `/log`, an exit
status from 1 to 255) is never reclassified.
"""

from __future__ import annotations

import msgspec

OTHERWISE = ("success", "failure", "ignore")
MAX_KEYWORDS = 20       # per list
MAX_KEYWORD_LEN = 200   # characters
_KIND_OF = {"success": "success", "failure": "fail", "ignore": "ignored"}


class BodyKeywords(msgspec.Struct, frozen=True, kw_only=True):
    start: tuple[str, ...] = ()
    success: tuple[str, ...] = ()
    failure: tuple[str, ...] = ()
    otherwise: str = "success"


def default_otherwise(success: tuple[str, ...] | list[str]) -> str:
    return "ignore" if success else "success"


def classify(kind: str, body: bytes, keywords: BodyKeywords | None) -> str:
    """The kind a ping counts as: `kind` from its URL, reread from the body for a success."""
    if keywords is None or kind != "success":
        return kind
    text = body.decode("utf-8", "replace").casefold() if body else ""
    for found, words in (("fail", keywords.failure), ("success", keywords.success), ("start", keywords.start)):
        for word in words:
            if word.casefold() in text:
                return found
    return _KIND_OF[keywords.otherwise]
