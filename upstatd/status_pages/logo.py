"""A status page's logo, checked before it is stored: an image of one of the
types a browser shows in an <img> (PNG, SVG, WebP, JPEG), named by the
request's Content-Type and agreeing with the file's first bytes, of at most
MAX_BYTES. The daemon serves it itself, so the page loads nothing from
another origin; an SVG is served as an image with its own CSP that forbids
scripts (it is never put inline in the page)."""

from __future__ import annotations

import hashlib
import re

from upstatd.errors import Invalid, Malformed

MAX_BYTES = 256 * 1024
TYPES = ("image/png", "image/svg+xml", "image/webp", "image/jpeg")
_SVG_ROOT = re.compile(rb"<svg[\s>/]")
_SVG_START = (b"<?xml", b"<svg", b"<!--", b"<!doctype svg")


def _looks_like(content_type: str, data: bytes) -> bool:
    if content_type == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if content_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.lower().startswith(_SVG_START) and _SVG_ROOT.search(head) is not None


def checked(content_type: str, data: bytes) -> tuple[str, str]:
    """-> (the media type, the ETag) of an acceptable logo; Malformed (400) naming
    Content-Type or the body when it is not one, Invalid (422) when it is too big."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in TYPES:
        raise Malformed(f"send the logo as one of {', '.join(TYPES)}, not {media or 'no Content-Type'}",
                        "Content-Type")
    if not data:
        raise Malformed("the body is empty: send the logo image", "body")
    if len(data) > MAX_BYTES:
        raise Invalid(f"the logo is {len(data)} bytes; the most is {MAX_BYTES} ({MAX_BYTES // 1024} KiB)", "body")
    if not _looks_like(media, data):
        raise Malformed(f"the body is not a {media} image (its first bytes say otherwise)", "body")
    if media == "image/svg+xml" and b"<!entity" in data.lower():
        # entities expand (a "billion laughs" logo would hang a visitor's browser); a logo needs none
        raise Malformed("an SVG logo may not declare XML entities", "body")
    return media, hashlib.sha256(data).hexdigest()[:32]
