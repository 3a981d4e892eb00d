"""The spool is bounded by the bytes of its results and by their age: past either,
the oldest go first, counted (`spool_dropped` in the next push) and logged once per
episode. A table of cases over the store functions on a real SQLite file, then the
outbox spilling into a small spool while the daemon cannot be reached."""

from __future__ import annotations

import sqlite3

import pytest
from structlog.testing import capture_logs

from agentpeer import TOKEN, AgentPeer
from upstatd.agent import spool as spool_store
from upstatd.agent.client import DaemonClient
from upstatd.agent.outbox import Outbox
from upstatd.agent.spool import Spool
from upstatd.probes.result import Phases

NOW = 1_796_286_000.0
BODY = b"x" * 100


@pytest.fixture
def conn(tmp_path):
    conn = sqlite3.connect(tmp_path / "spool.db", isolation_level=None)
    spool_store.open_spool(conn)
    yield conn
    conn.close()


def kept(conn) -> list[int]:
    return [seq for (seq,) in conn.execute("SELECT seq FROM results ORDER BY seq")]


@pytest.mark.parametrize("ages, max_size, max_age, left, dropped", [
    ([10, 9, 8, 7], 10_000, 3600, [1, 2, 3, 4], 0),        # within both bounds
    ([10, 9, 8, 7], 250, 3600, [3, 4], 2),                  # 400 bytes into 250: the two oldest go
    ([10, 9, 8, 7], 400, 3600, [1, 2, 3, 4], 0),            # exactly full
    ([5000, 4000, 10, 9], 10_000, 3600, [3, 4], 2),         # older than an hour
    ([5000, 10, 9, 8, 7], 250, 3600, [4, 5], 3),            # both: age first, then size
    ([10], 50, 3600, [], 1),                                # one result bigger than the spool
])
def test_bounds(conn, ages, max_size, max_age, left, dropped):
    rows = [(seq, NOW - age, BODY) for seq, age in enumerate(ages, start=1)]
    stored = spool_store.append(conn, rows, (0, 0), max_size, max_age, NOW)
    assert kept(conn) == left
    assert stored == (len(left), 100 * len(left), dropped)


def test_counts_carry_over_calls_and_acks(conn):
    first = spool_store.append(conn, [(1, NOW, BODY), (2, NOW, BODY)], (0, 0), 1000, 3600, NOW)
    second = spool_store.append(conn, [(3, NOW, BODY)], first[:2], 250, 3600, NOW)
    assert kept(conn) == [2, 3] and second == (2, 200, 1)
    assert spool_store.ack(conn, 2) == (1, 100)
    assert kept(conn) == [3]


async def test_the_outbox_reports_and_logs_drops_once_an_episode(tmp_path):
    peer = AgentPeer()  # not started: every push is refused a connection
    spool = await Spool.open(str(tmp_path / "spool.db"), max_size=64 * 1024, max_age=3600)
    client = DaemonClient(peer.url, TOKEN, lambda: NOW)
    outbox = Outbox(spool, client, lambda: NOW)
    try:
        with capture_logs() as logs:
            for _ in range(3):
                for index in range(400):
                    outbox.add("mon_a", NOW + index, NOW + index, Phases().failure("timeout", "no answer " * 5))
                assert await outbox.push_once(0.0) is None
        assert spool.dropped > 0 and spool.bytes <= 64 * 1024
        assert [line["event"] for line in logs].count("agent.spool_dropped") == 1
        assert [line["event"] for line in logs].count("agent.daemon_unreachable") == 1
        oldest = await spool.first(1)
        assert b'"seq":1,' not in oldest[0]  # the oldest went

        await peer.start()
        answer = await outbox.push_once(1.0)
        assert answer is not None
        assert peer.pushes[0].push.spool_dropped == spool.dropped
        assert peer.pushes[0].push.spool_results == 1200 - spool.dropped - len(peer.pushes[0].push.results)
    finally:
        await client.close()
        await spool.close()
        await peer.stop()
