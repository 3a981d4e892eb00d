"""Prefixed ids (`mon_…`, `inc_…`), the way Stripe names objects."""

from __future__ import annotations

import secrets

MAX_SEQ = 2 ** 63 - 1
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(number: int) -> str:
    digits = []
    while True:
        number, rem = divmod(number, 62)
        digits.append(_ALPHABET[rem])
        if not number:
            return "".join(reversed(digits))


def new_id(prefix: str) -> str:
    """prefix_ and 22 base62 characters: 128 random bits."""
    return prefix + "_" + _base62(secrets.randbits(128)).rjust(22, "0")


def seq_id(prefix: str, seq: int) -> str:
    """Id of a high-volume row (checks): derived from its integer key, so the
    table needs no second unique index. Stable and opaque."""
    return prefix + "_" + _base62(seq)


def parse_seq_id(prefix: str, value: str) -> int | None:
    head = prefix + "_"
    if not value.startswith(head) or len(value) == len(head):
        return None
    seq = 0
    for ch in value[len(head):]:
        index = _ALPHABET.find(ch)
        if index < 0:
            return None
        seq = seq * 62 + index
    return seq if seq <= MAX_SEQ else None  # beyond SQLite's integers: no such row
