"""Prefixed ids (`mon_…`, `inc_…`), the way Stripe names objects.

Objects made now and then get random ids (`new_id`). High-volume rows (checks,
pings, incident updates, webhook deliveries) get ids derived from their integer
key (`seq_id`), so their tables need no second unique index: the row number
goes through a keyed permutation of 64-bit integers (a 4-round Feistel network
whose round function is keyed BLAKE2s) and is written as 11 base62 characters.
Ids are then fixed-width and say nothing about how many rows exist or which
row comes next, yet map back to exactly one row.

The key is one per installation (32 random bytes kept in the database's
`settings` table, store/settings.py) and never changes, while ids are
serialized in many places (API answers, event payloads, cursors): so it is set
once for the process at start (`use_key`) instead of being passed to each call.
"""

from __future__ import annotations

import os
from hashlib import blake2b, blake2s

MAX_SEQ = 2 ** 63 - 1       # SQLite's largest INTEGER PRIMARY KEY
SEQ_WIDTH = 11              # 62**11 > 2**64: every 64-bit value fits
KEY_SIZE = 32
ROUNDS = 4                  # the fewest for a permutation that also resists chosen inverses
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGIT = {ch: index for index, ch in enumerate(_ALPHABET)}
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # two digits per lookup: encoding is hot
_PAIR_VALUE = {pair: value for value, pair in enumerate(_PAIRS)}
_FOUR = 62 ** 4
_HALF = 0xFFFFFFFF

_key: bytes | None = None
_rounds: dict[str, tuple] = {}  # prefix -> its keyed round hashers, made on first use


def _base62(number: int) -> str:
    digits = []
    while True:
        number, rem = divmod(number, 62)
        digits.append(_ALPHABET[rem])
        if not number:
            return "".join(reversed(digits))


RANDOM_POOL = 256  # 128-bit values read from the kernel at once (os.urandom, as secrets does)


def _fill() -> list[int]:
    pool = os.urandom(16 * RANDOM_POOL)
    return [int.from_bytes(pool[at:at + 16]) for at in range(0, len(pool), 16)]


# One getrandom() per RANDOM_POOL ids, not per id: on the daemon's loop each of those
# calls gave up the GIL to the writer's thread (a flip makes two or three ids). next()
# on a list iterator is atomic under the GIL, so no two threads ever take the same value;
# a fork's child starts a pool of its own.
_randoms = iter(())
os.register_at_fork(after_in_child=lambda: globals().update(_randoms=iter(())))


def new_id(prefix: str) -> str:
    """prefix_ and 22 base62 characters: 128 random bits."""
    global _randoms
    number = next(_randoms, None)
    if number is None:
        fresh = iter(_fill())
        number = next(fresh)
        _randoms = fresh
    return f"{prefix}_{_digits(number)}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` new_id(prefix)s from one read of the system's randomness (a reconcile of
    100,000 new monitors: one system call, not 100,000), sorted: rows made together are
    inserted in their id index's order, a third less time for the INSERT."""
    randomness = os.urandom(16 * count)
    return sorted(f"{prefix}_{_digits(int.from_bytes(randomness[at:at + 16]))}"
                  for at in range(0, 16 * count, 16))


def _digits(number: int) -> str:
    """A 128-bit number's 22 base62 digits (62**22 > 2**128), two per lookup: the top
    pair, then five chunks of four."""
    number, e = divmod(number, _FOUR)
    number, d = divmod(number, _FOUR)
    number, c = divmod(number, _FOUR)
    number, b = divmod(number, _FOUR)
    top, a = divmod(number, _FOUR)
    pairs = _PAIRS
    return (f"{pairs[top]}{pairs[a // 3844]}{pairs[a % 3844]}{pairs[b // 3844]}{pairs[b % 3844]}"
            f"{pairs[c // 3844]}{pairs[c % 3844]}{pairs[d // 3844]}{pairs[d % 3844]}"
            f"{pairs[e // 3844]}{pairs[e % 3844]}")


def use_key(key: bytes) -> None:
    """Set the installation's id key (Daemon.start, before anything serializes an
    id). One installation per process: a second daemon started in the same
    process (tests do) changes the ids the first one gives out from then on."""
    global _key
    if len(key) != KEY_SIZE:
        raise ValueError(f"the id key is {KEY_SIZE} bytes, not {len(key)}")
    if key != _key:
        _key = key
        _rounds.clear()


def _rounds_of(prefix: str) -> tuple:
    rounds = _rounds.get(prefix)
    if rounds is None:
        if _key is None:
            raise RuntimeError("no id key: call upstatd.ids.use_key() with the installation's key "
                               "(store.settings.id_key) before making or reading row ids")
        # The prefix is in every round key: chk_X and png_X never name the same row number.
        hashers = tuple(blake2s(key=blake2b(bytes([index]) + prefix.encode(), key=_key, digest_size=32).digest(),
                                digest_size=4)
                        for index in range(ROUNDS))
        first = hashers[0].copy()
        first.update(bytes(4))
        rounds = _rounds[prefix] = hashers + (int.from_bytes(first.digest()),)
    return rounds


# The permutation: a 4-round Feistel network over the two 32-bit halves, written
# in place (each round XORs the keyed hash of one half into the other). Its
# rounds are spelled out in seq_id, not looped: that runs for every id of every
# list page. The first round reads the high half, 0 for every row below 2**32,
# so its value for 0 is kept (the last item of `rounds`): a quarter less work.
# Copying a keyed hasher skips absorbing the key again: half the cost of a new one.

def _unpermute(value: int, rounds: tuple) -> int:
    """seq_id's rounds, backwards."""
    one, two, three, four, one_of_zero = rounds
    high, low = value >> 32, value & _HALF
    step = four.copy()
    step.update(low.to_bytes(4))
    high ^= int.from_bytes(step.digest())
    step = three.copy()
    step.update(high.to_bytes(4))
    low ^= int.from_bytes(step.digest())
    step = two.copy()
    step.update(low.to_bytes(4))
    high ^= int.from_bytes(step.digest())
    if high:
        step = one.copy()
        step.update(high.to_bytes(4))
        low ^= int.from_bytes(step.digest())
    else:
        low ^= one_of_zero
    return (high << 32) | low


def seq_id(prefix: str, seq: int) -> str:
    """Id of a high-volume row: prefix_ and 11 base62 characters, a keyed
    permutation of its integer key (1 .. 2**63-1)."""
    if not 0 < seq <= MAX_SEQ:
        raise ValueError(f"row number out of range: {seq}")
    one, two, three, four, one_of_zero = _rounds.get(prefix) or _rounds_of(prefix)
    high, low = seq >> 32, seq & _HALF
    if high:
        step = one.copy()
        step.update(high.to_bytes(4))
        low ^= int.from_bytes(step.digest())
    else:
        low ^= one_of_zero
    step = two.copy()
    step.update(low.to_bytes(4))
    high ^= int.from_bytes(step.digest())
    step = three.copy()
    step.update(high.to_bytes(4))
    low ^= int.from_bytes(step.digest())
    step = four.copy()
    step.update(low.to_bytes(4))
    high ^= int.from_bytes(step.digest())
    top, low = divmod((high << 32) | low, _FOUR)  # three chunks of 3, 4 and 4 digits,
    top, mid = divmod(top, _FOUR)                 # each written two digits at a time
    pairs = _PAIRS
    return (f"{prefix}_{_ALPHABET[top // 3844]}{pairs[top % 3844]}{pairs[mid // 3844]}{pairs[mid % 3844]}"
            f"{pairs[low // 3844]}{pairs[low % 3844]}")


def parse_seq_id(prefix: str, value: str) -> int | None:
    """The row number of a seq_id, or None for anything no seq_id(prefix, …) makes."""
    head = prefix + "_"
    if len(value) != len(head) + SEQ_WIDTH or not value.startswith(head):
        return None
    start = len(head)
    number = _DIGIT.get(value[start])
    if number is None:
        return None
    for at in range(start + 1, start + SEQ_WIDTH, 2):
        pair = _PAIR_VALUE.get(value[at:at + 2])
        if pair is None:
            return None
        number = number * 3844 + pair
    if number >> 64:  # 11 characters reach past 64 bits
        return None
    seq = _unpermute(number, _rounds.get(prefix) or _rounds_of(prefix))
    return seq if 0 < seq <= MAX_SEQ else None  # 0 and beyond SQLite's integers: no such row
