"""Prefixed ids: random for objects, derived from the row for checks."""

import re

from upstatd.ids import new_id, parse_seq_id, seq_id


def test_it_makes_unique_prefixed_random_ids():
    ids = {new_id("mon") for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"mon_[0-9A-Za-z]{22}", value) for value in ids)


def test_it_round_trips_row_ids():
    for seq in (0, 1, 61, 62, 3_844, 2**40 + 7):
        assert parse_seq_id("chk", seq_id("chk", seq)) == seq
    assert seq_id("chk", 62) == "chk_10"
    assert parse_seq_id("chk", "mon_10") is None
    assert parse_seq_id("chk", "chk_") is None
    assert parse_seq_id("chk", "chk_1-0") is None
