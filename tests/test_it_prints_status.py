"""`upstatd status` formats what it reads from the database."""

from upstatd.cli import ago, format_table


def row(**overrides):
    base = {"key": "web", "name": "web", "type": "http", "url": "http://127.0.0.1:1/", "status": "active",
            "state": "up", "since": 1_000, "last_check_at": 1_090, "latency_ms": 12.34, "status_code": 200,
            "last_error": None, "uptime_24h": 99.5}
    return base | overrides


def test_it_prints_one_aligned_line_per_monitor():
    table = format_table([
        row(),
        row(key="database", type="tcp", url="tcp://127.0.0.1:5432", state="down", since=400,
            latency_ms=None, last_check_at=None, uptime_24h=None,
            last_error={"kind": "connection_error", "message": "connection refused by 127.0.0.1:5432"}),
    ], now=1_100)
    assert table.splitlines() == [
        "KEY       TYPE  STATE  SINCE    UPTIME 24H  LAST CHECK  LATENCY  TARGET                LAST ERROR",
        "web       http  up     1m ago   99.50%      10s ago     12.3ms   http://127.0.0.1:1/",
        "database  tcp   down   11m ago  -           never       -        tcp://127.0.0.1:5432  "
        "connection_error: connection refused by 127.0.0.1:5432",
    ]


def test_it_says_when_there_is_nothing_to_show():
    assert format_table([], now=0) == "no monitors or heartbeats"


def test_it_rounds_ages_down_to_the_largest_unit():
    assert [ago(None, 100), ago(100, 100), ago(41, 100), ago(100, 3_800), ago(0, 200_000)] == [
        "never", "0s ago", "59s ago", "1h ago", "2d ago"]


def test_it_prints_heartbeats_beside_monitors_with_paused_and_running_marked():
    beat = row(key="backup", type="heartbeat", url="/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", state="down",
               since=1_000, last_check_at=None, latency_ms=None, status_code=None, started=True, uptime_24h=None,
               last_error={"kind": "heartbeat_missed", "message": "started, no finish within grace"})
    table = format_table([row(status="paused"), beat], now=1_100)
    assert table.splitlines() == [
        "KEY     TYPE       STATE           SINCE   UPTIME 24H  LAST CHECK  LATENCY  TARGET"
        "                                      LAST ERROR",
        "web     http       paused          1m ago  99.50%      10s ago     12.3ms   http://127.0.0.1:1/",
        "backup  heartbeat  down (running)  1m ago  -           never       -        "
        "/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278  heartbeat_missed: started, no finish within grace",
    ]
