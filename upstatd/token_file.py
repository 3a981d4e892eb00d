"""Reading a secret from a file only its owner may read (`upstatd mcp`'s API token,
`upstatd agent`'s agent token): refused otherwise, as ssh refuses a private key
others can read."""

from __future__ import annotations

import os
import stat


class TokenFileError(Exception):
    """Why the file cannot be used; the message names it and says how to fix it."""


def read_token_file(path: str, label: str) -> str:
    """The file's text, stripped. `label` starts every message (`--token-file /x`)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise TokenFileError(f"{label}: cannot read it: {exc.strerror}") from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenFileError(f"{label}: group or others may read it (mode {stat.S_IMODE(mode):04o}); "
                                 f"make it readable by its owner only: chmod 600 {path}")
        token = handle.read().strip()
    if not token:
        raise TokenFileError(f"{label} is empty")
    return token
