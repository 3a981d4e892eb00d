"""Rollups (store/rollups.py) on a real SQLite file: two days of checks of two
monitors, rolled up in batches, equal the figures computed from the raw
checks (counts, failures, error kinds, latency min/mean/max and phase means
exactly; p50/p95/p99 within one histogram bucket); a batch repeated (a crash
before its commit) counts nothing twice; checks are pruned only once rolled
up and past their retention (never the newest: seqs are not given twice),
and rollups past theirs."""

from __future__ import annotations

import random

from upstatd.monitors import histogram
from upstatd.monitors.uptime import percentile
from upstatd.store import rollups
from upstatd.store.checks import INSERT
from upstatd.store.rollups import DAY_MS, HOUR_MS

START = 1_800_000_000_000 - 1_800_000_000_000 % DAY_MS  # a UTC midnight, ms
KINDS = ("timeout", "connection_error", "status_code")


def make_checks(seed: int = 1) -> list[tuple]:
    """Two monitors, a check a minute for two days: (every column of checks)."""
    rng = random.Random(seed)
    rows, seq = [], 1
    for minute in range(2 * 24 * 60):
        for monitor in (1, 2):
            ok = rng.random() > 0.1
            rows.append((seq, monitor, START + minute * 60_000 + monitor, int(ok), "up" if ok else "down",
                         rng.randint(1_000, 900_000), 200 if ok else None, None if ok else rng.choice(KINDS),
                         None, rng.randint(10, 500), rng.randint(100, 5_000), None, rng.randint(1_000, 80_000),
                         None, None))
            seq += 1
    return rows


async def insert(database, rows):
    await database.call(lambda conn: (conn.executemany(INSERT, rows), conn.commit()))


async def roll_all(database, now_ms) -> int:
    batches = 0
    while True:
        batch = await database.call(rollups.pending, now_ms)
        if batch is None:
            return batches
        await database.call(lambda conn: (rollups.save(conn, batch), conn.commit()))
        batches += 1


def expected(rows, monitor, since, until):
    mine = [row for row in rows if row[1] == monitor and since <= row[2] < until]
    good = sorted(row[5] for row in mine if row[3])
    errors = {}
    for row in mine:
        if not row[3]:
            errors[row[7]] = errors.get(row[7], 0) + 1
    return mine, good, errors


async def test_rollups_equal_the_raw_figures_they_summarize(store):
    database, _, _ = store
    rows = make_checks()
    await insert(database, rows)
    now = START + 2 * DAY_MS + rollups.LAG_MS
    assert await roll_all(database, now) == 48 // rollups.MAX_HOURS  # 48 hours, a few per batch
    for monitor in (1, 2):
        for period, size, count in (("hour", HOUR_MS, 48), ("day", DAY_MS, 2)):
            found = await database.call(rollups.between, monitor, period, START, START + 2 * DAY_MS)
            assert len(found) == count
            for rollup in found:
                mine, good, errors = expected(rows, monitor, rollup.start_at, rollup.start_at + size)
                assert (rollup.checks, rollup.failures, rollup.ok_checks) == (len(mine), len(mine) - len(good),
                                                                             len(good))
                assert rollup.errors == errors
                assert (rollup.latency_min_us, rollup.latency_max_us, rollup.latency_sum_us) == \
                    (good[0], good[-1], sum(good))
                assert rollup.phases["connect"] == [sum(r[10] for r in mine), len(mine)]
                assert "tls" not in rollup.phases
                for p in (50, 95, 99):
                    exact = percentile(good, p) / 1000
                    got = histogram.percentile(rollup.histogram, p, good[0] / 1000, good[-1] / 1000)
                    assert exact <= got <= exact * 2 ** (1 / histogram.STEPS) + 1e-9


async def test_an_hour_is_rolled_up_only_once_complete_and_a_repeated_batch_counts_nothing_twice(store):
    database, _, _ = store
    rows = make_checks()
    await insert(database, rows)
    # 90 minutes in: only the first hour is complete (and two minutes of lag after it)
    assert await roll_all(database, START + HOUR_MS + rollups.LAG_MS - 1) == 0
    batch = await database.call(rollups.pending, START + HOUR_MS + rollups.LAG_MS)
    assert batch.until == START + HOUR_MS and {r.start_at for r in batch.rollups} == {START}
    for _ in range(2):  # saved, then "a crash before the cursor was read back": saved again
        await database.call(lambda conn: (rollups.save(conn, batch), conn.commit()))
    [hour] = await database.call(rollups.between, 1, "hour", START, START + HOUR_MS)
    assert hour.checks == 60
    await roll_all(database, START + 2 * DAY_MS + rollups.LAG_MS)
    [day] = await database.call(rollups.between, 1, "day", START, START + DAY_MS)
    assert day.checks == 24 * 60


async def test_checks_are_pruned_once_rolled_up_and_past_retention(store):
    database, _, _ = store
    rows = make_checks()
    await insert(database, rows)
    now = START + 2 * DAY_MS + rollups.LAG_MS

    async def prune(checks_ms, rollups_ms):
        total = 0
        while True:
            removed = await database.call(lambda conn: (rollups.prune(conn, now, checks_ms, rollups_ms),
                                                        conn.commit())[0])
            total += removed
            if removed < rollups.PRUNE_BATCH:
                return total

    assert await prune(DAY_MS, 400 * DAY_MS) == 0  # nothing rolled up yet: nothing pruned
    await roll_all(database, START + DAY_MS + rollups.LAG_MS)  # the first day only
    assert await prune(0, 400 * DAY_MS) == 24 * 60 * 2  # only what is rolled up, even past its retention
    (left,) = (await database.call(lambda conn: conn.execute("SELECT count(*) FROM checks").fetchall()))[0]
    assert left == 24 * 60 * 2
    await roll_all(database, now)
    # the rest but the newest check (the next seq is counted on from it); the first day's rollups
    assert await prune(0, DAY_MS + rollups.LAG_MS) == 24 * 60 * 2 - 1 + 24 * 2 + 2
    assert [tuple(row) for row in await database.execute_fetchall("SELECT seq FROM checks")] == [(len(rows),)]
    hours = await database.call(rollups.between, 1, "hour", START, START + 2 * DAY_MS)
    assert [h.start_at for h in hours] == [START + DAY_MS + n * HOUR_MS for n in range(24)]


async def test_the_days_latency_reads_rolled_up_hours_and_the_raw_rest(store):
    """/status's p50/p95: the same figures (within a bucket) before and after the roll-up."""
    from upstatd.store.uptime import latency_day, seq_at
    database, _, _ = store
    rows = make_checks()
    await insert(database, rows)
    now = START + DAY_MS + 30 * 60_000 + rollups.LAG_MS  # 24 h back: half an hour into the first day
    before = await database.call(latency_day, 1, now)
    await roll_all(database, now)
    after = await database.call(latency_day, 1, now)
    good = sorted(row[5] / 1000 for row in rows if row[1] == 1 and row[3] and now - DAY_MS < row[2] <= now)
    assert before == (percentile(good, 50), percentile(good, 95), len(good))  # all raw: exact
    assert after[2] == len(good)
    for got, exact in zip(after[:2], before[:2]):
        assert exact <= got <= exact * 2 ** (1 / histogram.STEPS) + 1e-9
    assert await database.call(seq_at, START + DAY_MS) == 24 * 60 * 2 + 1
    assert await database.call(seq_at, START) == 1
    assert await database.call(seq_at, START + 3 * DAY_MS) == len(rows) + 1
