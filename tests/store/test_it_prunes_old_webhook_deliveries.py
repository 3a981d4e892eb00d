"""Webhook delivery attempts are kept `retention.deliveries`: an old attempt goes
once its endpoint is done with the event (delivered or given up), or the event
or the endpoint is gone. The attempts of an event still being retried stay
whatever their age: a restart resumes their count and wait from them
(store/outbox.py last_attempt). The newest row stays too (whd_ ids are made
from seqs, which must not be given twice)."""

from prunekit import DAY_MS, FAILED, NOW_MS, delivery, endpoint, event, ids, prune_all
from upstatd.store import webhooks

HOUR_MS = 3_600_000


async def test_old_attempts_of_finished_deliveries_go_and_the_rest_stay(store):
    database, writer, _ = store

    def seed(conn):
        done = [event(conn, 45) for _ in range(3)]
        retried = event(conn, 40)      # the head event: failing since, retried
        later = event(conn, 40)        # behind it, not tried yet
        seq = endpoint(conn, done[-1][0])
        rows = {
            "delivered": [delivery(conn, seq, done[0][1], 45)],
            "retried then delivered": [delivery(conn, seq, done[1][1], 45, 1, FAILED, HOUR_MS),
                                       delivery(conn, seq, done[1][1], 44.9, 2)],
            "given up": [delivery(conn, seq, done[2][1], 44, 1, FAILED)],
            "still retried": [delivery(conn, seq, retried[1], 40, n, FAILED, HOUR_MS) for n in (1, 2, 3)],
            "recent": [delivery(conn, seq, done[0][1], 2)],
        }
        gone = endpoint(conn, 0)   # an endpoint whose event was pruned, and one deleted since
        rows["event gone"] = [delivery(conn, gone, "evt_pruned_long_ago", 50)]
        rows["endpoint gone"] = [delivery(conn, 99, later[1], 50)]
        rows["newest"] = [delivery(conn, seq, retried[1], 40, 4, FAILED, HOUR_MS)]
        return seq, retried[1], rows

    seq, retried, rows = await writer.run(seed)
    assert await prune_all(writer, "webhook_deliveries", 30) == 6
    left = await ids(database, "SELECT seq FROM webhook_deliveries ORDER BY seq")
    assert left == rows["still retried"] + rows["recent"] + rows["newest"]
    # what the consumer reads back at a restart is unchanged
    assert await database.call(webhooks.ledger(seq).last_attempt, retried) == (4, NOW_MS - 40 * DAY_MS + HOUR_MS)


async def test_nothing_younger_than_the_retention_goes(store):
    database, writer, _ = store

    def seed(conn):
        seq_id = event(conn, 29)
        seq = endpoint(conn, seq_id[0])
        return [delivery(conn, seq, seq_id[1], age) for age in (29.9, 29, 10, 0)]

    rows = await writer.run(seed)
    assert await prune_all(writer, "webhook_deliveries", 30) == 0
    assert await ids(database, "SELECT seq FROM webhook_deliveries ORDER BY seq") == rows
