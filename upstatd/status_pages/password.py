"""A status page's password, stored as a salted scrypt hash (never in clear,
never shown). The renderer checks a visitor's try with `verify`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt's cost: ~16 MiB and a few tens of ms, once per visitor's try
N, R, P = 2 ** 14, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    """-> "scrypt$N$r$p$salt$hash" (base64). Slow on purpose: call it off the loop."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify(password: str, stored: str | None) -> bool:
    """Whether `password` is the one `stored` was made from; a page without one takes none."""
    if stored is None:
        return True
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        tried = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(tried, base64.b64decode(digest))
