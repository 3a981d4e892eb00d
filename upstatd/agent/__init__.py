"""`upstatd agent`: probes a region's monitors for the daemon (docs/regions.md).

config.py (file, flags, environment) → process.py (lifecycle) → probing.py (the
assignment on the daemon's phase grid) → outbox.py (batches, memory first) →
spool.py (the SQLite file: what the daemon could not take yet, the last assignment)
and client.py (/agent/v1/ over HTTP).
"""
