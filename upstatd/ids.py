"""Prefixed random ids (`mon_…`, `inc_…`), the way Stripe names objects."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def seq_id(prefix: str, seq: int) -> str:
    """Id of a high-volume row (checks): derived from its integer key, so the
    table needs no second unique index. Stable, opaque, and sorts by length."""
    digits = []
    while True:
        seq, rem = divmod(seq, 62)
        digits.append(_ALPHABET[rem])
        if not seq:
            break
    return prefix + "_" + "".join(reversed(digits))


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
    return seq
