"""upstatd's performance harness: `python -m bench` (see BENCHMARKS.md).

Every scenario runs the real `upstatd run` process on a generated config and
measures it from outside: CPU seconds and RSS from /proc, probe counts and
lateness from the daemon's /healthz counters and its database. Helper
processes (targets, floor clients, the blackbox_exporter driver, the
Python ping client) are started with this package's modules as
`python -m bench.<module> ...`; the pings scenario's load is wrk when it is
installed (bench/pings.lua).

Network: everything talks to 127.0.0.1 only; every helper has a bounded
lifetime and dies with the harness (PR_SET_PDEATHSIG).
"""
