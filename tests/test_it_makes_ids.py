"""Prefixed ids: random for objects; for high-volume rows a keyed permutation
of the row number, fixed-width, that maps back to exactly that row."""

from __future__ import annotations

import random
import re

import pytest

from upstatd import ids
from upstatd.ids import MAX_SEQ, new_id, new_ids, parse_seq_id, seq_id

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
OTHER_KEY = bytes(range(100, 132))
EDGES = [1, 2, 61, 62, 63, 3_844, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**62, MAX_SEQ - 1, MAX_SEQ]
LARGE = random.Random(11).sample(range(1, MAX_SEQ + 1), 2_000)


def base62(number: int, width: int = 11) -> str:
    digits = ""
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits = ALPHABET[digit] + digits
    return digits


def feistel(prefix: str, value: int) -> int:
    """The permutation as docs/architecture.md states it, spelled out here again
    (without the module's shortcuts): a 4-round Feistel network over 32-bit
    halves, round i XORing blake2s-32(round key i, one half) into the other."""
    high, low = value >> 32, value & 0xFFFFFFFF
    for index, hasher in enumerate(ids._rounds_of(prefix)[:4]):
        step = hasher.copy()
        step.update((high if index % 2 == 0 else low).to_bytes(4, "big"))
        if index % 2 == 0:
            low ^= int.from_bytes(step.digest(), "big")
        else:
            high ^= int.from_bytes(step.digest(), "big")
    return (high << 32) | low


def test_it_makes_unique_prefixed_random_ids():
    made = {new_id("mon") for _ in range(10_000)}
    assert len(made) == 10_000
    assert all(re.fullmatch(r"mon_[0-9A-Za-z]{22}", value) for value in made)


def test_it_makes_random_ids_in_bulk_like_one_at_a_time():
    made = new_ids("mon", 10_000)
    assert len(set(made)) == 10_000 and made == sorted(made)
    assert all(re.fullmatch(r"mon_[0-9A-Za-z]{22}", value) for value in made)
    # the digits spell a number in base 62 below 2**128, as new_id's do
    values = [sum(ALPHABET.index(ch) * 62 ** power for power, ch in enumerate(reversed(value[4:])))
              for value in made]
    assert max(values) < 2 ** 128 and max(values) > 2 ** 127  # 10,000 draws reach the top half
    assert new_ids("hbt", 0) == []


@pytest.mark.parametrize("seqs", [range(1, 20_001), EDGES, LARGE], ids=["1..20000", "edges", "random large"])
def test_it_round_trips_row_numbers_through_fixed_width_ids(seqs):
    made = [seq_id("chk", seq) for seq in seqs]
    assert all(re.fullmatch(r"chk_[0-9A-Za-z]{11}", value) for value in made)
    assert [parse_seq_id("chk", value) for value in made] == list(seqs)
    assert len(set(made)) == len(made)  # one id per row: a bijection on the sample


@pytest.mark.parametrize("seq", EDGES + LARGE[:50])
def test_the_suffix_is_the_stated_permutation_in_base62(seq):
    assert seq_id("chk", seq) == "chk_" + base62(feistel("chk", seq))


def test_every_64_bit_suffix_is_a_row_or_refused():
    """Half of all 64-bit values permute to beyond SQLite's integers: refused, never
    wrapped onto another row; the others come back as the id they were read from."""
    rng = random.Random(7)
    refused = 0
    for _ in range(4_000):
        value = "chk_" + base62(rng.getrandbits(64))
        seq = parse_seq_id("chk", value)
        if seq is None:
            refused += 1
        else:
            assert seq_id("chk", seq) == value
    assert 1_700 < refused < 2_300


@pytest.mark.parametrize("value, why", [
    ("", "empty"),
    ("chk_", "no suffix"),
    ("chk", "no separator"),
    ("png_" + "0" * 11, "another prefix"),
    ("chkx" + "0" * 11, "another separator"),
    ("CHK_" + "0" * 11, "prefix in another case"),
    ("chk_" + "0" * 10, "one character short"),
    ("chk_" + "0" * 12, "one character long"),
    ("chk_F", "the old variable-width form"),
    ("chk_" + "0" * 10 + "-", "not base62"),
    ("chk_ " + "0" * 10, "a space"),
    ("chk_" + "0" * 10 + "é", "not ASCII"),
    ("chk_" + "0" * 10 + "\x00", "a NUL"),
    ("chk_" + "z" * 11, "beyond 64 bits"),
    ("chk_" + base62(2**64), "2**64 exactly"),
])
def test_it_refuses_what_no_seq_id_makes(value, why):
    assert parse_seq_id("chk", value) is None, why


@pytest.mark.parametrize("target", [0, 2**63, 2**64 - 1], ids=["row 0", "2**63", "2**64-1"])
def test_it_refuses_suffixes_that_decode_outside_sqlite_rows(target):
    assert parse_seq_id("chk", "chk_" + base62(feistel("chk", target))) is None


@pytest.mark.parametrize("seq", [0, -1, MAX_SEQ + 1, 2**64])
def test_it_will_not_name_a_row_sqlite_cannot_have(seq):
    with pytest.raises(ValueError):
        seq_id("chk", seq)


def test_another_installation_key_gives_other_ids():
    sample = list(range(1, 1_001)) + LARGE[:200]
    mine = [seq_id("chk", seq) for seq in sample]
    ids.use_key(OTHER_KEY)
    theirs = [seq_id("chk", seq) for seq in sample]
    assert all(a != b for a, b in zip(mine, theirs))
    assert all(parse_seq_id("chk", value) != seq for value, seq in zip(mine, sample))
    assert [parse_seq_id("chk", value) for value in theirs] == sample


@pytest.mark.parametrize("prefix, other", [("chk", "png"), ("png", "whd"), ("iup", "chk"), ("chk", "chk2")])
def test_the_prefix_is_part_of_the_key(prefix, other):
    """A check id with its prefix swapped is no ping id of the same row."""
    sample = list(range(1, 1_001)) + LARGE[:200]
    for seq in sample:
        mine, theirs = seq_id(prefix, seq), seq_id(other, seq)
        assert mine.split("_")[1] != theirs.split("_")[1]
        assert parse_seq_id(other, other + "_" + mine.split("_")[1]) != seq


def test_consecutive_rows_do_not_look_consecutive():
    suffixes = [seq_id("chk", seq)[4:] for seq in range(1, 2_001)]
    rising = sum(a < b for a, b in zip(suffixes, suffixes[1:]))
    assert 800 < rising < 1_200  # sorted like a coin toss, not like the rows
    differing = [sum(x != y for x, y in zip(a, b)) for a, b in zip(suffixes, suffixes[1:])]
    assert sum(differing) / len(differing) > 9  # of 11 characters (random: about 10.3)


def test_it_needs_the_installation_key(monkeypatch):
    monkeypatch.setattr(ids, "_key", None)
    monkeypatch.setattr(ids, "_rounds", {})
    with pytest.raises(RuntimeError, match="use_key"):
        seq_id("chk", 1)
    with pytest.raises(RuntimeError, match="use_key"):
        parse_seq_id("chk", "chk_" + "0" * 11)
    assert parse_seq_id("chk", "chk_bad") is None  # malformed needs no key


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(33)])
def test_the_key_is_32_bytes(key):
    with pytest.raises(ValueError, match="32 bytes"):
        ids.use_key(key)
